"""The checkout's private PostgreSQL and Redis, shared by every command that needs them.

A command that leaves DATABASE_URL or REDIS_URL unset uses the checkout's server for it: it
registers under `var/devstack/users/`, starts what is not running, and on leaving stops what
no live command still uses — unless `python -m devstack up` pinned the servers. A killed
command's registration is pruned by the next one (its process is gone)."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from environ import Env

from devstack.env_file import env_file_read
from devstack.locations import DATABASE_NAME, postgres_dir, redis_dir, var_dir
from devstack.postgres import PrivatePostgres
from devstack.processes import pid_alive
from devstack.redis import PrivateRedis

SERVERS = {"DATABASE_URL": "postgres", "REDIS_URL": "redis"}


@dataclass(frozen=True)
class Stack:
    var: Path

    @property
    def postgres(self) -> PrivatePostgres:
        return PrivatePostgres(postgres_dir(self.var))

    @property
    def redis(self) -> PrivateRedis:
        return PrivateRedis(redis_dir(self.var))

    @property
    def _state(self) -> Path:
        return self.var / "devstack"

    @property
    def pinned(self) -> bool:
        return (self._state / "pinned").exists()

    def servers(self) -> dict[str, PrivatePostgres | PrivateRedis]:
        return {"postgres": self.postgres, "redis": self.redis}

    def url(self, server: str) -> str:
        if server == "postgres":
            return self.postgres.url(DATABASE_NAME)
        return self.redis.url(0)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self._state.mkdir(parents=True, exist_ok=True)
        with (self._state / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def start(self, servers: set[str]) -> None:
        """Start these servers (under the lock), creating the database the first time."""
        if "postgres" in servers:
            self.postgres.start()
            self.postgres.database_ensure(DATABASE_NAME)
        if "redis" in servers:
            self.redis.start()

    def register(self, pid: int, servers: set[str]) -> None:
        (self._state / "users").mkdir(parents=True, exist_ok=True)
        (self._state / "users" / str(pid)).write_text(" ".join(sorted(servers)))

    def release(self, pid: int) -> set[str]:
        """Forget `pid`; stop what no live user needs (unless pinned). Returns what stopped."""
        with contextlib.suppress(FileNotFoundError):
            (self._state / "users" / str(pid)).unlink()
        if self.pinned:
            return set()
        needed = set().union(*self.live_users().values())
        stopped = set()
        for name, server in self.servers().items():
            if name not in needed and server.running():
                server.stop()
                stopped.add(name)
        return stopped

    def pin(self, pinned: bool) -> None:
        flag = self._state / "pinned"
        if pinned:
            self._state.mkdir(parents=True, exist_ok=True)
            flag.touch()
        else:
            with contextlib.suppress(FileNotFoundError):
                flag.unlink()

    def live_users(self) -> dict[int, set[str]]:
        users: dict[int, set[str]] = {}
        folder = self._state / "users"
        for entry in folder.iterdir() if folder.is_dir() else ():
            if entry.name.isdigit() and pid_alive(int(entry.name)):
                users[int(entry.name)] = set(entry.read_text().split())
            else:
                entry.unlink(missing_ok=True)  # its command was killed
        return users


def stack_for_checkout() -> Stack:
    return Stack(var_dir())


def stack_use(
    environ: MutableMapping[str, str],
    stack: Stack | None = None,
    *,
    configured: Mapping[str, str] | None = None,
) -> set[str]:
    """Point `environ` at the checkout's servers for each of DATABASE_URL and REDIS_URL that
    `configured` (default: `environ`) leaves unset, starting them if needed, until
    stack_leave. Returns the servers this process now uses."""
    stack = stack or stack_for_checkout()
    configured = environ if configured is None else configured
    servers = {server for name, server in SERVERS.items() if not configured.get(name)}
    if not servers:
        return servers
    with stack.locked():
        stack.register(os.getpid(), servers)
        try:
            stack.start(servers)
        except BaseException:
            stack.release(os.getpid())
            raise
    for name, server in SERVERS.items():
        if server in servers:
            environ[name] = stack.url(server)
    return servers


def stack_leave(stack: Stack | None = None) -> set[str]:
    """This process no longer uses the servers: stop what nobody else uses."""
    stack = stack or stack_for_checkout()
    with stack.locked():
        return stack.release(os.getpid())


def stack_attach(
    environ: MutableMapping[str, str], *, configured: Mapping[str, str] | None = None
) -> None:
    """stack_use for this process, left automatically when it exits (pytest's processes)."""
    if stack_use(environ, configured=configured):
        pid = os.getpid()
        # A forked child (gunicorn, a Celery pool) exits without leaving the parent's place.
        atexit.register(lambda: stack_leave() if os.getpid() == pid else None)


def stack_attach_in_development() -> None:
    """manage.py: with DJANGO_DEBUG on (in the environment or .env, as the settings read
    them), attach for what neither of them sets. Production (DEBUG off) is left alone."""
    configured = {**env_file_read(), **os.environ}
    if configured.get("DJANGO_DEBUG", "").strip().lower() in Env.BOOLEAN_TRUE_STRINGS:
        stack_attach(os.environ, configured=configured)
