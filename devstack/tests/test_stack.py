"""Sharing the checkout's servers: what the environment sets is never started, the last command
to leave stops them, a killed command does not keep them alive, `up` pins them."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest
import redis

from devstack.stack import Stack, stack_leave, stack_use


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "var")
    yield stack
    stack.postgres.stop()
    stack.redis.stop()


@pytest.fixture
def other_command():
    """A live process registered as another user of the servers."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_command_with_nothing_configured_gets_both_servers_and_working_urls(stack):
    environ: dict[str, str] = {}
    assert stack_use(environ, stack) == {"postgres", "redis"}
    with psycopg.connect(environ["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("keyservice",)
    assert redis.Redis.from_url(environ["REDIS_URL"]).ping()
    assert stack_leave(stack) == {"postgres", "redis"}
    assert not stack.postgres.running() and not stack.redis.running()


def test_what_the_environment_points_elsewhere_is_neither_started_nor_touched(stack):
    environ = {"DATABASE_URL": "postgres://someone@db.internal:5432/keys"}
    assert stack_use(environ, stack) == {"redis"}
    assert environ["DATABASE_URL"] == "postgres://someone@db.internal:5432/keys"
    assert not stack.postgres.running() and stack.redis.running()
    stack_leave(stack)
    assert stack_use({"DATABASE_URL": "x", "REDIS_URL": "y"}, stack) == set()


def test_a_env_file_setting_counts_as_configured(stack):
    environ: dict[str, str] = {}
    configured = {"REDIS_URL": "redis://cache.internal:6379/0"}
    assert stack_use(environ, stack, configured=configured) == {"postgres"}
    assert "REDIS_URL" not in environ
    stack_leave(stack)


def test_the_servers_run_until_the_last_command_using_them_leaves(stack, other_command):
    stack_use({}, stack)
    with stack.locked():
        stack.register(other_command.pid, {"postgres"})
    assert stack_leave(stack) == {"redis"}  # nobody else needs Redis
    assert stack.postgres.running()
    with stack.locked():
        assert stack.release(other_command.pid) == {"postgres"}
    assert not stack.postgres.running()


def test_a_killed_commands_registration_does_not_keep_the_servers_running(stack, other_command):
    stack_use({}, stack)
    with stack.locked():
        stack.register(other_command.pid, {"postgres", "redis"})
    other_command.kill()
    other_command.wait()
    assert stack_leave(stack) == {"postgres", "redis"}
    assert stack.live_users() == {}


def test_pinned_servers_outlive_every_command(stack):
    with stack.locked():
        stack.start({"postgres", "redis"})
        stack.pin(True)
    stack_use({}, stack)
    assert stack_leave(stack) == set()
    assert stack.postgres.running() and stack.redis.running()
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "--var", str(stack.var), "down"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "stopped" in result.stdout
    assert not stack.postgres.running() and not stack.redis.running()


def test_the_command_line_prints_exports_a_shell_can_eval(stack):
    run = [sys.executable, "-m", "devstack", "--var", str(stack.var)]
    subprocess.run([*run, "up"], capture_output=True, check=True)
    printed = subprocess.run([*run, "env"], capture_output=True, text=True, check=True).stdout
    shown = subprocess.run(
        ["bash", "-c", f'{printed}\nprintf "%s\\n%s" "$DATABASE_URL" "$REDIS_URL"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert shown == [stack.postgres.url("keyservice"), stack.redis.url(0)]
    with psycopg.connect(shown[0]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
