"""The one verifier of API keys (and of the service tokens internal callers relay them with).

`apikey_verify` checks, in docs/api.md's order: the service token's format (when the internal API
relays a key), the key's format and checksum — both without touching the database — then one
SQL round trip (`credential_lookup`) answers "is the service token active and does it carry
the scope, who owns this key, does the project exist, and what is the owner's relation to it",
then constant-time comparisons. Access itself is decided by teams.selectors: its
`membership_find_granting` is compiled into the query and `access_resolve` applied to the row,
like on every other surface.

The query's answer goes through the leased cache (core.leasedcache, `credential_lookup_cached`):
a found credential's answer is served again, with no query, while this process holds its lease
(docs/scaling.md, "Why the leased cache is never stale"); what the query reads is declared in
apikeys/verifier/sources.py.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache, partial

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from apikeys import crypto
from apikeys.models import SCOPE_NAME, ApiKey, Scope, ServiceToken
from apikeys.tokens import token_digest, token_is_well_formed
from core.ids import is_public_id
from core.leasedcache import Depends, Topic, cached
from core.metrics import verify_outcome_count, verify_outcomes_declare
from core.onerow import fetch_one_row
from projects.models import Project
from teams.selectors import Access, access_resolve, membership_find_granting


class VerifyFailure(StrEnum):
    """Why a credential was refused; the value is docs/api.md's message for it (api.auth adds the
    status and counts failed authentications)."""

    # A malformed, unknown or revoked service token; a valid one without the scope asked for.
    INVALID_TOKEN = "Unauthorized: Invalid service token"  # noqa: S105 (a message)
    TOKEN_LACKS_SCOPE = "Forbidden"  # noqa: S105 (a message)
    # A malformed key, a bad checksum, an unknown, revoked or expired key, or its user is
    # deactivated.
    INVALID_KEY = "Unauthorized: Invalid API Key"
    INVALID_USER = "Invalid User"  # an active key of another userId
    PROJECT_NOT_FOUND = "Project not found"


# The metric's label per outcome (core.metrics): stable names, not the messages.
OUTCOME_LABELS: dict[VerifyFailure | None, str] = {
    None: "ok",
    **{failure: failure.name.lower() for failure in VerifyFailure},
}
verify_outcomes_declare(outcomes=OUTCOME_LABELS.values())


@dataclass(frozen=True, slots=True)
class Verification:
    user_pk: int | None = None
    user_public_id: str | None = None
    project_pk: int | None = None  # set when a project was asked about
    access: Access = Access.NONE  # the key owner's access to that project
    failure: VerifyFailure | None = None
    # The key row the presented key matched, active or retired (apikeys.usage.counting counts its
    # uses); None when no key row matched or the key was not looked up.
    key_pk: int | None = None
    key_retired: bool = False  # the matched row was rotated or revoked: refused
    # When the accepted key expires (None: never): an answer about it holds until then only.
    key_expires_at: datetime | None = None
    project: ProjectFacts | None = None  # that project's fields (the public API's answers)

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """The service token an internal caller relays a key with, and the scope it needs."""

    token: object
    scope: str = Scope.VERIFY.value


def apikey_verify(
    *,
    key: object,
    user_public_id: object,
    project_public_id: str | None = None,
    token: TokenCheck | None = None,
) -> Verification:
    """Is `key` an active key of an active user, and does it belong to `user_public_id`?

    With `project_public_id`, also: does the project exist, and what access does the key's
    owner have to it (`Verification.access`; whether that suffices is the caller's call).
    With `token`, first: is it an active service token carrying `token.scope`.

    A malformed token, or a malformed key or bad checksum without a token, is refused without
    touching the database; otherwise exactly one query, then constant-time comparisons. A
    deactivated user's key (User.is_active false) is an unknown key, and so is a key from its
    expiry instant on (ApiKey.expires_at ≤ django.utils.timezone.now()). A replaced key is
    accepted during its overlap on renewal, until ApiKey.overlap_until (apikeys.overlap).
    Each outcome is counted (core.metrics: keyservice_verify_total{outcome}).
    """
    result = _verify(
        key=key, user_public_id=user_public_id, project_public_id=project_public_id, token=token
    )
    verify_outcome_count(outcome=OUTCOME_LABELS[result.failure])
    return result


def _verify(
    *,
    key: object,
    user_public_id: object,
    project_public_id: str | None,
    token: TokenCheck | None,
) -> Verification:
    relayed = None if token is None else token.token
    if token is not None and not token_is_well_formed(relayed):
        return Verification(failure=VerifyFailure.INVALID_TOKEN)
    key_digest = crypto.digest(key) if crypto.is_well_formed(key) else None
    if key_digest is None and token is None:
        return Verification(failure=VerifyFailure.INVALID_KEY)
    found = credential_lookup_cached(
        key_digest=key_digest,
        project_public_id=(
            project_public_id
            if project_public_id is not None and is_public_id(project_public_id)
            else None
        ),
        token_digest=token_digest(relayed) if token_is_well_formed(relayed) else None,
        scope=Scope.VERIFY.value if token is None else token.scope,
    )
    if not found.token_ok:
        return Verification(failure=VerifyFailure.INVALID_TOKEN)
    if not found.token_has_scope:
        return Verification(failure=VerifyFailure.TOKEN_LACKS_SCOPE)
    key_pk = found.key_pk
    if key_digest is None or not found.key_found or found.user_public_id is None:
        return Verification(
            failure=VerifyFailure.INVALID_KEY, key_pk=key_pk, key_retired=found.key_retired
        )
    if not isinstance(user_public_id, str) or not hmac.compare_digest(
        found.user_public_id.encode(), user_public_id.encode()
    ):
        return Verification(failure=VerifyFailure.INVALID_USER, key_pk=key_pk)
    if project_public_id is not None and found.project_pk is None:
        return Verification(failure=VerifyFailure.PROJECT_NOT_FOUND, key_pk=key_pk)
    return Verification(
        key_pk=key_pk,
        user_pk=found.user_pk,
        user_public_id=found.user_public_id,
        project_pk=found.project_pk,
        access=found.access,
        key_expires_at=found.key_expires_at,
        project=found.project,
    )


def credential_lookup_cached(
    *, key_digest: str | None, project_public_id: str | None, token_digest: str | None, scope: str
) -> CredentialLookup:
    """credential_lookup's answer through the leased cache (core.leasedcache): no query
    on a current entry, the one query otherwise."""
    answer: CredentialLookup
    answer, _ = cached(
        (key_digest, project_public_id, token_digest, scope),
        compute=lambda: credential_lookup(
            key_digest=key_digest,
            project_public_id=project_public_id,
            token_digest=token_digest,
            scope=scope,
        ),
        depends_on=partial(
            _depends_on,
            with_token=token_digest is not None,
            with_project=project_public_id is not None,
        ),
    )
    return answer


def _depends_on(found: CredentialLookup, *, with_token: bool, with_project: bool) -> Depends | None:
    """What an answer depends on, or None when it must not be cached: only a found
    key (of an active user), with the token and the project found when they were asked
    about. Every row the query read announces one of them (apikeys/verifier/sources.py)."""
    if not found.key_found or found.user_pk is None:
        return None
    keys: list[tuple[Topic, object]] = [(Topic.USER, found.user_pk)]
    if with_project:
        if found.project_pk is None:
            return None
        keys.append((Topic.PROJECT, found.project_pk))
    if with_token:
        if found.token_pk is None:
            return None
        keys.append((Topic.TOKEN, found.token_pk))
    return Depends(keys, valid_until=found.key_works_until)


@dataclass(frozen=True, slots=True)
class CredentialLookup:
    token_ok: bool  # always True when no token was asked about
    token_has_scope: bool  # the token carries the scope asked about (True when none was)
    key_found: bool  # an active key (unrevoked, unexpired) of an active user
    key_pk: int | None  # the row with this digest, active or retired (None: no such row)
    key_retired: bool  # that row was rotated, revoked or has expired
    user_pk: int | None
    user_public_id: str | None
    project_pk: int | None
    access: Access
    token_pk: int | None = None  # the active service token asked about
    project: ProjectFacts | None = None  # the project asked about, when it exists
    key_expires_at: datetime | None = None  # the key's expiry (None: it does not expire)
    # When the found key stops working: its expiry or its overlap's end, whichever is first.
    key_works_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """The project's fields the public API answers with, read by the same query."""

    public_id: str
    name: str
    status: str
    region: str
    custom_domain: str
    created_at: datetime
    updated_at: datetime


@cache
def _sql(with_token: bool) -> str:
    key, user, project = ApiKey._meta.db_table, User._meta.db_table, Project._meta.db_table
    token = ServiceToken._meta.db_table
    q = connection.ops.quote_name
    # Only quoted table names from model metadata and SQL compiled by Django are
    # interpolated; values are parameters.
    # The token columns: its id, and NULL = no such active token, 1 = active without the
    # scope, 2 = with it.
    token_cols, token_join = "NULL, 2", ""
    if with_token:
        token_cols = """t.id, CASE WHEN t.id IS NULL THEN NULL
                          WHEN (' ' || t.scopes || ' ') LIKE %(scope)s THEN 2 ELSE 1 END"""  # noqa: S105 (SQL)
        token_join = f"""LEFT JOIN {q(token)} t
                           ON t.digest = %(token)s AND t.revoked_at IS NULL"""
    # The key row is found whatever its state (its uses are counted: apikeys.usage.counting);
    # only an active key of an active user finds a user row: a rotated, revoked or expired key,
    # or a key of a deactivated user (is_active false), is an unknown key. A replaced key in
    # its overlap on renewal (apikeys.overlap) is active until overlap_until. "now" is a parameter
    # (the caller's clock, not the database's).
    return f"""
        SELECT {token_cols}, k.digest, u.id, u.public_id, p.id, p.owner_id,
               ({_granted_role_sql()}),
               p.public_id, p.name, p.status, p.region, p.custom_domain, p.created_at,
               p.updated_at,
               k.id, ((k.revoked_at IS NOT NULL
                       AND (k.overlap_until IS NULL OR k.overlap_until <= %(now)s))
                      OR k.expires_at <= %(now)s),
               k.expires_at, k.overlap_until
          FROM (SELECT 1 AS one) AS one
          {token_join}
          LEFT JOIN {q(key)} k ON k.digest = %(digest)s
          LEFT JOIN {q(user)} u ON u.id = k.user_id AND u.is_active
                              AND (k.revoked_at IS NULL OR k.overlap_until > %(now)s)
                              AND (k.expires_at IS NULL OR k.expires_at > %(now)s)
          LEFT JOIN {q(project)} p ON p.public_id = %(project)s
    """  # noqa: S608


def _granted_role_sql() -> str:
    """teams' rule (`membership_find_granting`) as a scalar subquery over the outer row's
    user `u` and project `p`: the role of the membership that grants access, or NULL."""
    granting = membership_find_granting(
        user_id=RawSQL("u.id", ()),
        project_id=RawSQL("p.id", ()),
        project_owner_id=RawSQL("p.owner_id", ()),
    ).values("role")[:1]
    sql, params = granting.query.get_compiler(connection=connection).as_sql()
    if params or "%" in sql:  # it is interpolated into a query with named parameters
        raise ValueError("the membership rule must compile to SQL without parameters")
    return str(sql)


def credential_lookup(
    *,
    key_digest: str | None,
    project_public_id: str | None,
    token_digest: str | None = None,
    scope: str = Scope.VERIFY.value,
) -> CredentialLookup:
    """One query. Pass key_digest=None to check only the token (the key was malformed).

    With a token_digest, the token must be active, and `token_has_scope` says whether it
    carries `scope`. A key is looked up as of django.utils.timezone.now()."""
    params: dict[str, str | datetime | None] = {
        # as a DateTimeField value is stored (PostgreSQL: the datetime itself)
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "digest": key_digest,
        "project": project_public_id,
        "token": token_digest,
        "scope": _scope_pattern(scope),
    }
    row = fetch_one_row(_sql(token_digest is not None), params)
    token_pk, token_state, row_digest, user_pk, user_public_id, project_pk, owner_pk, role = row[:8]
    project = ProjectFacts(*row[8:15]) if project_pk is not None else None
    key_pk, retired, expires_at, overlap_until = row[15], row[16], row[17], row[18]
    digest_matches = (
        row_digest is not None
        and key_digest is not None
        and hmac.compare_digest(row_digest, key_digest)
    )
    if not digest_matches:
        key_pk, retired = None, False
    key_found = user_pk is not None and digest_matches
    if not key_found:
        user_pk = user_public_id = expires_at = overlap_until = None
    access = Access.NONE
    if user_pk is not None and project_pk is not None:
        access = access_resolve(user_id=user_pk, project_owner_id=owner_pk, member_role=role)
    return CredentialLookup(
        token_ok=token_state is not None,
        token_has_scope=token_state == 2,
        key_found=key_found,
        key_pk=key_pk,
        key_retired=bool(retired),
        user_pk=user_pk,
        user_public_id=user_public_id,
        project_pk=project_pk,
        access=access,
        key_expires_at=expires_at,
        key_works_until=min(
            (when for when in (expires_at, overlap_until) if when is not None), default=None
        ),
        token_pk=token_pk,
        project=project,
    )


def _scope_pattern(scope: str) -> str:
    """A LIKE pattern matching `scope` as one word of a token's space-separated scopes.
    Scope names are validated lowercase words and hyphens: no LIKE wildcard can occur."""
    if not SCOPE_NAME.fullmatch(scope):
        raise ValueError(f"not a scope name: {scope!r}")
    return f"% {scope} %"
