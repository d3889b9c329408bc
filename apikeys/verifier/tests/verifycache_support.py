"""Helpers of the verifier cache's tests: verify calls and warming an entry (the fixtures
`token` and `committed` are in apikeys/tests/conftest.py)."""

from __future__ import annotations

from core.leasedcache import Outcome, outcomes
from tests.support.api import internal_verify


def verify(client, token, key, user, project, access="read"):
    body = {"apiKey": key, "userId": user.public_id, "projectId": project.public_id}
    return internal_verify(client, token.plaintext, **body, access=access)


def warm(client, token, key, user, project, access="read"):
    """A miss (which stores), then hits."""
    for _ in range(3):
        assert verify(client, token, key, user, project, access).status_code == 200
    assert outcomes[Outcome.HIT] >= 1


def raced_lookup(owner, member, project, committed):
    """The credential query for `member`'s key and `project`, a variant that removes `member`
    from the team right after reading (a write committing while an answer is computed), and
    what its answer depends on: (plain lookup, raced lookup, depends_on)."""
    from apikeys.models import ApiKey
    from apikeys.verifier.credentials import _depends_on, credential_lookup
    from audit.services import SYSTEM
    from teams.services import membership_remove

    args = {
        "key_digest": ApiKey.objects.get(user=member, revoked_at=None).digest,
        "project_public_id": project.public_id,
    }

    def lookup():
        return credential_lookup(**args)

    def lookup_then_remove():
        found = credential_lookup(**args)
        with committed():
            membership_remove(owner=owner, member=member, actor=SYSTEM)
        return found

    def depends_on(found):
        return _depends_on(found, with_token=False, with_project=True)

    return lookup, lookup_then_remove, depends_on
