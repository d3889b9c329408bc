"""Invitation emails cannot be used as a mail-bombing relay: a daily budget per owner and
a resend limit per invited address (issue 9)."""

from __future__ import annotations

import pytest
from django.core import mail

from outbox.models import OutboxEmail
from teams.models import Invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.KEYSERVICE_INVITATIONS_PER_DAY = 3
    settings.KEYSERVICE_INVITATION_RESEND_MINUTES = 10
    settings.KEYSERVICE_INVITATION_RESENDS_PER_DAY = 2
    return settings


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def invite(client, email, showroom, capture):
    with capture(execute=True):
        return client.post(
            "/team/invite/",
            {"email": email, "role": "READONLY", "projects": [showroom.public_id]},
        )


def resend(client, invitation, capture):
    with capture(execute=True):
        return client.post(f"/team/invitations/{invitation.pk}/resend/", follow=True)


def test_past_the_daily_budget_the_team_page_says_so_and_nothing_is_sent(
    signed_in, limits, showroom, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for i in range(3):
        assert invite(signed_in, f"guest{i}@example.com", showroom, capture).status_code == 302
    refused = invite(signed_in, "victim@example.com", showroom, capture)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "You can send at most 3 invitation emails a day. Try again in 24 hours." in page
    assert not Invitation.objects.filter(email="victim@example.com").exists()
    assert len(mail.outbox) == 3
    assert OutboxEmail.objects.count() == 3


def test_an_invalid_invitation_does_not_use_up_the_budget(
    signed_in, limits, owner, showroom, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for _ in range(5):
        assert invite(signed_in, owner.email, showroom, capture).status_code == 400  # own address
    assert invite(signed_in, "guest@example.com", showroom, capture).status_code == 302


def test_resending_one_invitation_is_limited_and_the_page_explains_why(
    signed_in, limits, settings, showroom, django_capture_on_commit_callbacks
):
    settings.KEYSERVICE_INVITATIONS_PER_DAY = 50
    capture = django_capture_on_commit_callbacks
    invite(signed_in, "guest@example.com", showroom, capture)
    invitation = Invitation.objects.get()
    first = resend(signed_in, invitation, capture)
    assert "Invitation to guest@example.com sent again." in first.content.decode()
    second = resend(signed_in, invitation, capture)
    assert "An invitation can be resent once every 10 minutes. Try again in 10 minutes." in (
        second.content.decode()
    )
    assert len(mail.outbox) == 2


def test_revoking_and_inviting_again_does_not_reset_the_resend_limit(
    signed_in, limits, settings, showroom, django_capture_on_commit_callbacks
):
    settings.KEYSERVICE_INVITATIONS_PER_DAY = 50
    settings.KEYSERVICE_INVITATION_RESEND_MINUTES = 0  # only the daily count of resends
    capture = django_capture_on_commit_callbacks
    for _ in range(3):
        invite(signed_in, "victim@example.com", showroom, capture)
        invitation = Invitation.objects.get(email="victim@example.com", state="pending")
        for _ in range(2):
            resend(signed_in, invitation, capture)
        signed_in.post(f"/team/invitations/{invitation.pk}/revoke/")
    assert (
        len(mail.outbox) == 3 + 2
    )  # three invitations, but only two resends to that address a day


def test_resends_count_against_the_owners_daily_budget(
    signed_in, limits, settings, showroom, django_capture_on_commit_callbacks
):
    settings.KEYSERVICE_INVITATION_RESEND_MINUTES = 0
    settings.KEYSERVICE_INVITATION_RESENDS_PER_DAY = 10
    capture = django_capture_on_commit_callbacks
    invite(signed_in, "guest@example.com", showroom, capture)
    invitation = Invitation.objects.get()
    pages = [resend(signed_in, invitation, capture).content.decode() for _ in range(3)]
    assert "You can send at most 3 invitation emails a day." in pages[-1]
    assert len(mail.outbox) == 3
