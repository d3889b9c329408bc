"""Helpers of the verify cache's tests: verify calls and warming an entry (the fixtures
`token` and `committed` are in apikeys/tests/conftest.py)."""

from __future__ import annotations

import json

from apikeys.verifycache import Outcome, outcomes


def verify(client, token, key, user, project, access="read"):
    body = {"apiKey": key, "userId": user.public_id, "projectId": project.public_id}
    return client.post(
        "/internal/v1/verify",
        json.dumps({**body, "access": access}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token.plaintext}",
    )


def warm(client, token, key, user, project, access="read"):
    """Two misses (the first learns which stamps to read, the second stores), then a hit."""
    for _ in range(3):
        assert verify(client, token, key, user, project, access).status_code == 200
    assert outcomes[Outcome.HIT] >= 1
