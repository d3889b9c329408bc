"""One service changes a user's address: the old one is gone, the new one verified, audited;
whoever held the account under the old address loses every way in."""

from __future__ import annotations

import json
import secrets

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts import access
from accounts.models import User
from accounts.services import UserRefusal, user_create_or_update, user_email_change
from apikeys.models import KeyEvent
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from core.errors import ApplicationError
from teams import invitations
from teams.models import Membership
from tests.support.google_flow import sign_in_with_google, signed_in_user

pytestmark = pytest.mark.django_db
OLD, NEW = "owner@example.com", "olivia@new.example.com"


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root@example.com", "Root-pass-123")


def change_in_admin(root, user, email):
    client = Client()
    client.force_login(root)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"email": email, "name": user.name, "is_active": "on"},
    )
    return response


def assert_only_address(user, email):
    rows = list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary"))
    assert rows == [(email, True, True)]


def test_the_admin_change_form_replaces_the_verified_address_and_audits_it(root, owner):
    response = change_in_admin(root, owner, NEW)

    assert response.status_code == 302, response.content.decode()
    owner.refresh_from_db()
    assert owner.email == NEW
    assert_only_address(owner, NEW)
    event = KeyEvent.objects.get(kind=KeyEvent.Kind.EMAIL_CHANGED)
    assert (event.user, event.actor) == (owner, root)
    assert OLD in event.detail and NEW in event.detail


def test_after_the_change_a_google_sign_in_as_the_old_address_does_not_reach_the_account(
    root, owner, google
):
    change_in_admin(root, owner, NEW)

    google.login_as(OLD, "Whoever holds it now", sub="new-holder-of-old-address")
    browser = Client()
    sign_in_with_google(browser, google)

    assert signed_in_user(browser) != owner
    assert not SocialAccount.objects.filter(user=owner).exists()


def test_after_the_change_an_invitation_to_the_new_address_can_be_accepted(root, owner, outsider):
    change_in_admin(root, owner, NEW)
    invitation = invitations.invitation_create(
        owner=outsider, email=NEW, role="FULL", projects=[], base_url="http://testserver/"
    )
    owner.refresh_from_db()
    browser = Client()
    browser.force_login(owner)

    response = browser.post(f"/invitations/{invitations.invitation_token(invitation=invitation)}/")

    assert response.status_code == 302
    assert Membership.objects.filter(owner=outsider, member=owner).exists()


def test_the_admin_refuses_an_address_another_account_has_verified(root, owner, outsider):
    response = change_in_admin(root, owner, outsider.email)

    assert response.status_code == 200
    assert "already" in response.content.decode()
    owner.refresh_from_db()
    assert owner.email == OLD


def test_the_directory_import_changes_an_address_through_the_same_service(owner):
    _, created, changed = user_create_or_update(user=owner, email=NEW, name=owner.name)

    assert (created, changed) == (False, True)
    owner.refresh_from_db()
    assert owner.email == NEW
    assert_only_address(owner, NEW)
    assert KeyEvent.objects.filter(kind="email_changed", user=owner, actor=None).exists()


def test_an_email_change_runs_in_one_transaction(owner, outsider):
    with pytest.raises(ApplicationError) as refused:
        user_email_change(user=owner, email=outsider.email, actor=None)
    assert refused.value.reason is UserRefusal.EMAIL_HELD_ELSEWHERE
    owner.refresh_from_db()
    assert owner.email == OLD
    assert_only_address(owner, OLD)
    assert not KeyEvent.objects.filter(kind="email_changed").exists()


# --- A new address is an identity change: the old holder loses every way in --------------


