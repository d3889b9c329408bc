"""Fast seeding for the benchmark: users, one active key each, one project each, memberships.

Rows are generated in worker processes (one per core) and written with PostgreSQL's COPY, in
chunks, each worker on its own connection. Keys are real: the service's format and checksum
(`apikeys.crypto.checksum`), AES-256-CBC ciphertext under the configured key-encryption key
(`crypto.encrypt`) and the HMAC-SHA256 lookup digest (`crypto.digest`). The only shortcut is
the random part: `secrets.randbelow(62**43)` in base62, the same distribution as
`crypto.generate_key`'s 43 `secrets.choice` calls, ten times faster.

User i (1-based) owns project i. Users with i % 4 == 2 are FULL members of user i-1's account
with access to project i-1; users with i % 4 == 3 are READONLY members of user i-2's account
with access to project i-2. Users, projects (and their webhook settings) and memberships
share the index i as their id.

Run inside Django (bench.settings); `seed_service(upto=N, wanted=...)` adds users up to N and
returns the plaintext credentials of the wanted indices.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import psycopg
from django.db import connection

from apikeys import crypto
from core.base62 import base62

CHUNK = 50_000  # a multiple of 4, so membership owners and members share a chunk


@dataclass(frozen=True)
class Cred:
    index: int
    api_key: str
    user_id: str
    own_project: str
    member_project: str | None  # a project of someone else's account this user reaches
    member_role: str | None


def _dsn() -> str:
    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )


def _key() -> str:
    body = crypto.key_prefix() + base62(secrets.randbelow(62**crypto.RANDOM_CHARS), 43)
    return body + crypto.checksum(body)


def _chunk(args: tuple[int, int, frozenset[int], str]) -> list[dict]:
    """Generate and COPY users [start, end) with their keys, projects and memberships."""
    start, end, wanted, dsn = args
    now = datetime.now(UTC).isoformat()
    kek_id, kek = crypto.current_kek()
    users, projects, hooks, keys, members, member_projects = (io.StringIO() for _ in range(6))
    public = {}
    project_public = {}
    plaintext = {}
    for i in range(start, end):
        public[i] = secrets.token_hex(12)
        project_public[i] = secrets.token_hex(12)
        key = _key()
        if i in wanted:
            plaintext[i] = key
        users.write(
            f"{i}\t!{secrets.token_hex(20)}\t\\N\tf\tf\tt\t{now}\t"
            f"bench-{i}@bench.invalid\tBench user {i}\t{public[i]}\t0\n"
        )
        projects.write(
            f"{i}\t{project_public[i]}\tProject {i}\tactive\tasia-pacific\t\t{now}\t{now}\t{i}\n"
        )
        # no URL, its own secret, no previous one (an empty COPY field is '', not NULL)
        hooks.write(f"{i}\t{i}\t\t[]\t{secrets.token_hex(32)}\tt\t\n")
        keys.write(
            f"{i}\t{crypto.encrypt(key, kek)}\t{kek_id}\t{crypto.digest(key)}\t"
            f"{crypto.hint(key)}\t{now}\t\\N\t{i}\t\\N\t0\n"
        )
        role_owner = {2: ("FULL", i - 1), 3: ("READONLY", i - 2)}.get(i % 4)
        if role_owner and role_owner[1] >= start:
            role, owner = role_owner
            members.write(f"{i}\t{role}\t{now}\t{now}\t{i}\t{owner}\n")
            member_projects.write(f"{i}\t{i}\t{owner}\n")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for table, columns, data in (
            (
                "accounts_user",
                "id, password, last_login, is_superuser, is_staff, is_active, date_joined, "
                "email, name, public_id, session_epoch",
                users,
            ),
            (
                "projects_project",
                "id, public_id, name, status, region, custom_domain, created_at, updated_at, "
                "owner_id",
                projects,
            ),
            (
                "webhooks_webhook",
                "id, project_id, url, events, secret, retries, previous_secret",
                hooks,
            ),
            (
                "apikeys_apikey",
                "id, ciphertext, kek_id, digest, hint, created_at, revoked_at, user_id, "
                "expires_at, expiry_stage",
                keys,
            ),
            ("teams_membership", "id, role, created_at, updated_at, member_id, owner_id", members),
            ("teams_membership_projects", "id, membership_id, project_id", member_projects),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(data.getvalue())
    creds = []
    for i in sorted(plaintext):
        role_owner = {2: ("FULL", i - 1), 3: ("READONLY", i - 2)}.get(i % 4)
        creds.append(
            asdict(
                Cred(
                    index=i,
                    api_key=plaintext[i],
                    user_id=public[i],
                    own_project=project_public[i],
                    member_project=project_public[role_owner[1]] if role_owner else None,
                    member_role=role_owner[0] if role_owner else None,
                )
            )
        )
    return creds


def seeded_users(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT coalesce(max(id), 0) FROM accounts_user "
            "WHERE email ~ '^bench-[0-9]+@bench[.]invalid$'"
        ).fetchone()[0]


def seed_service(
    *,
    upto: int,
    wanted: set[int],
    reserve: int = 0,
    dsn: str | None = None,
    processes: int | None = None,
) -> list[dict]:
    """Add users (keys, projects, memberships) until there are `upto`, in the default
    database or the one `dsn` names; returns the wanted credentials among the new ones.
    Sequences are moved past the explicit ids and past `reserve`, so rows the application
    creates meanwhile never take an id a later call will seed."""
    dsn = dsn or _dsn()
    first = seeded_users(dsn) + 1
    assert (first - 1) % 4 == 0, "seed in multiples of 4 users"
    jobs = [
        (s, min(s + CHUNK, upto + 1), frozenset(i for i in wanted if s <= i < s + CHUNK), dsn)
        for s in range(first, upto + 1, CHUNK)
    ]
    connection.close()  # no inherited connection in forked workers
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes or os.cpu_count() or 2) as pool:
        creds = [c for chunk in pool.imap_unordered(_chunk, jobs) for c in chunk]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in (
            "accounts_user",
            "projects_project",
            "webhooks_webhook",
            "apikeys_apikey",
            "teams_membership",
            "teams_membership_projects",
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"greatest((SELECT coalesce(max(id), 1) FROM {table}), {int(reserve)}))"
            )
        conn.execute("ANALYZE")
    return sorted(creds, key=lambda c: c["index"])


def seed_uploads(*, dsn: str, project_ids: list[int], per_project: int = 3) -> None:
    """A few uploads on each given project (bench user i owns project i), for the detail."""
    now = datetime.now(UTC).isoformat()
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cur,
        cur.copy(
            "COPY builds_upload (public_id, project_id, user_id, file_url, auto_release, status, "
            "objection, created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        for pid in project_ids:
            for n in range(per_project):
                copy.write_row(
                    (
                        secrets.token_hex(12),
                        pid,
                        pid,
                        f"https://cdn.example.com/builds/p{pid}-{n}.zip",
                        True,
                        "pending",
                        "",
                        now,
                        now,
                    )
                )


def copy_service_tokens(*, source_dsn: str, target_dsn: str) -> None:
    """The same service tokens (digests) in another database."""
    with psycopg.connect(source_dsn) as src, psycopg.connect(target_dsn) as dst:
        rows = src.execute(
            "SELECT name, digest, hint, scopes, created_at, revoked_at FROM apikeys_servicetoken"
        ).fetchall()
        with dst.cursor() as cur:
            cur.executemany(
                "INSERT INTO apikeys_servicetoken (name, digest, hint, scopes, created_at, "
                "revoked_at) VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )


def seed_peers(*, user_ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    """One djangorestframework-api-key key and one knox token for each user id, created with
    the peers' own generators and hashers (bulk inserts). Returns the plaintexts."""
    from knox.models import AuthToken, get_digest_token
    from knox.settings import CONSTANTS
    from rest_framework_api_key.crypto import concatenate
    from rest_framework_api_key.models import APIKey

    generator = APIKey.objects.key_generator
    api_keys, api_rows, tokens, token_rows = {}, [], {}, []
    for uid in user_ids:
        key, prefix, hashed = generator.generate()
        api_keys[uid] = key
        api_rows.append(
            APIKey(id=concatenate(prefix, hashed), prefix=prefix, hashed_key=hashed, name=f"u{uid}")
        )
        digest, token = get_digest_token()
        tokens[uid] = token
        token_rows.append(
            AuthToken(digest=digest, token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH], user_id=uid)
        )
    APIKey.objects.bulk_create(api_rows, batch_size=5000)
    AuthToken.objects.bulk_create(token_rows, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return api_keys, tokens
