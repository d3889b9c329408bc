"""core.metrics_archive: the files of exited processes (real processes counting with
prometheus_client in multiprocess mode) are folded into one archive per kind; the scraped
totals never change, the directory stays bounded, and a scrape racing the folds never sees a
process's counts twice or not at all."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from core.metrics_archive import ArchivingCollector, metrics_process_archive

COUNTING = """
import os, sys
from prometheus_client import Counter, Gauge, Histogram
Counter("jobs", "Jobs done.", ["kind"]).labels("a").inc(int(sys.argv[1]))
Histogram("job_seconds", "Job time.", buckets=(0.1, 1.0)).observe(0.5)
Gauge("busy", "Busy now.", multiprocess_mode="livesum").set(1)
Gauge("peak", "Highest seen.", multiprocess_mode="max").set(float(sys.argv[1]))
print(os.getpid())
"""


def exited_process(directory: Path, jobs: int) -> int:
    """The pid of a process that counted `jobs` jobs into `directory`, then exited."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", COUNTING, str(jobs)], env=env, capture_output=True, check=True
    )
    return int(done.stdout)


def scrape(directory: Path) -> dict[str, float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ArchivingCollector(str(directory)))
    samples = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_an_exited_process_is_folded_into_the_archives_and_the_totals_stay(tmp_path):
    pids = [exited_process(tmp_path, jobs) for jobs in (1, 2, 3)]
    before = scrape(tmp_path)
    assert before['jobs_total{kind="a"}'] == 6
    assert len(list(tmp_path.glob("*.db"))) == 3 * 4  # four files per process

    for pid in pids:
        assert metrics_process_archive(directory=str(tmp_path), pid=pid) == 3

    after = scrape(tmp_path)
    assert after['jobs_total{kind="a"}'] == 6
    assert after["job_seconds_count"] == 3 and after["job_seconds_sum"] == 1.5
    assert after['job_seconds_bucket{le="1.0"}'] == 3
    assert after["peak"] == 3  # a max gauge keeps the highest
    assert not any(name.startswith("busy") for name in after)  # a live gauge goes with it
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "counter_archive.db",
        "gauge_max_archive.db",
        "histogram_archive.db",
    ]


def test_many_exits_leave_one_archive_per_kind(tmp_path):
    for jobs in range(1, 9):
        metrics_process_archive(directory=str(tmp_path), pid=exited_process(tmp_path, jobs))

    assert len(list(tmp_path.glob("*.db"))) == 3
    assert scrape(tmp_path)['jobs_total{kind="a"}'] == sum(range(1, 9))


def test_a_process_with_no_files_folds_nothing(tmp_path):
    assert metrics_process_archive(directory=str(tmp_path), pid=999_999_999) == 0
    assert list(tmp_path.glob("*.db")) == []


def test_scrapes_racing_the_folds_always_see_the_same_totals(tmp_path):
    pids = [exited_process(tmp_path, 1) for _ in range(16)]
    seen: set[float] = set()
    failures: list[BaseException] = []
    done = threading.Event()

    def scraping() -> None:
        while not done.is_set():
            try:
                seen.add(scrape(tmp_path)['jobs_total{kind="a"}'])
            except Exception as exc:  # a file vanishing under a scrape, say
                failures.append(exc)

    scrapers = [threading.Thread(target=scraping) for _ in range(4)]
    for thread in scrapers:
        thread.start()
    try:
        for pid in pids:
            metrics_process_archive(directory=str(tmp_path), pid=pid)
    finally:
        done.set()
        for thread in scrapers:
            thread.join()

    assert failures == []
    assert seen == {16.0}
