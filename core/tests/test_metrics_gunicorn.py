"""/metrics through the real gunicorn (gunicorn.conf.py) with two sync workers: every scrape,
whichever worker answers it, adds up the counts of all workers, and a killed worker's counts
stay counted — folded into archive files, so killing workers again and again leaves a bounded
directory and totals that never go backwards."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.support.gunicorn import Gunicorn
from tests.support.waiting import wait_until

TOKEN = "metrics-token-" + "g" * 40
HTTPS = {"X-Forwarded-Proto": "https"}
OK = re.compile(r'^keyservice_verify_total\{outcome="ok"\} ([0-9.e+]+)$', re.M)


def verified_ok(server: Gunicorn) -> float:
    status, content_type, body = server.request(
        "GET", "/metrics", {"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200, body
    assert content_type.startswith("text/plain")
    match = OK.search(body.decode())
    assert match, body.decode()[:2000]
    return float(match.group(1))


def worker_pids(directory) -> set[int]:
    return {
        int(m.group(1)) for p in directory.iterdir() if (m := re.search(r"_(\d+)\.db$", p.name))
    }


def children_of(pid: int) -> set[int]:
    """The live child processes of `pid` (gunicorn's workers of its master), from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":  # ppid, and not a zombie
            found.add(int(stat.parent.name))
    return found


@pytest.fixture
def credentials(postgres, owner, showroom):
    body = {
        "apiKey": apikey_issue(user=owner).plaintext,
        "userId": owner.public_id,
        "projectId": showroom.public_id,
        "access": "read",
    }
    return service_token_create(name="pipeline").plaintext, json.dumps(body)


def test_two_workers_export_one_sum_and_a_killed_worker_keeps_its_counts(tmp_path, credentials):
    service, body = credentials
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"left over from an earlier run")
    with Gunicorn(
        GUNICORN_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        KEYSERVICE_METRICS_TOKEN=TOKEN,
        DJANGO_TRUST_X_FORWARDED_PROTO="true",
    ) as server:
        assert not (directory / "counter_999999.db").exists()  # wiped at start
        headers = {
            **HTTPS,
            "Authorization": f"Bearer {service}",
            "Content-Type": "application/json",
        }
        for _ in range(30):
            status, _, answer = server.request("POST", "/internal/v1/verify", headers, body)
            assert status == 200, answer
        assert wait_until(lambda: len(worker_pids(directory)) >= 2, timeout=10)
        # Each scrape is answered by one worker or the other: all of them see all 30.
        assert {verified_ok(server) for _ in range(10)} == {30.0}
        assert server.request("GET", "/metrics")[0] == 401

        victim = max(worker_pids(directory))
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(worker_pids(directory) - {victim}) >= 2, timeout=30)
        time.sleep(0.5)
        assert {verified_ok(server) for _ in range(6)} == {30.0}
    assert "child_exit" not in server.output()  # the hook ran without an error


def test_workers_killed_again_and_again_leave_a_bounded_directory_and_every_count(
    tmp_path, credentials
):
    service, body = credentials
    directory = tmp_path / "prometheus"
    directory.mkdir()
    headers = {
        **HTTPS,
        "Authorization": f"Bearer {service}",
        "Content-Type": "application/json",
    }
    kills, verified, sizes = 6, 0, []
    with Gunicorn(
        GUNICORN_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        KEYSERVICE_METRICS_TOKEN=TOKEN,
        DJANGO_TRUST_X_FORWARDED_PROTO="true",
    ) as server:
        master = server.proc.pid
        assert wait_until(lambda: len(children_of(master)) == 2, timeout=30)
        for _ in range(kills):
            for _ in range(5):
                status, _, answer = server.request("POST", "/internal/v1/verify", headers, body)
                assert status == 200, answer
            verified += 5
            assert verified_ok(server) == verified
            workers = children_of(master)
            victim = max(workers)
            os.kill(victim, signal.SIGKILL)
            # the master reaps it (child_exit folds its files) and forks a replacement
            assert wait_until(
                lambda victim=victim: (
                    victim not in worker_pids(directory)
                    and len(children_of(master) - {victim}) == 2
                ),
                timeout=30,
            )
            sizes.append(len(list(directory.glob("*.db"))))
            assert verified_ok(server) == verified  # the dead worker's counts stay
        pids = worker_pids(directory)
        assert pids <= children_of(master)  # no file of a dead worker is left
    # At most each kind's archive and the files of two live workers, after any number of
    # kills (before folding: a counter and a histogram file per worker ever started).
    assert max(sizes) <= 2 * 3, sizes
    assert (directory / "counter_archive.db").exists()
    assert (directory / "histogram_archive.db").exists()
    assert "child_exit" not in server.output()  # the hook ran without an error


def test_without_a_token_the_endpoint_is_404_under_gunicorn_too(postgres):
    with Gunicorn(KEYSERVICE_METRICS_TOKEN="") as server:
        assert server.request("GET", "/metrics", {"Authorization": "Bearer x"})[0] == 404