def verify_status(key: str, user: User, project) -> int:
    token = service_token_create(name=f"gateway-{secrets.token_hex(4)}").plaintext
    return (
        Client()
        .post(
            "/internal/v1/verify",
            json.dumps({"apiKey": key, "userId": user.public_id, "projectId": project.public_id}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        .status_code
    )


def password_signs_in(email: str, password: str) -> bool:
    client = Client()
    client.post("/accounts/login/", {"login": email, "password": password})
    return signed_in_user(client) is not None


@pytest.fixture
def held(owner, showroom):
    """What the holder under the old address has: a key, a session, a Google identity."""
    key = apikey_issue(user=owner).plaintext
    SocialAccount.objects.create(user=owner, provider="google", uid="alice-sub")
    session = Client()
    session.force_login(owner)
    assert signed_in_user(session) == owner and verify_status(key, owner, showroom) == 200
    return key, session


def assert_old_holder_is_out(owner, showroom, key, session, actor):
    owner.refresh_from_db()
    assert signed_in_user(session) is None
    assert verify_status(key, owner, showroom) == 401
    assert not owner.has_usable_password()
    assert not password_signs_in(NEW, "pw-owner-123")
    assert not password_signs_in(OLD, "pw-owner-123")
    assert not SocialAccount.objects.filter(user=owner).exists()
    events = {e.kind: e for e in KeyEvent.objects.filter(user=owner)}
    assert {"email_changed", "revoked", "sessions_ended", "social_detached"} <= events.keys()
    assert {events[k].actor for k in ("email_changed", "sessions_ended", "social_detached")} == {
        actor
    }
    assert "password made unusable" in events["email_changed"].detail
    assert "address changed" in events["revoked"].detail
    assert "new key" in events["revoked"].detail
    assert "alice-sub" in events["social_detached"].detail


def test_an_email_change_ends_the_old_holders_session_key_password_and_google_identity(
    root, owner, showroom, held
):
    user_email_change(user=owner, email=NEW, actor=root)

    assert_old_holder_is_out(owner, showroom, *held, actor=root)


def test_the_admin_change_ends_the_old_holders_access_and_keeps_the_operators_session(
    root, owner, showroom, held
):
    operator = Client()
    operator.force_login(root)
    response = operator.post(
        f"/admin/accounts/user/{owner.pk}/change/",
        {"email": NEW, "name": owner.name, "is_active": "on"},
    )

    assert response.status_code == 302
    assert_old_holder_is_out(owner, showroom, *held, actor=root)
    assert operator.get("/admin/").status_code == 200


def test_the_new_holder_signs_in_with_google_and_requests_a_new_key(root, owner, held, google):
    user_email_change(user=owner, email=NEW, actor=root)

    google.login_as(NEW, "Olivia", sub="olivia-sub")
    browser = Client()
    sign_in_with_google(browser, google)

    assert signed_in_user(browser) == owner
    assert browser.get("/keys/request/").status_code == 200


@pytest.mark.parametrize("same", [OLD, OLD.upper(), " Owner@Example.com "])
def test_the_same_address_in_another_case_changes_nothing(root, owner, showroom, held, same):
    key, session = held

    user_email_change(user=owner, email=same, actor=root)

    owner.refresh_from_db()
    assert owner.email == OLD
    assert_only_address(owner, OLD)
    assert signed_in_user(session) == owner
    assert verify_status(key, owner, showroom) == 200
    assert password_signs_in(OLD, "pw-owner-123")
    assert SocialAccount.objects.filter(user=owner, uid="alice-sub").exists()
    assert not KeyEvent.objects.filter(user=owner).exclude(kind="issued").exists()


def test_a_failure_late_in_the_change_undoes_all_of_it(root, owner, showroom, held, monkeypatch):
    key, session = held
    real = access.identity_event_record

    def failing_at_the_last_step(**kwargs):
        if kwargs["kind"] == KeyEvent.Kind.SOCIAL_DETACHED:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(access, "identity_event_record", failing_at_the_last_step)

    with pytest.raises(RuntimeError):
        user_email_change(user=owner, email=NEW, actor=root)

    owner = User.objects.get(pk=owner.pk)
    assert owner.email == OLD and owner.check_password("pw-owner-123")
    assert_only_address(owner, OLD)
    assert signed_in_user(session) == owner
    assert verify_status(key, owner, showroom) == 200
    assert SocialAccount.objects.filter(user=owner).exists()
    assert not KeyEvent.objects.filter(user=owner).exclude(kind="issued").exists()


def test_a_directory_import_moving_an_account_sets_the_new_holders_password(owner, showroom, held):
    key, session = held

    user_create_or_update(user=owner, email=NEW, name=owner.name, password="new-holder-pass-1")

    assert signed_in_user(session) is None
    assert verify_status(key, owner, showroom) == 401
    assert password_signs_in(NEW, "new-holder-pass-1")
    assert not password_signs_in(NEW, "pw-owner-123")


def test_an_operator_changing_their_own_address_keeps_only_the_session_that_did_it(root):
    operator, elsewhere = Client(), Client()
    operator.force_login(root)
    elsewhere.force_login(root)

    response = operator.post(
        f"/admin/accounts/user/{root.pk}/change/",
        {
            "email": "root@new.example.com",
            "name": "",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )

    assert response.status_code == 302
    assert operator.get("/admin/").status_code == 200
    assert signed_in_user(elsewhere) is None
