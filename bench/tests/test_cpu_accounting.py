"""bench/cpu_accounting.py reads the CPU a process spends, and splits a run's by group."""

from __future__ import annotations

import os
import time

from bench.cpu_accounting import GROUPS, CpuAccount, machine_busy_seconds, process_seconds


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_busy_process_is_charged_its_cpu_and_the_machine_sees_it_busy():
    me = os.getpid()
    account = CpuAccount(serving=[me], others=[])
    before, busy = process_seconds(me), machine_busy_seconds()
    account.start()
    _spin(0.3)
    spent = account.stop(requests=100)
    assert process_seconds(me) - before >= 0.25
    assert machine_busy_seconds() - busy >= 0.25
    assert set(spent) == set(GROUPS)
    assert spent["serving"] >= 2.5  # 0.3 s over 100 requests: about 3 ms each
    assert spent["other_servers"] == 0.0


def test_a_process_that_is_gone_counts_for_nothing():
    assert process_seconds(2**22 + 12345) is None


def test_the_report_puts_each_target_beside_the_bare_views_cpu():
    from bench.report_cpu import cpu_section

    def run(**ms):
        return {"cpu_ms": {g: ms.get(g, 0.0) for g in GROUPS}}

    runs = {
        "bare_plain": [run(serving=0.4, rest=0.2), run(serving=0.5, rest=0.2)],
        "upload_real": [run(serving=4.0, other_servers=2.0, postgres=0.5, redis=0.3, rest=0.2)],
    }
    text = cpu_section({"runs_small": runs})
    [upload] = [line for line in text.splitlines() if "real upload" in line]
    assert "| 4.00 | 2.00 | 0.50 | 0.30 | 0.20 | 7.00 | 0.09× |" in upload
    assert cpu_section({"runs_small": {"bare_plain": [{"rps": 1}]}}) == ""  # an older run
