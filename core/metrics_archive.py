"""Dead processes' metric files, folded into one archive file per kind.

In prometheus_client's multiprocess mode each process counts into files of its own under
PROMETHEUS_MULTIPROC_DIR (`counter_<pid>.db`, `histogram_<pid>.db`, ...), and every scrape
reads every file there. A process that exits (a gunicorn worker killed or recycled, a Celery
pool process replaced) leaves its files behind: left alone they pile up, and each scrape reads
more of them. Deleting them would make the totals go backwards (a counter "reset" to
Prometheus).

`metrics_process_archive` is called once a process is gone (gunicorn.conf.py's `child_exit`,
in the master; Celery's `worker_process_shutdown`, core.metrics_worker): it adds the dead
process's counters, histograms and summaries into `<kind>_archive.db` (a file like any other to
prometheus_client's collector, so scraped totals include it) and removes its files. Gauges:
the live modes' files are removed (prometheus_client's `mark_process_dead`); `sum`, `min`,
`max` and `mostrecent` gauges are folded like counters (by their own rule); `all` gauges keep
one file per process by design (keyservice has none). So the directory holds the live
processes' files and one archive per kind, however many processes came and went.

A fold replaces the archive atomically (written to a `.tmp` file, then renamed) and deletes
the dead files under an exclusive lock on `metrics.lock` in the directory; a scrape reads the
files under a shared lock (`ArchivingCollector`), so it never sees a process's counts twice
(in its file and in the archive) or not at all. Nothing here imports Django: the gunicorn
master uses it.
"""

from __future__ import annotations

import fcntl
import glob
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

LOCK_NAME = "metrics.lock"
ARCHIVE = "archive"  # in place of a pid in an archive's file name

# (value, timestamp) of the archive so far, (value, timestamp) of the dead process: the merged.
Sample = tuple[float, float]
Fold = Callable[[Sample, Sample], Sample]


def _add(a: Sample, b: Sample) -> Sample:
    return a[0] + b[0], max(a[1], b[1])


def _newest(a: Sample, b: Sample) -> Sample:
    return b if b[1] >= a[1] else a


# File name prefix (before the pid) → how its values fold into the archive.
FOLDS: dict[str, Fold] = {
    "counter": _add,
    "histogram": _add,  # buckets are stored per bucket, and _sum: all additive
    "summary": _add,
    "gauge_sum": _add,
    "gauge_max": lambda a, b: a if a[0] >= b[0] else b,
    "gauge_min": lambda a, b: a if a[0] <= b[0] else b,
    "gauge_mostrecent": _newest,
}


@contextmanager
def metrics_dir_locked(directory: str, *, exclusive: bool) -> Iterator[None]:
    """Hold the directory's lock: exclusive to fold files, shared to read them."""
    fd = os.open(os.path.join(directory, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


def _values(path: Path) -> dict[str, Sample]:
    if not path.exists():
        return {}
    read = MmapedDict.read_all_values_from_file(str(path))  # type: ignore[no-untyped-call]  # unannotated upstream
    return {key: (value, timestamp) for key, value, timestamp, _ in read}


def _write(path: Path, values: dict[str, Sample]) -> None:
    """Replace `path` by a file holding exactly `values` (atomic: a rename)."""
    temporary = path.with_suffix(".tmp")  # not *.db: never read by a scrape
    temporary.unlink(missing_ok=True)
    mapped = MmapedDict(str(temporary))  # type: ignore[no-untyped-call]  # unannotated upstream
    try:
        for key, (value, timestamp) in values.items():
            mapped.write_value(key, value, timestamp)  # type: ignore[no-untyped-call]
    finally:
        mapped.close()  # type: ignore[no-untyped-call]
    os.replace(temporary, path)


def metrics_process_archive(*, directory: str, pid: int) -> int:
    """Fold the files of the exited process `pid` into the archives and remove them (its live
    gauges are simply removed). Returns how many files were folded."""
    folded = 0
    with metrics_dir_locked(directory, exclusive=True):
        mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]  # unannotated upstream
        for prefix, fold in FOLDS.items():
            dead = Path(directory) / f"{prefix}_{pid}.db"
            if not dead.exists():
                continue
            archive = Path(directory) / f"{prefix}_{ARCHIVE}.db"
            merged = _values(archive)
            for key, sample in _values(dead).items():
                merged[key] = fold(merged[key], sample) if key in merged else sample
            _write(archive, merged)
            dead.unlink()
            folded += 1
    return folded


def metrics_dir_clear(directory: str, *, keep_pid: int | None = None) -> None:
    """Remove an earlier run's metrics files, archives included (a server starting anew
    starts its totals at 0), but those of the process `keep_pid`."""
    mine = f"_{keep_pid}.db"
    for stale in (*Path(directory).glob("*.db"), *Path(directory).glob("*.tmp")):
        if keep_pid is None or not stale.name.endswith(mine):
            stale.unlink(missing_ok=True)


class ArchivingCollector(Collector):
    """prometheus_client's MultiProcessCollector, reading the files under the shared lock."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        with metrics_dir_locked(self.directory, exclusive=False):
            files = glob.glob(os.path.join(self.directory, "*.db"))
            metrics = list(MultiProcessCollector.merge(files, accumulate=True))  # type: ignore[no-untyped-call]
        yield from metrics
