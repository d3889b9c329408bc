"""The API's hot path: one SQL round trip answers "who owns this key, does the project exist,
and what is the owner's relation to it" (plus, for the internal API, "is this service token
valid"). Access itself is decided by `teams.selectors.access_rule`, like everywhere else."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import InterfaceError, OperationalError, connection

from accounts.models import User
from api.models import SCOPE_NAME, ServiceToken
from apikeys.models import ApiKey
from projects.models import Project
from teams.models import Membership
from teams.selectors import Access, access_rule


@dataclass(frozen=True, slots=True)
class CredentialLookup:
    token_ok: bool  # always True when no token was asked about
    token_has_scope: bool  # the token carries the scope asked about (True when none was)
    key_found: bool  # an active key of an active user
    user_pk: int | None
    user_public_id: str | None
    project_pk: int | None
    access: Access


@cache
def _sql(with_token: bool) -> str:
    key, user, project = ApiKey._meta.db_table, User._meta.db_table, Project._meta.db_table
    membership = Membership._meta.db_table
    membership_projects = Membership.projects.through._meta.db_table
    token = ServiceToken._meta.db_table
    q = connection.ops.quote_name
    # Only quoted table names from model metadata are interpolated; values are parameters.
    # The token column: NULL = no such active token, 1 = active without the scope, 2 = with it.
    token_col = (
        f"""(SELECT CASE WHEN (' ' || t.scopes || ' ') LIKE %(scope)s THEN 2 ELSE 1 END
               FROM {q(token)} t WHERE t.digest = %(token)s AND t.revoked_at IS NULL)"""  # noqa: S608
        if with_token
        else "2"
    )
    # A key of a deactivated user (is_active false) finds no user row: an unknown key.
    return f"""
        SELECT {token_col}, u.id, u.public_id, p.id, p.owner_id,
               (SELECT m.role FROM {q(membership)} m
                  JOIN {q(membership_projects)} mp ON mp.membership_id = m.id
                 WHERE m.owner_id = p.owner_id AND m.member_id = u.id
                   AND mp.project_id = p.id)
          FROM (SELECT 1 AS one) AS one
          LEFT JOIN {q(key)} k ON k.digest = %(digest)s AND k.revoked_at IS NULL
          LEFT JOIN {q(user)} u ON u.id = k.user_id AND u.is_active
          LEFT JOIN {q(project)} p ON p.public_id = %(project)s
    """  # noqa: S608


def credential_lookup(
    *,
    key_digest: str | None,
    project_public_id: str | None,
    token_digest: str | None = None,
    scope: str = "verify",
) -> CredentialLookup:
    """One query. Pass key_digest=None to check only the token (the key was malformed).

    With a token_digest, the token must be active, and `token_has_scope` says whether it
    carries `scope`."""
    params = {
        "digest": key_digest,
        "project": project_public_id,
        "token": token_digest,
        "scope": _scope_pattern(scope),
    }
    token_state, user_pk, user_public_id, project_pk, owner_pk, role = _fetch_one(
        _sql(token_digest is not None), params
    )
    access = Access.NONE
    if user_pk is not None and project_pk is not None:
        access = access_rule(user_id=user_pk, project_owner_id=owner_pk, member_role=role)
    return CredentialLookup(
        token_ok=token_state is not None,
        token_has_scope=token_state == 2,
        key_found=user_pk is not None,
        user_pk=user_pk,
        user_public_id=user_public_id,
        project_pk=project_pk,
        access=access,
    )


def _fetch_one(sql: str, params: dict) -> tuple:
    """Run a read-only query in one database round trip, health check included.

    With CONN_HEALTH_CHECKS on, Django sends `SELECT 1` before the first query of every
    request on a reused connection: a second round trip on the hot path (measured in
    docs/performance.md). This query is read-only and idempotent, so it is its own health
    check: if the reused connection turns out to be dead, it is closed and the query runs once
    more on a new connection — what Django's check would have done, without its cost when
    the connection is fine. Inside a transaction, or when Django already checked, nothing
    changes.
    """
    checks_itself = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if checks_itself:
        connection.health_check_done = True  # this query is the check
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    except (OperationalError, InterfaceError):
        if not checks_itself or connection.is_usable():
            raise  # not a dead connection: a real error
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _scope_pattern(scope: str) -> str:
    """A LIKE pattern matching `scope` as one word of a token's space-separated scopes.
    Scope names are validated lowercase words and hyphens: no LIKE wildcard can occur."""
    if not SCOPE_NAME.fullmatch(scope):
        raise ValueError(f"not a scope name: {scope!r}")
    return f"% {scope} %"


@dataclass(frozen=True, slots=True)
class ServiceIdentity:
    name: str
    scopes: frozenset[str]


def service_token_identity(*, digest: str) -> ServiceIdentity | None:
    """The name and scopes of the active service token with this digest, if any."""
    row = (
        ServiceToken.objects.filter(digest=digest, revoked_at__isnull=True)
        .values_list("name", "scopes")
        .first()
    )
    return None if row is None else ServiceIdentity(name=row[0], scopes=frozenset(row[1].split()))
