"""Invitations (teams/invitations.py, through the Team page and the link): the email, the
signed link, expiry, resend and revoke, and who may accept."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError
from outbox.models import OutboxEmail
from teams import invitations as inv
from teams.invitations import invitation_find_by_token, invitation_token
from teams.models import Invitation, Membership
from teams.refusals import InvitationRefusal

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^/\s]+(/invitations/[^/\s]+/)")


def verified(user: User, email: str | None = None) -> User:
    EmailAddress.objects.update_or_create(
        user=user, email=email or user.email, defaults={"verified": True, "primary": True}
    )
    return user


def invite(client, owner, email, role, projects, capture):
    client.force_login(owner)
    with capture(execute=True):
        return client.post(
            "/team/invite/",
            {"email": email, "role": role, "projects": [p.public_id for p in projects]},
        )


def test_the_owner_invites_someone_and_an_email_with_a_signed_link_goes_out(
    client, owner, showroom, configurator, django_capture_on_commit_callbacks
):
    response = invite(
        client, owner, "New@Example.com", "READONLY", [showroom], django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.state) == (
        "new@example.com",
        "READONLY",
        "pending",
    )
    assert list(invitation.projects.all()) == [showroom]
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    [email] = mail.outbox
    assert email.to == ["new@example.com"]
    assert "Showroom" in email.body and "Configurator" not in email.body
    [path] = LINK.findall(email.body)
    # The signed token carries the second it was made: compare what it names, not its text.
    token = path.removeprefix("/invitations/").removesuffix("/")
    assert path == f"/invitations/{token}/"
    assert invitation_find_by_token(token=token) == invitation
    row = OutboxEmail.objects.get()
    assert (row.kind, row.subject_id) == (Invitation.EmailKind.INVITATION, invitation.pk)
    team = client.get("/team/").content.decode()
    assert "new@example.com" in team and "Resend" in team and "Revoke" in team


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("owner@example.com", "That is your own address."),
        ("not-an-email", "Enter a valid email address."),
        ("readonly@example.com", "already a member"),
    ],
)
def test_an_invitation_that_makes_no_sense_is_refused_next_to_the_field(
    client, owner, showroom, readonly_member, email, error, django_capture_on_commit_callbacks
):
    response = invite(client, owner, email, "FULL", [showroom], django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_second_invitation_to_a_pending_address_says_to_resend(
    client, owner, showroom, django_capture_on_commit_callbacks
):
    invite(client, owner, "x@example.com", "FULL", [showroom], django_capture_on_commit_callbacks)
    again = invite(
        client, owner, "X@example.com", "FULL", [showroom], django_capture_on_commit_callbacks
    )
    assert again.status_code == 400
    assert "resend it instead" in again.content.decode()
    assert Invitation.objects.count() == 1


def test_another_accounts_project_cannot_be_ticked(
    client, owner, outsider, django_capture_on_commit_callbacks
):
    from projects.models import Project

    foreign = Project.objects.create(owner=outsider, name="Theirs")
    response = invite(
        client, owner, "x@example.com", "FULL", [foreign], django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_resend_extends_the_expiry_and_revoke_kills_the_link(
    client, owner, showroom, django_capture_on_commit_callbacks
):
    invite(client, owner, "x@example.com", "FULL", [showroom], django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/team/invitations/{invitation.pk}/resend/")
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert len(mail.outbox) == 2
    client.post(f"/team/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    client.logout()
    page = client.get(f"/invitations/{invitation_token(invitation=invitation)}/")
    assert page.status_code == 410
    assert "This invitation was withdrawn" in page.content.decode()


def make_invitation(owner, email="guest@example.com", role="READONLY", projects=()):
    invitation = Invitation.objects.create(
        owner=owner,
        email=email,
        role=role,
        base_url="http://testserver/",
        expires_at=timezone.now() + timedelta(days=7),
    )
    invitation.projects.set(projects)
    return invitation


def test_a_signed_out_visitor_is_offered_google_sign_in(client, owner, showroom, settings):
    google = settings.SOCIALACCOUNT_PROVIDERS["google"]
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {**google, "APPS": [{"client_id": "id", "secret": "s", "key": ""}]}
    }
    invitation = make_invitation(owner, projects=[showroom])
    html = client.get(f"/invitations/{invitation_token(invitation=invitation)}/").content.decode()
    assert "Sign in with Google" in html
    assert "/accounts/google/login/?next=/invitations/" in html
    assert "Showroom" in html


def test_without_google_configured_the_page_offers_the_password_sign_in_and_no_google(
    client, owner, settings
):
    # Issue 24: with Google not configured, no Google wording at all (it used to say "Google
    # sign-in is not configured"); the sign-in this server has is offered instead.
    settings.KEYSERVICE_PASSWORD_LOGIN = True
    invitation = make_invitation(owner)
    html = client.get(f"/invitations/{invitation_token(invitation=invitation)}/").content.decode()
    assert "Sign in with Google" not in html
    assert "Google" not in html
    assert "/accounts/login/?next=/invitations/" in html


def test_with_no_sign_in_configured_the_invitation_page_says_ask_the_operator(
    client, owner, settings
):
    settings.KEYSERVICE_PASSWORD_LOGIN = False
    invitation = make_invitation(owner)
    html = client.get(f"/invitations/{invitation_token(invitation=invitation)}/").content.decode()
    assert "Google" not in html and "password" not in html
    assert "No sign-in is set up on this server yet: ask the operator." in html


def test_the_invitee_with_the_verified_address_accepts_and_becomes_a_member(
    client, owner, showroom
):
    invitation = make_invitation(owner, email="guest@example.com", projects=[showroom])
    guest = verified(User.objects.create_user("GUEST@example.com"))
    client.force_login(guest)
    url = f"/invitations/{invitation_token(invitation=invitation)}/"
    assert "Accept invitation" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "You joined owner@example.com" in response.content.decode()
    membership = Membership.objects.get(owner=owner, member=guest)
    assert (membership.role, list(membership.projects.all())) == ("READONLY", [showroom])
    invitation.refresh_from_db()
    assert (invitation.state, invitation.accepted_by) == ("accepted", guest)
    again = client.get(url)
    assert again.status_code == 410
    assert "already used" in again.content.decode()


def test_a_different_google_identity_gets_a_clear_page_and_no_membership(client, owner, showroom):
    invitation = make_invitation(owner, email="guest@example.com", projects=[showroom])
    intruder = verified(User.objects.create_user("intruder@example.com"))
    client.force_login(intruder)
    url = f"/invitations/{invitation_token(invitation=invitation)}/"
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 403
        html = response.content.decode()
        assert "This invitation is for another address" in html
        assert "guest@example.com" in html
    assert not Membership.objects.exists()


def test_an_unverified_matching_address_is_not_enough(client, owner):
    invitation = make_invitation(owner, email="guest@example.com")
    guest = User.objects.create_user("guest@example.com", "pw-guest-123")  # no verified address
    client.force_login(guest)
    response = client.post(f"/invitations/{invitation_token(invitation=invitation)}/")
    # An account without a verified address has no session at all (accounts.backends): the
    # page asks to sign in instead of accepting.
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert not Membership.objects.exists()


def test_an_existing_member_accepting_gets_the_new_role_and_projects(
    client, owner, readonly_member, showroom, configurator
):
    verified(readonly_member)
    invitation = make_invitation(
        owner, email=readonly_member.email, role="FULL", projects=[showroom, configurator]
    )
    client.force_login(readonly_member)
    client.post(f"/invitations/{invitation_token(invitation=invitation)}/")
    membership = Membership.objects.get(member=readonly_member)
    assert membership.role == "FULL"
    assert set(membership.projects.all()) == {showroom, configurator}


@pytest.mark.parametrize(
    ("token_of", "status", "heading"),
    [
        ("expired", 410, "This invitation has expired"),
        ("forged", 404, "This invitation link is not valid"),
    ],
)
def test_expired_and_forged_links_show_a_clear_page(client, owner, token_of, status, heading):
    invitation = make_invitation(owner)
    token = invitation_token(invitation=invitation)
    if token_of == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    else:
        token = token[:-3] + "abc"
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == status
    assert heading in response.content.decode()


# --- The services' refusals: one reason each, on the field at fault -----------------------


def create(owner, email, role="READONLY", projects=()):
    return inv.invitation_create(
        owner=owner, email=email, role=role, projects=list(projects), base_url="http://testserver/"
    )


@pytest.mark.parametrize(
    ("case", "reason", "field"),
    [
        ("own address", InvitationRefusal.OWN_ADDRESS, "email"),
        ("a member already", InvitationRefusal.ALREADY_MEMBER, "email"),
        ("an unknown role", InvitationRefusal.UNKNOWN_ROLE, "role"),
        ("another account's project", InvitationRefusal.FOREIGN_PROJECT, "projects"),
        ("pending already", InvitationRefusal.ALREADY_PENDING, "email"),
    ],
)
def test_invitation_create_refuses_with_a_reason_on_the_field_at_fault(
    owner, full_member, outsider, showroom, case, reason, field
):
    outsiders_project = outsider.projects.create(name="Lab")
    create(owner, "pending@example.com")
    email, role, projects = {
        "own address": (owner.email.upper(), "READONLY", []),
        "a member already": (full_member.email, "READONLY", []),
        "an unknown role": ("new@example.com", "OWNER", []),
        "another account's project": ("new@example.com", "FULL", [showroom, outsiders_project]),
        "pending already": ("Pending@Example.com", "FULL", []),
    }[case]

    with pytest.raises(ApplicationError) as refused:
        create(owner, email, role, projects)

    assert refused.value.reason is reason
    assert list(refused.value.fields) == [field]
    assert Invitation.objects.filter(owner=owner).count() == 1  # only the pending one


def test_resending_an_invitation_that_is_not_pending_is_refused(owner):
    invitation = create(owner, "guest@example.com")
    inv.invitation_revoke(invitation=invitation)
    invitation.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        inv.invitation_resend(invitation=invitation)

    assert refused.value.reason is InvitationRefusal.NOT_PENDING


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("the owner", InvitationRefusal.OWN),
        ("an outsider", InvitationRefusal.EMAIL_MISMATCH),
        ("after revoking", InvitationRefusal.REVOKED),
        ("after expiry", InvitationRefusal.EXPIRED),
    ],
)
def test_invitation_accept_refuses_with_the_reason_the_page_shows(owner, outsider, who, reason):
    invitation = create(owner, "guest@example.com")
    if who == "after revoking":
        inv.invitation_revoke(invitation=invitation)
    if who == "after expiry":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    user = owner if who == "the owner" else outsider

    with pytest.raises(ApplicationError) as refused:
        inv.invitation_accept(invitation=invitation, user=user)

    assert refused.value.reason is reason
    assert not Membership.objects.filter(owner=owner, member=user).exists()
