"""Where this checkout's private servers live, and the URLs that reach them. Pure: nothing
here starts, creates or connects to anything, so the settings may import it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "keyservice"
DATABASE_USER = "postgres"
# A Unix socket's path holds at most 107 bytes on Linux (103 on macOS).
_SOCKET_PATH_MAX = 100
_SOCKET_NAME = ".s.PGSQL.5432"


def var_dir(root: Path = ROOT) -> Path:
    """The checkout's runtime folder (ignored by git): the servers' data, sockets and logs."""
    return root / "var"


def postgres_dir(var: Path) -> Path:
    return var / "postgres"


def redis_dir(var: Path) -> Path:
    return var / "redis"


def socket_dir(server_dir: Path) -> Path:
    """The folder of PostgreSQL's socket: the server's own folder, or, when that path is too
    long for a socket, a short folder in /tmp named after it (the same from every process)."""
    if len(str(server_dir / _SOCKET_NAME)) <= _SOCKET_PATH_MAX:
        return server_dir
    digest = hashlib.sha256(str(server_dir).encode()).hexdigest()[:16]
    return Path("/tmp") / f"keyservice-pg-{digest}"  # noqa: S108 - short by design, mode 0700


def postgres_url(socket: Path, name: str = DATABASE_NAME) -> str:
    """A libpq URI through a Unix socket: psql, psycopg and django-environ all read it."""
    return f"postgres://{DATABASE_USER}@/{name}?host={quote(str(socket), safe='/')}"


def default_database_url(root: Path = ROOT) -> str:
    """DATABASE_URL when none is set: the checkout's private server (`make run`, `make test`)."""
    return postgres_url(socket_dir(postgres_dir(var_dir(root))))
