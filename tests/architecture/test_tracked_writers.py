"""Every service that writes a tracked model (core.leasedcache) says so in its docstring: that
it announces the change, waits for every lease holder, and is refused with CacheUnavailable
while the cache's Redis is down — a write's cost that its caller cannot see otherwise.

Which services write a tracked model is read from their source: a public function of a service
module whose body writes (save, delete, create, update, bulk writes, many-to-many edits) and
names a tracked model, or calls a service that does, must be in WRITERS or in EXEMPT (a write
of fields no reader reads, or of another model: it announces nothing)."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from core.leasedcache import tracked_models

ROOT = Path(__file__).resolve().parents[2]

SERVICE_MODULES = (
    "accounts/services.py",
    "apikeys/account_hooks.py",
    "apikeys/expiry.py",
    "apikeys/leaks/services.py",
    "apikeys/revocation.py",
    "apikeys/rotation.py",
    "apikeys/service_tokens.py",
    "apikeys/services.py",
    "audit/services.py",
    "builds/services.py",
    "builds/status_transitions.py",
    "lifecycle/account_hooks.py",
    "lifecycle/services.py",
    "outbox/services.py",
    "projects/services.py",
    "teams/account_hooks.py",
    "teams/directory.py",
    "teams/invitations.py",
    "teams/services.py",
    "webhooks/configure.py",
    "webhooks/services.py",
)

WRITERS = {
    "accounts/services.py": {
        "user_create_or_update",
        "user_active_set",
        "user_delete",
        "user_unproven_remove",
    },
    "apikeys/account_hooks.py": {"apikey_revoke_on_access_end"},
    "apikeys/service_tokens.py": {
        "service_token_create",
        "service_token_set_scopes",
        "service_token_revoke",
    },
    "apikeys/services.py": {"apikey_issue"},
    "apikeys/expiry.py": {"apikey_expiry_scan"},
    "apikeys/revocation.py": {
        "keys_replace_current",
        "overlaps_end",
        "apikey_overlap_end",
        "overlaps_settle",
        "apikey_revoke",
        "apikey_revoke_own",
        "apikey_overlap_end_own",
    },
    "builds/services.py": {"upload_create", "upload_status_report"},
    "projects/services.py": {
        "project_create_or_update",
        "project_rename",
        "project_touch",
        "project_settings_update",
        "project_status_set",
        "project_delete",
    },
    "teams/directory.py": {"directory_import"},
    "teams/invitations.py": {"invitation_accept"},
    "teams/services.py": {"membership_upsert", "membership_remove"},
    "webhooks/configure.py": {
        "webhook_get_or_create",
        "webhook_settings_update",
        "webhook_secret_rotate",
    },
}

# Services the source scan flags that announce nothing, and why.
EXEMPT = {
    "accounts/services.py": {
        "user_vouched_address_record": "writes allauth's EmailAddress only",
        "user_email_change": "writes a user's email only, which no reader reads",
    },
    "apikeys/rotation.py": {
        "kek_rotate_batch": "re-encrypts keys: ciphertext and kek_id are ignored fields",
        "kek_rotate": "re-encrypts keys: ciphertext and kek_id are ignored fields",
    },
    "apikeys/services.py": {"keyuse_dismiss": "writes KeyUse only"},
    "audit/services.py": {"audit_record": "writes AuditEvent only"},
    "builds/services.py": {
        "upload_distribute": "writes the pipeline's bookkeeping fields only",
        "upload_distribution_hand_over": "writes the pipeline's bookkeeping fields only",
        "upload_hand_over": "writes the pipeline's bookkeeping fields only",
    },
    "teams/invitations.py": {"invitation_create": "writes Invitation rows only"},
    "teams/services.py": {"membership_end_record": "writes FormerMembership rows only"},
    "webhooks/configure.py": {
        "webhook_previous_secrets_drop": "writes a webhook's secrets only, which no reader reads"
    },
}

WRITE_CALL = re.compile(
    r"\.(save|delete|create|update|bulk_create|bulk_update|get_or_create|update_or_create"
    r"|add|remove|set|clear)\("
)
SAYS = ("announces", "lease holder", "CacheUnavailable")


@cache
def _functions(module: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse((ROOT / module).read_text())
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }


def _writer_names() -> set[str]:
    return {name for names in WRITERS.values() for name in names}


def _flagged(module: str) -> set[str]:
    """The public functions of `module` that look like writes of a tracked model."""
    source = (ROOT / module).read_text()
    tracked = {model.__name__ for model in tracked_models()}
    flagged = set()
    for name, node in _functions(module).items():
        body = ast.get_source_segment(source, node) or ""
        named = any(re.search(rf"\b{re.escape(m)}\b", body) for m in tracked)
        calls = {
            getattr(call.func, "id", getattr(call.func, "attr", None))
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
        }
        if (named and WRITE_CALL.search(body)) or calls & (_writer_names() - {name}):
            flagged.add(name)
    return flagged


@pytest.mark.parametrize("module", sorted(WRITERS))
def test_every_service_that_writes_a_tracked_model_says_what_the_write_costs(module):
    functions = _functions(module)
    missing = [
        f"{module}: {name} must say {', '.join(repr(s) for s in SAYS)}"
        for name in sorted(WRITERS[module])
        if not all(said in (ast.get_docstring(functions[name]) or "") for said in SAYS)
    ]
    assert missing == []


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_every_service_that_looks_like_a_tracked_write_is_classified(module):
    known = WRITERS.get(module, set()) | set(EXEMPT.get(module, {}))
    assert sorted(_flagged(module) - known) == [], (
        "add it to WRITERS (and say so in its docstring) or to EXEMPT (with why)"
    )


def test_the_tables_name_only_functions_that_exist():
    for table in (WRITERS, EXEMPT):
        for module, names in table.items():
            assert set(names) <= set(_functions(module)), module
