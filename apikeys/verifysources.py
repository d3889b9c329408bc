"""The rows the one verifier's query reads, and the stamps each touches (core.stamped).

`credential_lookup` reads a service token, a key, the key's owner, a project and the owner's
granting membership (with its access list): every answer the verify cache holds depends on
exactly these tables. Each is tracked here, once, so that every write path of each bumps the
stamp its row affects — the key owner's (`u`), the project's (`p`), the token's (`t`).
apikeys/tests/test_verifycache_coverage.py fails if the query reads a table not tracked here.
"""

from __future__ import annotations

from accounts.models import User
from apikeys.models import ApiKey, ServiceToken
from core.stamped import stamps_track, stamps_track_m2m
from core.stamps import StampKind
from projects.models import Project
from teams.models import Membership


def verify_sources_track() -> None:
    """Called once, from apikeys.apps.ApikeysConfig.ready."""
    # A user's own id and activity (the key's owner; a membership's member must be active).
    # Sign-in (last_login), sessions, password and profile edits bump nothing.
    stamps_track(User, sources=[(StampKind.USER, "id")], watched=["id", "public_id", "is_active"])
    # A key belongs to its user's answers; re-encrypting it (rotate_encryption_key) or the
    # expiry scan's reminder stage (apikeys.expiry) changes nothing a verify answers.
    stamps_track(
        ApiKey,
        sources=[(StampKind.USER, "user_id")],
        ignored=["ciphertext", "kek_id", "hint", "request_digest", "expiry_stage"],
    )
    stamps_track(ServiceToken, sources=[(StampKind.TOKEN, "id")], ignored=["name", "hint"])
    # Every field: the public API answers with the project's fields.
    stamps_track(Project, sources=[(StampKind.PROJECT, "id")])
    # A membership's role, owner or member: the member's answers.
    stamps_track(Membership, sources=[(StampKind.USER, "member_id")])
    # The access list: a (membership, project) row decides access to that project only.
    stamps_track(Membership.projects.through, sources=[(StampKind.PROJECT, "project_id")])
    stamps_track_m2m(Membership.projects)
