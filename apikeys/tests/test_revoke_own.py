"""Revoke my key (apikeys.revocation.apikey_revoke_own and its page): the key stops on the next
request, no key is issued, a `revoked` event by the owner, a notice email without the key."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from freezegun import freeze_time

from apikeys.models import ApiKey, KeyEvent
from apikeys.refusals import KeyRefusal
from apikeys.revocation import apikey_revoke_own
from apikeys.services import apikey_issue
from apikeys.verifier.credentials import apikey_verify
from core.errors import ApplicationError
from outbox.models import OutboxEmail
from tests.support.api import DETAIL

pytestmark = pytest.mark.django_db
PERSONAS = ["owner", "full_member", "readonly_member"]


def revoke_via_page(client):
    page = client.get("/keys/revoke/")
    return client.post("/keys/revoke/", {"nonce": page.context["nonce"]}, follow=True)


@pytest.mark.parametrize("persona", PERSONAS)
def test_revoking_stops_the_key_on_the_next_request_and_issues_none(
    request, client, showroom, persona, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(persona)
    issued = apikey_issue(user=user)
    call = {
        "api_key": issued.plaintext,
        "user_id": user.public_id,
        "project_id": showroom.public_id,
    }
    assert DETAIL.call(client, **call).status_code == 200
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        revoked = apikey_revoke_own(user=user, actor=user)

    response = DETAIL.call(client, **call)
    assert (response.status_code, response.json()) == (
        401,
        {"message": "Unauthorized: Invalid API Key"},
    )
    assert revoked.pk == issued.api_key.pk and revoked.revoked_at is not None
    assert ApiKey.objects.filter(user=user).count() == 1  # no new key
    event = KeyEvent.objects.get(key=revoked, kind="revoked")
    assert (event.actor, event.user) == (user, user)
    assert event.detail == "revoked by its owner; no new key was issued"
    [notice] = mail.outbox
    assert notice.to == [user.email]
    assert notice.subject == "Your keyservice API key was revoked"
    assert revoked.hint in notice.body and "No new key was issued" in notice.body
    assert issued.plaintext not in notice.body


def test_a_members_revoke_leaves_the_owners_key_working(owner, full_member):
    owners = apikey_issue(user=owner)
    apikey_issue(user=full_member)
    apikey_revoke_own(user=full_member, actor=full_member)
    assert apikey_verify(key=owners.plaintext, user_public_id=owner.public_id).ok


def test_revoking_without_an_active_key_is_refused_and_writes_nothing(outsider):
    with pytest.raises(ApplicationError) as refused:
        apikey_revoke_own(user=outsider, actor=outsider)
    assert refused.value.reason is KeyRefusal.NO_ACTIVE_KEY
    assert refused.value.message == "You have no active API key to revoke."
    assert not KeyEvent.objects.exists() and not OutboxEmail.objects.exists()


def test_revoking_twice_is_refused_the_second_time(owner):
    apikey_issue(user=owner)
    apikey_revoke_own(user=owner, actor=owner)
    with pytest.raises(ApplicationError) as refused:
        apikey_revoke_own(user=owner, actor=owner)
    assert refused.value.reason is KeyRefusal.NO_ACTIVE_KEY
    assert KeyEvent.objects.filter(kind="revoked").count() == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_revokes_the_key_and_home_offers_request_api_key(
    request, client, persona, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(persona)
    issued = apikey_issue(user=user)
    client.force_login(user)
    confirm = client.get("/keys/revoke/").content.decode()
    assert f"<code>{issued.api_key.hint}</code>" in confirm
    assert "It stops working immediately" in confirm

    with django_capture_on_commit_callbacks(execute=True):
        response = revoke_via_page(client)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert f"Your key {issued.api_key.hint} was revoked" in html
    assert "You have no API key yet." in html
    assert 'class="button" href="/keys/request/">Request API Key</a>' in html
    assert not apikey_verify(key=issued.plaintext, user_public_id=user.public_id).ok
    assert ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() == 0


def test_the_account_menu_offers_revoke_my_key(client, owner):
    client.force_login(owner)
    html = client.get("/").content.decode()
    assert '<a role="menuitem" href="/keys/revoke/">Revoke my key</a>' in html


def test_without_an_active_key_the_page_says_so_and_a_forged_post_revokes_nothing(client, outsider):
    client.force_login(outsider)
    page = client.get("/keys/revoke/")
    assert "You have no active API key to revoke." in page.content.decode()
    assert page.context["nonce"] is None
    response = client.post("/keys/revoke/", {"nonce": "guess"}, follow=True)
    assert "nothing was revoked" in response.content.decode()
    assert not KeyEvent.objects.exists()


def test_a_key_that_expired_cannot_be_revoked_again_and_the_refusal_is_clear(client, owner):
    issued = apikey_issue(user=owner, lifetime_days=30)
    with freeze_time(issued.api_key.expires_at - timedelta(seconds=1)):
        client.force_login(owner)
        page = client.get("/keys/revoke/")  # confirmed a second before expiry
    with freeze_time(issued.api_key.expires_at + timedelta(seconds=1)):
        response = client.post("/keys/revoke/", {"nonce": page.context["nonce"]}, follow=True)
    assert "Nothing was revoked. You have no active API key to revoke." in (
        response.content.decode()
    )
    assert not KeyEvent.objects.filter(kind="revoked").exists()


def test_replaying_the_confirmed_post_revokes_nothing_more(client, owner):
    apikey_issue(user=owner)
    client.force_login(owner)
    page = client.get("/keys/revoke/")
    client.post("/keys/revoke/", {"nonce": page.context["nonce"]})
    replay = client.post("/keys/revoke/", {"nonce": page.context["nonce"]}, follow=True)
    assert "That request was already handled: nothing was revoked." in replay.content.decode()
    assert KeyEvent.objects.filter(kind="revoked").count() == 1


def test_revoking_requires_sign_in_and_a_csrf_token(client, owner):
    issued = apikey_issue(user=owner)
    assert client.get("/keys/revoke/").status_code == 302
    assert client.post("/keys/revoke/", {"nonce": "x"}).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    page = strict.get("/keys/revoke/")
    assert strict.post("/keys/revoke/", {"nonce": page.context["nonce"]}).status_code == 403
    assert apikey_verify(key=issued.plaintext, user_public_id=owner.public_id).ok
