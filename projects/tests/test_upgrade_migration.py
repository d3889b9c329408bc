"""Upgrading a database in place across the move of Project out of accounts: a database filled
at the old schema (Project in accounts, its webhook settings on it) is migrated to the latest
and every row survives, then back again.

The old schema is the last migration of each app before projects 0001 (the first migration of
the move); the models of that moment are the historical ones, so nothing here depends on the
current code but the final checks.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apikeys.models import ApiKey
from builds.models import Upload
from projects.models import Project
from teams.models import Invitation, Membership
from tests.support.migrations import migrate_to, migrate_to_latest
from webhooks.models import Webhook, WebhookDelivery

OLD = [
    ("accounts", "0003_user_session_epoch"),
    ("teams", "0002_invitation"),
    ("builds", "0001_initial"),
    ("webhooks", "0001_initial"),
    ("apikeys", "0004_apikey_request_digest"),
    ("api", "0002_servicetoken_scopes"),
    ("outbox", "0003_outboxemail_leak_notice"),
]
SECRETS = ["ab" * 32, "0123456789abcdef" * 4, "f" * 64]


def _old_apps():
    return MigrationExecutor(connection).loader.project_state(OLD, at_end=True).apps


def _fill_old_schema() -> dict:
    """Users, projects with webhook settings, memberships and invitations with access lists,
    an API key, an upload and a webhook delivery, written through the old models."""
    old = _old_apps()
    User = old.get_model("accounts", "User")
    Project = old.get_model("accounts", "Project")
    Membership = old.get_model("teams", "Membership")
    Invitation = old.get_model("teams", "Invitation")
    ApiKey = old.get_model("apikeys", "ApiKey")
    Upload = old.get_model("builds", "Upload")
    Delivery = old.get_model("webhooks", "WebhookDelivery")

    owner = User.objects.create(email="owner@example.com", password="!", public_id="a" * 24)
    member = User.objects.create(email="member@example.com", password="!", public_id="b" * 24)
    hooked = Project.objects.create(
        owner=owner,
        name="Showroom",
        public_id="c" * 24,
        webhook_url="https://hooks.example.com/showroom",
        webhook_events=["build.uploaded", "build.approved"],
        webhook_secret=SECRETS[0],
    )
    plain = Project.objects.create(
        owner=owner, name="Configurator", public_id="d" * 24, webhook_secret=SECRETS[1]
    )
    theirs = Project.objects.create(
        owner=member,
        name="Lab",
        public_id="e" * 24,
        webhook_url="http://10.0.0.1/stored-before-the-policy",
        webhook_events=[],
        webhook_secret=SECRETS[2],
    )
    membership = Membership.objects.create(owner=owner, member=member, role="READONLY")
    membership.projects.set([hooked, plain])
    invitation = Invitation.objects.create(
        owner=owner,
        email="New@Example.com",
        role="FULL",
        base_url="https://keys.example.com",
        expires_at=timezone.now() + timedelta(days=7),
        sent_count=1,
    )
    invitation.projects.set([plain])
    key = ApiKey.objects.create(
        user=member,
        ciphertext="0" * 32 + ":" + "ab" * 16,
        kek_id="kek1",
        digest="9" * 64,
        hint="spx_…WXYZ",
    )
    upload = Upload.objects.create(
        project=hooked,
        user=member,
        public_id="f" * 24,
        file_url="https://cdn.example.com/b.zip",
        status="approved",
    )
    delivery = Delivery.objects.create(
        project=hooked,
        event="build.approved",
        url="https://hooks.example.com/showroom",
        payload={"event": "build.approved", "projectId": hooked.public_id},
        state="delivered",
        attempts=2,
        status_code=200,
    )
    return {
        "users": {owner.pk: owner.public_id, member.pk: member.public_id},
        "projects": {
            p.pk: (p.public_id, p.name, p.owner_id, p.created_at) for p in (hooked, plain, theirs)
        },
        "hooks": {
            hooked.pk: ("https://hooks.example.com/showroom", ["build.uploaded", "build.approved"]),
            plain.pk: ("", []),
            theirs.pk: ("http://10.0.0.1/stored-before-the-policy", []),
        },
        "secrets": {hooked.pk: SECRETS[0], plain.pk: SECRETS[1], theirs.pk: SECRETS[2]},
        "membership": (membership.pk, {hooked.pk, plain.pk}),
        "invitation": (invitation.pk, {plain.pk}),
        "key": (key.pk, key.digest, member.pk),
        "upload": (upload.pk, upload.public_id, hooked.pk),
        "delivery": (delivery.pk, hooked.pk),
    }


def _fk_target(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass "
            "AND conkey = ARRAY[(SELECT attnum FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = %s)]",
            [table, table, column],
        )
        [(target,)] = cursor.fetchall()
    return target


def _check_upgraded(rows: dict) -> None:
    projects = {
        p.pk: (p.public_id, p.name, p.owner_id, p.created_at) for p in Project.objects.all()
    }
    assert projects == rows["projects"]
    assert {p.owner_id: p.owner.public_id for p in Project.objects.all()} == rows["users"]
    # projects 0004: every existing project gets the documented default region, no domain.
    assert {(p.region, p.custom_domain) for p in Project.objects.all()} == {("asia-pacific", "")}
    hooks = {w.project_id: (w.url, w.events) for w in Webhook.objects.all()}
    assert hooks == rows["hooks"]
    assert {w.project_id: w.secret for w in Webhook.objects.all()} == rows["secrets"]
    pk, access = rows["membership"]
    membership = Membership.objects.get(pk=pk)
    assert (membership.role, set(membership.projects.values_list("pk", flat=True))) == (
        "READONLY",
        access,
    )
    pk, access = rows["invitation"]
    invitation = Invitation.objects.get(pk=pk)
    # teams 0004: the address in its canonical form (accounts.addresses).
    assert (invitation.email, invitation.state, invitation.sent_count) == (
        "new@example.com",
        "pending",
        1,
    )
    assert set(invitation.projects.values_list("pk", flat=True)) == access
    pk, digest, user_id = rows["key"]
    assert ApiKey.objects.filter(pk=pk, digest=digest, user_id=user_id).exists()
    pk, public_id, project_id = rows["upload"]
    assert Upload.objects.get(pk=pk).project.public_id == rows["projects"][project_id][0]
    assert Upload.objects.get(pk=pk).public_id == public_id
    pk, project_id = rows["delivery"]
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert (delivery.project_id, delivery.state, delivery.attempts) == (project_id, "delivered", 2)
    # The table was renamed in place: every foreign key follows it.
    for table, column in [
        ("teams_membership_projects", "project_id"),
        ("teams_invitation_projects", "project_id"),
        ("builds_upload", "project_id"),
        ("webhooks_webhookdelivery", "project_id"),
        ("webhooks_webhook", "project_id"),
    ]:
        assert _fk_target(table, column) == "projects_project"


@pytest.mark.django_db(transaction=True)
def test_an_old_schema_database_upgrades_in_place_and_back(postgres):
    migrate_to([*OLD, ("projects", None)])
    try:
        rows = _fill_old_schema()
        migrate_to_latest()
        _check_upgraded(rows)

        # A project created after the upgrade gets its ids from the same sequence, and its
        # webhook settings only when first needed.
        owner_id = next(iter(rows["users"]))
        later = Project.objects.create(owner_id=owner_id, name="Later")
        also = Project.objects.create(owner_id=owner_id, name="Also later")
        assert later.pk > max(rows["projects"])
        assert not Webhook.objects.filter(project__in=[later, also]).exists()

        # Backwards: the settings return to the project rows, secrets byte for byte; the
        # projects that never had settings get secrets of their own.
        migrate_to([*OLD, ("projects", None)])
        old_project = _old_apps().get_model("accounts", "Project")
        back = {
            p.pk: (p.webhook_url, p.webhook_events, p.webhook_secret)
            for p in old_project.objects.all()
        }
        for pk, (url, events) in rows["hooks"].items():
            assert back[pk] == (url, events, rows["secrets"][pk])
        fresh = [back[later.pk][2], back[also.pk][2]]
        assert len(set(fresh)) == 2 and not set(fresh) & set(SECRETS)
        assert all(len(s) == 64 for s in fresh)
        assert _fk_target("builds_upload", "project_id") == "accounts_project"

        # And up again.
        migrate_to_latest()
        _check_upgraded(
            rows
            | {
                "projects": rows["projects"]
                | {
                    p.pk: (p.public_id, p.name, p.owner_id, p.created_at)
                    for p in Project.objects.filter(pk__in=[later.pk, also.pk])
                },
                "hooks": rows["hooks"] | {later.pk: ("", []), also.pk: ("", [])},
                "secrets": rows["secrets"] | {later.pk: fresh[0], also.pk: fresh[1]},
            }
        )
    finally:
        migrate_to_latest()
