"""What the verifier's one query reads (apikeys/verifier/credentials.py, `credential_lookup`),
and the names each row's writes announce (core.leasedcache).

`credential_lookup` reads a service token, a key, the key's owner, a project and the owner's
granting membership (with its access list): every answer the cache holds for the verifier
depends on exactly these tables. The wiring installs them (keyservice/wiring.py, READERS), so
that every write path of each announces what its row affects — the key owner (`USER`), the
project (`PROJECT`), the token (`TOKEN`). tests/architecture/test_cached_readers.py fails if the
query reads a table not declared here.
"""

from __future__ import annotations

from accounts.models import User
from apikeys.models import ApiKey, ServiceToken
from core.leasedcache import Source, Sources, Topic
from projects.models import Project
from teams.models import Membership

VERIFIER_SOURCES = Sources(
    reader="the verifier",
    query="apikeys.verifier.credentials.credential_lookup",
    sources=(
        Source(
            User,
            announces=((Topic.USER, "id"),),
            watched=("id", "public_id", "is_active"),
            why="a user's own id and activity (the key's owner; a member must be active); "
            "sign-in (last_login), sessions, password and profile edits announce nothing",
        ),
        Source(
            ApiKey,
            announces=((Topic.USER, "user_id"),),
            ignored=("ciphertext", "kek_id", "hint", "request_digest", "expiry_stage"),
            why="a key belongs to its user's answers; re-encrypting it (rotate_encryption_key) "
            "or the expiry scan's reminder stage changes nothing a verify answers",
        ),
        Source(
            ServiceToken,
            announces=((Topic.TOKEN, "id"),),
            ignored=("name", "hint"),
            why="the token's digest, scopes and revocation",
        ),
        Source(
            Project,
            announces=((Topic.PROJECT, "id"),),
            why="every field: the public API answers with the project's fields",
        ),
        Source(
            Membership,
            announces=((Topic.USER, "member_id"),),
            why="a membership's role, owner or member: the member's answers",
        ),
        Source(
            Membership.projects.through,
            announces=((Topic.PROJECT, "project_id"),),
            why="the access list: a (membership, project) row decides access to that project",
        ),
    ),
    m2m=(Membership.projects,),
)
