"""teams.selectors.invitation_refusal_for: the one decision of who may accept an invitation
now, which the invitation page shows and invitation_accept enforces."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from teams.models import Invitation
from teams.refusals import InvitationRefusal
from teams.selectors import invitation_refusal_for
from tests.support.accounts import verified_user

pytestmark = pytest.mark.django_db


def pending(owner: User, email: str) -> Invitation:
    return Invitation.objects.create(
        owner=owner,
        email=email,
        role="READONLY",
        base_url="https://keys.example.com/",
        expires_at=timezone.now() + timedelta(days=7),
    )


def test_the_invited_user_with_the_address_verified_may_accept(owner):
    guest = verified_user("guest@example.com")

    assert invitation_refusal_for(invitation=pending(owner, guest.email), user=guest) is None


def test_someone_not_signed_in_is_refused_only_by_the_invitations_status(owner):
    invitation = pending(owner, "guest@example.com")
    assert invitation_refusal_for(invitation=invitation, user=None) is None

    Invitation.objects.filter(pk=invitation.pk).update(state=Invitation.State.REVOKED)
    invitation.refresh_from_db()
    assert invitation_refusal_for(invitation=invitation, user=None) is InvitationRefusal.REVOKED


def test_an_expired_invitation_is_refused_as_expired_even_to_the_invited_user(owner):
    guest = verified_user("guest@example.com")
    invitation = pending(owner, guest.email)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    invitation.refresh_from_db()

    assert invitation_refusal_for(invitation=invitation, user=guest) is InvitationRefusal.EXPIRED


def test_the_owner_is_refused_their_own_invitation(owner):
    invitation = pending(owner, "guest@example.com")

    assert invitation_refusal_for(invitation=invitation, user=owner) is InvitationRefusal.OWN


def test_another_user_or_the_invited_address_unverified_is_an_email_mismatch(owner, outsider):
    unverified = User.objects.create_user("guest@example.com", "pw-guest-123")
    invitation = pending(owner, "guest@example.com")

    assert invitation_refusal_for(invitation=invitation, user=outsider) is (
        InvitationRefusal.EMAIL_MISMATCH
    )
    assert invitation_refusal_for(invitation=invitation, user=unverified) is (
        InvitationRefusal.EMAIL_MISMATCH
    )
