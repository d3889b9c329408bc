"""One authentication and permission path for every API endpoint (docs/api.md check order).

2 credentials present → 3 active key → 4 key owner is `userId` → 5 project exists →
6 access. Rows 1 (body) and 7-8 (endpoint fields, rate limits) belong to the views.
Rows 3-5 (and the internal API's service token) are checked by the one verifier,
apikeys.verifier.credentials.apikey_verify; this module turns its outcome into docs/api.md's
answers, decides whether the access suffices, and counts failed authentications. The credential
is always checked first (one query; a malformed key none): a request with valid
credentials is never refused by a failure budget. Only failed authentications count,
per client (core.clientip.client_identity: REMOTE_ADDR, or the KEYSERVICE_NUM_PROXIES-th
X-Forwarded-For entry from the right behind trusted proxies, as one canonical IP, an IPv6 one
as its /64); past that flood limit a failure answers 429 instead of 401. There is no
per-userId budget: keys carry 256 random bits, so it would protect nothing, and it would
turn a rotated-key integration's documented 401 into 429. On the internal API only wrong
service tokens count (per client).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from django.http import HttpRequest
from rest_framework.request import Request

from api.errors import ApiError, RateLimited
from api.throttles import AuthFailureByClient
from apikeys.selectors import service_token_identity
from apikeys.tokens import token_digest, token_is_well_formed
from apikeys.usage.counting import usage_record
from apikeys.usage.models import Surface
from apikeys.verifier.credentials import (
    ProjectFacts,
    TokenCheck,
    Verification,
    VerifyFailure,
    apikey_verify,
)
from core.clientip import client_address_normalize, client_address_raw, client_identity
from core.ids import public_id_normalize
from teams.selectors import Access

logger = logging.getLogger(__name__)

Need = Literal["read", "write"]
# The DRF view's request or, on the lean transport (api.lean), Django's: only META is read.
AnyRequest = HttpRequest | Request

# (status, message) rows of docs/api.md's error table; a fresh exception is raised each time.
INVALID_KEY = (401, VerifyFailure.INVALID_KEY.value)
INVALID_USER = (401, VerifyFailure.INVALID_USER.value)
PROJECT_NOT_FOUND = (404, VerifyFailure.PROJECT_NOT_FOUND.value)
FORBIDDEN = (403, "Forbidden")
INVALID_TOKEN = (401, VerifyFailure.INVALID_TOKEN.value)
MISSING_TOKEN = (401, "Unauthorized: Missing service token")


def missing_scope(scope: str) -> tuple[int, str]:
    """A valid service token used outside its scopes (not an authentication failure): docs/api.md's
    `403 {"message": "Forbidden"}`; the missing scope is in the server log, not the answer."""
    logger.info("service token refused: it lacks scope %s", scope)
    return FORBIDDEN


@dataclass(frozen=True, slots=True)
class Principal:
    user_pk: int
    user_public_id: str


@dataclass(frozen=True, slots=True)
class ProjectPrincipal(Principal):
    """A principal authorized on a project (authorize_project): the project and the access."""

    project_pk: int
    access: Access
    project: ProjectFacts  # its fields, read (or cached) with the credential


def require_strings(values: Mapping[str, object], message: str) -> dict[str, str]:
    """Row 2: every credential present and a string; returns them, typed as such."""
    strings = {k: v for k, v in values.items() if isinstance(v, str) and v}
    if len(strings) != len(values):
        raise ApiError(400, message)
    return strings


def _failed(request: AnyRequest, error: tuple[int, str], *, counted: bool = True) -> ApiError:
    """Count a failed authentication of the client (core.clientip.client_identity); past its
    flood limit the answer becomes 429 (with Retry-After) instead of `error`.

    `counted=False` for end-user key failures relayed by an authenticated internal service:
    its address is not locked out because its users send bad keys (brute force through the
    internal API first needs a valid service token).
    """
    if not counted:
        return ApiError(*error)
    throttle = AuthFailureByClient(client_identity(request.META))
    if not throttle.allow_request(request, None):
        return RateLimited(throttle.wait())
    return ApiError(*error)


def client_address(request: AnyRequest) -> str:
    """The client's own address (REMOTE_ADDR, or the KEYSERVICE_NUM_PROXIES-th X-Forwarded-For
    entry from the right), as one canonical IP however it is spelled, for records (audit
    details); "" when the server gave none. Limits count `core.clientip.client_identity`."""
    return client_address_normalize(client_address_raw(request.META))


def _refused(
    request: AnyRequest, result: Verification, *, scope: str = "verify", relayed: bool = False
) -> ApiError:
    """The answer to a refused credential (apikeys.verifier.credentials.VerifyFailure), once for all
    endpoints. Key and owner failures relayed by an internal service are not counted."""
    match result.failure:
        case VerifyFailure.INVALID_TOKEN:
            return _failed(request, INVALID_TOKEN)
        case VerifyFailure.TOKEN_LACKS_SCOPE:
            return ApiError(*missing_scope(scope))
        case VerifyFailure.INVALID_KEY:
            return _failed(request, INVALID_KEY, counted=not relayed)
        case VerifyFailure.INVALID_USER:
            return _failed(request, INVALID_USER, counted=not relayed)
        case VerifyFailure.PROJECT_NOT_FOUND:
            return ApiError(*PROJECT_NOT_FOUND)
    raise AssertionError(f"not a refusal: {result!r}")


def _used(request: AnyRequest, result: Verification, *, accepted: bool, surface: Surface) -> None:
    """Count a use of the key row the verifier matched (apikeys.usage.counting: in memory, no
    I/O)."""
    if result.key_pk is not None:
        usage_record(
            key_pk=result.key_pk,
            accepted=accepted,
            retired=result.key_retired,
            surface=surface,
            address=client_address_raw(request.META),  # normalised at flush time
        )


def authorize_user(request: AnyRequest, *, api_key: str, user_id: str) -> Principal:
    """Rows 3-4 for endpoints without a project (lists): the key and its owner."""
    result = apikey_verify(key=api_key, user_public_id=public_id_normalize(user_id))
    _used(request, result, accepted=result.ok, surface=Surface.PUBLIC)
    if not result.ok:
        raise _refused(request, result)
    assert result.user_pk is not None and result.user_public_id is not None  # set when ok
    return Principal(user_pk=result.user_pk, user_public_id=result.user_public_id)


def authorize_project(
    request: AnyRequest,
    *,
    api_key: str,
    user_id: str,
    project_id: str,
    need: Need,
    service_token: str | None = None,
    check_token: bool = False,
    scope: str = "verify",
) -> ProjectPrincipal:
    """Rows 3-6 in one database round trip (and the service token, for the internal API).
    userId and projectId are ids in any case (core.ids.public_id_normalize)."""
    result = apikey_verify(
        key=api_key,
        user_public_id=public_id_normalize(user_id),
        project_public_id=public_id_normalize(project_id),
        token=TokenCheck(token=service_token, scope=scope) if check_token else None,
    )
    allowed = result.ok and (result.access.can_write if need == "write" else result.access.can_read)
    _used(
        request,
        result,
        accepted=allowed,
        surface=Surface.INTERNAL if check_token else Surface.PUBLIC,
    )
    if not result.ok:
        # an internal service relays its users' keys
        raise _refused(request, result, scope=scope, relayed=check_token)
    if not allowed:
        raise ApiError(*FORBIDDEN)
    # set when ok, with a project asked about
    assert result.user_pk is not None and result.user_public_id is not None
    assert result.project_pk is not None and result.project is not None
    return ProjectPrincipal(
        user_pk=result.user_pk,
        user_public_id=result.user_public_id,
        project_pk=result.project_pk,
        access=result.access,
        project=result.project,
    )


def authenticate_service(request: Request, token: str | None, *, scope: str) -> str:
    """The calling internal service's name, for endpoints that need only the token.

    401 for a missing, malformed, unknown or revoked token; the last three count as
    authentication failures of the client address, as on `verify`. 403 for a valid token
    without `scope`.
    """
    if token is None:
        raise ApiError(*MISSING_TOKEN)
    service = (
        service_token_identity(digest=token_digest(token)) if token_is_well_formed(token) else None
    )
    if service is None:
        raise _failed(request, INVALID_TOKEN)
    if scope not in service.scopes:
        raise ApiError(*missing_scope(scope))
    return service.name
