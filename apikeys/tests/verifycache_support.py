"""Helpers of the verify cache's tests: verify calls and warming an entry (the fixtures
`token` and `committed` are in apikeys/tests/conftest.py)."""

from __future__ import annotations

from apikeys.verifycache import Outcome, outcomes
from tests.support.api import internal_verify


def verify(client, token, key, user, project, access="read"):
    body = {"apiKey": key, "userId": user.public_id, "projectId": project.public_id}
    return internal_verify(client, token.plaintext, **body, access=access)


def warm(client, token, key, user, project, access="read"):
    """Two misses (the first learns which stamps to read, the second stores), then a hit."""
    for _ in range(3):
        assert verify(client, token, key, user, project, access).status_code == 200
    assert outcomes[Outcome.HIT] >= 1
