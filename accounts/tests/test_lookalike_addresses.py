"""Look-alike addresses are other people; the same address in another ASCII case is the same
person: in Google sign-in (email authentication), invite-only sign-up, invitation acceptance
and the verified-address check. Every decision compares canonical forms exactly
(accounts.addresses), never with `iexact`.

These tests run on a database whose locale folds Unicode case as production's does
(tests/support/folding_database.py): there, an `iexact` calls `vıctim@gmail.com`
`victim@gmail.com`, so a decision that used one would fail here.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from accounts.adapters import signup_allowed
from accounts.addresses import UnusableEmailAddress
from accounts.models import User
from accounts.selectors import user_address_is_verified
from core.errors import ApplicationError
from teams.invitations import (
    invitation_accept,
    invitation_create,
    invitation_token,
)
from teams.models import Invitation, Membership
from teams.refusals import InvitationRefusal
from tests.support.accounts import verified_user
from tests.support.folding_database import database_folding_unicode_case
from tests.support.google_flow import sign_in_with_google, signed_in_user
from tests.support.lookalikes import LOOKALIKES, SAME_ADDRESS, Lookalike

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def _production_case_folding(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), database_folding_unicode_case():
        yield


def test_on_this_database_an_iexact_calls_a_lookalike_the_real_address():
    # The harness, checked: without the folding locale, the tests below could not fail.
    User.objects.create_user("vıctim@gmail.com")
    assert User.objects.filter(email__iexact="victim@gmail.com").exists()
    assert not User.objects.filter(email="victim@gmail.com").exists()


def invite(owner: User, email: str) -> Invitation:
    return Invitation.objects.create(
        owner=owner,
        email=email,
        role="READONLY",
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=7),
    )


def google_sign_in(google, email: str, sub: str) -> User | None:
    google.login_as(email, "Someone", sub=sub)
    browser = Client()
    sign_in_with_google(browser, google)
    return signed_in_user(browser)


# --- Email authentication: Google sign-in ----------------------------------------------------


@pytest.mark.parametrize("case", LOOKALIKES)
def test_an_attacker_who_confirmed_a_lookalike_never_captures_the_real_owners_google_sign_in(
    google, case: Lookalike
):
    mallory = google_sign_in(google, case.lookalike, "mallory-sub")
    if case.canonical is None or not case.valid:
        assert mallory is None  # refused: no account, no session
    else:
        assert mallory is not None and mallory.email == case.canonical

    victim = google_sign_in(google, case.real, "victim-sub")

    assert victim is not None and victim != mallory
    assert victim.email == case.real
    assert SocialAccount.objects.get(uid="victim-sub").user == victim
    if mallory is not None:  # the attacker's account is untouched, and only theirs
        assert SocialAccount.objects.get(uid="mallory-sub").user == mallory
        assert User.objects.get(pk=mallory.pk).email == case.canonical
    assert google_sign_in(google, case.real, "victim-sub") == victim  # and again, next time


def test_a_lookalike_confirmed_by_password_sign_up_does_not_capture_the_owners_google_sign_in(
    google, mailoutbox
):
    lookalike = "vıctim@gmail.com"  # U+0131: UPPER() makes it VICTIM@GMAIL.COM
    password = "Mallory-pass-123"
    Client().post(
        "/accounts/signup/", {"email": lookalike, "password1": password, "password2": password}
    )
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+)", mailoutbox[-1].body)
    assert mailoutbox[-1].to == [lookalike]
    Client().post(link.group(1))  # the attacker confirms the look-alike's mailbox
    mallory = User.objects.get(email=lookalike)
    assert user_address_is_verified(user=mallory, email=lookalike)

    victim = google_sign_in(google, "victim@gmail.com", "victim-sub")

    assert victim is not None and victim != mallory
    assert victim.email == "victim@gmail.com"
    assert User.objects.get(pk=mallory.pk).has_usable_password()  # no merge happened


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_the_same_address_spelled_otherwise_signs_in_to_the_same_account(google, address, spelling):
    account = verified_user(address)
    assert google_sign_in(google, spelling, "owner-sub") == account
    assert SocialAccount.objects.get(uid="owner-sub").user == account


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_password_sign_in_takes_the_address_in_any_spelling_and_never_a_lookalikes(
    client, address, spelling
):
    verified_user(address, "Owner-pass-123")
    lookalike = "vıctim@gmail.com" if address == "victim@gmail.com" else "vıctim@gmaıl.com"
    verified_user(lookalike, "Mallory-pass-123")

    def signs_in(login: str, password: str) -> User | None:
        browser = Client()
        browser.post("/accounts/login/", {"login": login, "password": password})
        return signed_in_user(browser)

    assert signs_in(spelling, "Owner-pass-123") == User.objects.get(email=address)
    assert signs_in(spelling, "Mallory-pass-123") is None
    assert signs_in(lookalike, "Owner-pass-123") is None
    # The authentication backend reads the address the same way, whoever calls it.
    assert authenticate(None, email=spelling, password="Owner-pass-123") == User.objects.get(
        email=address
    )
    assert authenticate(None, email=lookalike, password="Owner-pass-123") is None


# --- Sign-up policy: invite-only --------------------------------------------------------------


@pytest.mark.parametrize("case", LOOKALIKES)
def test_invite_only_sign_up_refuses_a_lookalike_of_an_invited_address(
    settings, google, owner, case: Lookalike
):
    settings.KEYSERVICE_SIGNUP = "invite-only"
    invite(owner, case.real)

    assert signup_allowed(case.real)
    assert not signup_allowed(case.lookalike)
    assert google_sign_in(google, case.lookalike, "mallory-sub") is None
    assert list(User.objects.values_list("email", flat=True)) == [owner.email]


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_invite_only_sign_up_admits_the_invited_address_spelled_otherwise(
    settings, google, owner, address, spelling
):
    settings.KEYSERVICE_SIGNUP = "invite-only"
    invitation = invite(owner, spelling)

    assert invitation.email == address
    assert signup_allowed(spelling) and signup_allowed(address)
    guest = google_sign_in(google, spelling, "guest-sub")
    assert guest is not None and guest.email == address
    invitation_accept(invitation=invitation, user=guest)
    assert Membership.objects.filter(owner=owner, member=guest).exists()


def test_the_sign_up_domains_are_compared_in_their_canonical_form(settings):
    settings.KEYSERVICE_SIGNUP_DOMAINS = ["Gmail.COM", "münchen.de"]

    assert signup_allowed("Ada@GMAIL.com")
    assert signup_allowed("ada@ｇｍａｉｌ.com")
    assert signup_allowed("ada@MÜNCHEN.de") and signup_allowed("ada@xn--mnchen-3ya.de")
    assert not signup_allowed("ada@gmaıl.com")  # xn--gmal-nza.com
    assert not signup_allowed("ada@gmail.com.evil.example")
    assert not signup_allowed("ada@exa_mple.com")


# --- Invitation creation ------------------------------------------------------------------------


def create_invitation(owner: User, email: str) -> Invitation:
    return invitation_create(
        owner=owner, email=email, role="READONLY", projects=[], base_url="http://testserver/"
    )


@pytest.mark.parametrize("case", LOOKALIKES)
def test_inviting_a_lookalike_of_a_member_or_of_an_invitee_invites_another_person(
    owner, case: Lookalike
):
    invitee = create_invitation(owner, case.real)
    member = verified_user("member-" + case.real)
    Membership.objects.create(owner=owner, member=member, role="READONLY")
    if case.canonical is None:
        with pytest.raises(ApplicationError) as refused:
            create_invitation(owner, case.lookalike)
        assert refused.value.reason == InvitationRefusal.INVALID_ADDRESS
        return

    lookalike = create_invitation(owner, case.lookalike)
    of_member = create_invitation(owner, "member-" + case.lookalike)

    assert (lookalike.email, of_member.email) == (case.canonical, "member-" + case.canonical)
    assert lookalike.pk != invitee.pk
    assert Invitation.objects.filter(state=Invitation.State.PENDING).count() == 3


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_inviting_an_address_spelled_otherwise_is_inviting_the_same_person(
    owner, address, spelling
):
    create_invitation(owner, address)
    member = verified_user("member-" + address)
    Membership.objects.create(owner=owner, member=member, role="READONLY")

    def reason(email: str, inviter: User = owner) -> str:
        with pytest.raises(ApplicationError) as refused:
            create_invitation(inviter, email)
        return refused.value.reason

    assert reason(spelling) == InvitationRefusal.ALREADY_PENDING
    assert reason("member-" + spelling) == InvitationRefusal.ALREADY_MEMBER
    assert reason(spelling, verified_user(address)) == InvitationRefusal.OWN_ADDRESS


# --- Invitation acceptance, and the verified-address check behind it -------------------------


@pytest.mark.parametrize("case", LOOKALIKES)
def test_the_holder_of_a_lookalike_cannot_accept_the_invitation(client, owner, case: Lookalike):
    invitation = invite(owner, case.real)
    if case.canonical is None:
        with pytest.raises(UnusableEmailAddress):
            verified_user(case.lookalike)  # nobody can hold it
        return
    mallory = verified_user(case.lookalike)

    with pytest.raises(ApplicationError) as refused:
        invitation_accept(invitation=invitation, user=mallory)
    assert refused.value.reason == InvitationRefusal.EMAIL_MISMATCH
    client.force_login(mallory)
    response = client.post(f"/invitations/{invitation_token(invitation=invitation)}/")
    assert response.status_code == 403
    assert "This invitation is for another address" in response.content.decode()
    assert not Membership.objects.exists()
    # Nor does the real owner accept an invitation to the look-alike.
    victim = verified_user(case.real)
    with pytest.raises(ApplicationError):
        invitation_accept(invitation=invite(owner, case.lookalike), user=victim)


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_the_invited_address_spelled_otherwise_accepts(client, owner, address, spelling):
    invitation = invite(owner, spelling)
    guest = verified_user(address)
    client.force_login(guest)

    response = client.post(f"/invitations/{invitation_token(invitation=invitation)}/")

    assert response.status_code == 302
    assert Membership.objects.filter(owner=owner, member=guest).exists()


@pytest.mark.parametrize("case", LOOKALIKES)
def test_a_verified_lookalike_is_not_the_verified_address(case: Lookalike):
    victim = verified_user(case.real)
    assert user_address_is_verified(user=victim, email=case.real)
    assert not user_address_is_verified(user=victim, email=case.lookalike)
    if case.canonical is not None:
        mallory = verified_user(case.lookalike)
        assert user_address_is_verified(user=mallory, email=case.lookalike)
        assert not user_address_is_verified(user=mallory, email=case.real)


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_the_verified_address_spelled_otherwise_is_verified(address, spelling):
    assert user_address_is_verified(user=verified_user(address), email=spelling)
    assert user_address_is_verified(user=verified_user("x" + spelling), email="X" + address)
