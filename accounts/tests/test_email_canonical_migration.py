"""accounts 0005 and teams 0004 upgrade a database in place: every stored address (users,
allauth's address rows, invitations) is rewritten into its canonical form; rows that would
then be the same address stop the upgrade, listed, and nothing is merged or changed; and back
(one-way for the data: the canonical spellings stay)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from accounts.models import User as CurrentUser
from accounts.selectors import user_address_is_verified
from teams.invitations import invitation_pending_for
from tests.support.migrations import leaf_nodes, migrate_to, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)


def before() -> list[tuple[str, str | None]]:
    """Every app at its latest, accounts just before 0005 and teams before 0004."""
    earlier = {"accounts": "0004_project_moves_to_projects", "teams": "0003_projects_in_projects"}
    return [(app, earlier.get(app, name)) for app, name in leaf_nodes()]


def applied(app: str, name: str) -> bool:
    return MigrationRecorder(connection).migration_qs.filter(app=app, name=name).exists()


def invitation(apps, owner, email: str, state: str = "pending"):
    return apps.get_model("teams", "Invitation").objects.create(
        owner=owner,
        email=email,
        role="READONLY",
        state=state,
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=7),
    )


def test_stored_addresses_become_canonical_and_keep_matching_their_spellings(postgres):
    old = migrate_to(before())
    User = old.get_model("accounts", "User")
    EmailAddress = old.get_model("account", "EmailAddress")
    ada = User.objects.create(email="Ada@MÜNCHEN.de", password="!", public_id="a" * 24)
    bob = User.objects.create(email="bob@example.com", password="!", public_id="b" * 24)
    EmailAddress.objects.create(user=ada, email="ada@münchen.de", verified=True, primary=True)
    EmailAddress.objects.create(user=bob, email="bob@example.com", verified=True, primary=True)
    # Two invitations of one owner to one address: allowed, as only one is pending.
    pending = invitation(old, bob, "Guest@Gmaıl.com")
    revoked = invitation(old, bob, "guest@xn--gmal-nza.com", state="revoked")

    try:
        new = migrate_to_latest()
        NewUser = new.get_model("accounts", "User")
        assert dict(NewUser.objects.values_list("pk", "email")) == {
            ada.pk: "ada@xn--mnchen-3ya.de",
            bob.pk: "bob@example.com",
        }
        rows = new.get_model("account", "EmailAddress").objects.values_list("user_id", "email")
        assert sorted(rows) == sorted(
            [(ada.pk, "ada@xn--mnchen-3ya.de"), (bob.pk, "bob@example.com")]
        )
        Invitation = new.get_model("teams", "Invitation")
        assert set(Invitation.objects.values_list("pk", "email")) == {
            (pending.pk, "guest@xn--gmal-nza.com"),
            (revoked.pk, "guest@xn--gmal-nza.com"),
        }
        # The code compares canonical forms: every spelling of the address still matches.
        current_ada = CurrentUser.objects.get(pk=ada.pk)
        assert user_address_is_verified(user=current_ada, email="ADA@münchen.de")
        assert invitation_pending_for(email="guest@GMAıL.com")

        back = migrate_to(before())  # and back: the lower(email) rules return, the data stays
        assert back.get_model("accounts", "User").objects.get(pk=ada.pk).email == (
            "ada@xn--mnchen-3ya.de"
        )
    finally:
        migrate_to_latest()


def test_users_or_verified_addresses_that_would_be_one_address_stop_the_upgrade_listed(postgres):
    old = migrate_to(before())
    User = old.get_model("accounts", "User")
    EmailAddress = old.get_model("account", "EmailAddress")
    # Distinct under the old lower(email) rule; one address in canonical form.
    u_label = User.objects.create(email="victim@gmaıl.com", password="!", public_id="a" * 24)
    a_label = User.objects.create(email="victim@xn--gmal-nza.com", password="!", public_id="b" * 24)
    mallory = User.objects.create(email="mallory@example.com", password="!", public_id="c" * 24)
    ada = User.objects.create(email="ada@example.com", password="!", public_id="d" * 24)
    EmailAddress.objects.create(user=mallory, email="ada@münchen.de", verified=True)
    EmailAddress.objects.create(user=ada, email="ada@xn--mnchen-3ya.de", verified=True)
    kelvin = User.objects.create(email="\u212aate@example.com", password="!", public_id="e" * 24)

    try:
        with pytest.raises(CommandError) as refused:
            migrate_to_latest()
        message = str(refused.value)
        assert "changed nothing" in message and "never merges" in message
        assert (
            f'users id {u_label.pk} "victim@gmaıl.com" and users id {a_label.pk} '
            f'"victim@xn--gmal-nza.com" would all be "victim@xn--gmal-nza.com"'
        ) in message
        assert '"ada@münchen.de"' in message and '"ada@xn--mnchen-3ya.de"' in message
        assert f"users id {kelvin.pk}: " in message
        # Nothing was changed: not the rows, not the schema.
        assert not applied("accounts", "0005_email_canonical")
        assert User.objects.get(pk=u_label.pk).email == "victim@gmaıl.com"

        # The operator resolves them (one of each group goes), and the upgrade runs.
        User.objects.filter(pk__in=[u_label.pk, kelvin.pk]).delete()
        EmailAddress.objects.filter(user=mallory).delete()
        new = migrate_to_latest()
        assert new.get_model("accounts", "User").objects.get(pk=a_label.pk).email == (
            "victim@xn--gmal-nza.com"
        )
    finally:
        User.objects.all().delete()
        migrate_to_latest()


def test_two_pending_invitations_that_would_be_one_address_stop_the_upgrade(postgres):
    old = migrate_to(before())
    owner = old.get_model("accounts", "User").objects.create(
        email="owner@example.com", password="!", public_id="a" * 24
    )
    first = invitation(old, owner, "guest@gmaıl.com")
    second = invitation(old, owner, "guest@xn--gmal-nza.com")

    try:
        with pytest.raises(CommandError) as refused:
            migrate_to_latest()
        assert f"teams_invitation id {first.pk}" in str(refused.value)
        assert f"teams_invitation id {second.pk}" in str(refused.value)
        assert not applied("teams", "0004_invitation_email_canonical")
    finally:
        old.get_model("teams", "Invitation").objects.all().delete()
        migrate_to_latest()
