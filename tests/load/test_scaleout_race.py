"""The multi-replica race at small scale, with real processes: 2 gunicorn replicas behind
HAProxy (tests/support/rig.py) on the test database and a private redis-server; verifies over
HTTP while keys rotate, members go and users are deactivated through the other replica
(tests/support/race.py). `make scaleout` runs the same driver at full scale (docs/scaling.md).
The in-process race of the verify cache itself lives with the cache's tests."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from django.db import connection

from tests.support.race import Race
from tests.support.rig import Rig, haproxy_binary
from tests.support.services import database_url, require


def test_no_verify_is_a_stale_accept_across_replicas_even_while_redis_is_down(postgres):
    require(haproxy_binary() is not None, "needs HAProxy (apt-get install haproxy; CI installs it)")
    rig = Rig(
        Path(tempfile.mkdtemp(prefix="keyservice-race-")),
        database_url(connection.settings_dict),
        {},
        replicas=2,
        workers=1,
        celery_workers=0,
        beat=False,
        settings_module="keyservice.settings_test",
    )
    try:
        rig.start()
        race = Race(rig.base_url, per_kind=2, controls=2, replicas=list(rig.replica_ports))
        race.seed("small")
        down: list[float] = []

        def redis_kill() -> None:
            rig.procs["redis"].kill()
            down.append(time.monotonic())

        def redis_restart() -> None:
            time.sleep(max(0.0, down[0] + 2 - time.monotonic()))
            rig.redis_start()

        result = race.run(verifies=400, clients=4, at={0.4: redis_kill, 0.7: redis_restart})
    finally:
        rig.stop()
    assert result["verifies"] >= 400
    assert set(result["per_replica"]) == {"web1", "web2"}, result["per_replica"]
    assert result["writes"] == {"rotate": 2, "remove": 2, "deactivate": 2}
    assert result["after_write_on_another_replica"] > 0  # the race is across replicas
    assert 0 < result["accepted"] < result["verifies"]  # both answers happen: it can fail
    assert result["server_errors"] == 0, result["statuses"]
    assert result["stale_accepts"] == 0
    assert result["current_credentials_refused"] == 0
    assert result["outage"]["verifies"] > 0 and result["outage"]["server_errors"] == 0
    assert result["outage"]["stale_accepts"] == 0
    assert result["after_restart"]["verifies"] > 0
