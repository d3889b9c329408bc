"""Every change that ends access ends the account's sessions through one step
(accounts.access.user_sessions_end), and an ended session stays ended whatever is granted
later: a session from before a deactivation is anonymous after the reactivation too, until a
new sign-in. Real password sign-ins, real session cookies."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.access import user_identity_disconnect, user_password_set
from accounts.models import User
from accounts.services import user_active_set, user_email_change, user_identity_merge
from apikeys.models import KeyEvent
from teams.directory import directory_import
from tests.support.accounts import ALICE_EMAIL, ALICE_PASSWORD

pytestmark = pytest.mark.django_db
EMAIL, PASSWORD = ALICE_EMAIL, ALICE_PASSWORD


def signed_in(email: str = EMAIL, password: str = PASSWORD) -> Client:
    """A browser that signed in with the password form, as a person does."""
    browser = Client()
    browser.post("/accounts/login/", {"login": email, "password": password})
    assert whoami(browser) is not None, "the sign-in failed"
    return browser


def whoami(browser: Client) -> User | None:
    """Who the browser's session cookie signs in as on its next request (None: nobody)."""
    user = browser.get("/").wsgi_request.user
    return user if isinstance(user, User) else None


def operator(root: User) -> Client:
    browser = Client()
    browser.force_login(root)
    return browser


def admin_active(root: User, user: User, active: bool) -> None:
    form = {"email": user.email, "name": user.name}
    if active:
        form["is_active"] = "on"
    response = operator(root).post(f"/admin/accounts/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]


# --- Deactivation, then reactivation ------------------------------------------------------------


def test_a_session_from_before_a_deactivation_stays_anonymous_after_the_reactivation(alice):
    old = signed_in()

    assert user_active_set(user=alice, active=False)
    assert whoami(old) is None
    assert user_active_set(user=alice, active=True)

    assert whoami(old) is None  # no new sign-in: the old cookie signs in nobody
    assert whoami(signed_in()) == alice  # a new sign-in works


def test_the_same_holds_when_an_operator_deactivates_and_reactivates_in_the_admin(alice, root):
    old = signed_in()

    admin_active(root, alice, active=False)
    admin_active(root, alice, active=True)

    alice.refresh_from_db()
    assert alice.is_active
    assert whoami(old) is None
    assert whoami(signed_in()) == alice


def test_a_reactivation_alone_ends_no_session_and_an_unchanged_state_nothing(alice):
    session = signed_in()

    assert not user_active_set(user=alice, active=True)  # already active: nothing happens

    assert whoami(session) == alice
    assert not KeyEvent.objects.filter(user=alice).exists()


# --- Every change that ends access, through the one step --------------------------------------


def _deactivate(alice: User, root: User) -> None:
    user_active_set(user=alice, active=False, actor=root)
    user_active_set(user=alice, active=True, actor=root)


def _email_change(alice: User, root: User) -> None:
    user_email_change(user=alice, email="alice@new.example.com", actor=root)


def _identity_merge(alice: User, root: User) -> None:
    user_identity_merge(user=alice, provider="google", uid="alice-sub")


def _operator_password(alice: User, root: User) -> None:
    user_password_set(user=alice, password="New-pass-456", actor=root, reason="a test")


def _directory_password(alice: User, root: User) -> None:
    directory_import(
        data={
            "users": [{"email": EMAIL, "userId": alice.public_id, "password": "New-pass-456"}],
            "projects": [],
            "memberships": [],
        }
    )


def _identity_disconnect(alice: User, root: User) -> None:
    account = SocialAccount.objects.create(user=alice, provider="google", uid="alice-sub")
    user_identity_disconnect(account=account, actor=alice)


@pytest.mark.parametrize(
    "change",
    [
        _deactivate,
        _email_change,
        _identity_merge,
        _operator_password,
        _directory_password,
        _identity_disconnect,
    ],
    ids=lambda change: change.__name__.strip("_"),
)
def test_every_change_that_ends_access_ends_every_session_through_the_one_step(
    alice, root, change: Callable[[User, User], None]
):
    first, second = signed_in(), signed_in()

    change(alice, root)

    assert whoami(first) is None and whoami(second) is None
    # user_sessions_end is the step that ends sessions, and the one that records this event.
    assert KeyEvent.objects.filter(user=alice, kind=KeyEvent.Kind.SESSIONS_ENDED).count() == 1


def test_an_operator_changing_their_own_password_in_the_admin_keeps_that_session_only(root):
    elsewhere = signed_in("root@example.com", "Root-pass-123")
    here = signed_in("root@example.com", "Root-pass-123")

    response = here.post(
        f"/admin/accounts/user/{root.pk}/password/",
        {
            "password1": "Root-new-pass-456",
            "password2": "Root-new-pass-456",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert whoami(here) == root
    assert whoami(elsewhere) is None
    root.refresh_from_db()
    assert root.check_password("Root-new-pass-456")


def test_changing_ones_own_password_on_allauths_page_signs_out_the_other_sessions(alice):
    elsewhere, here = signed_in(), signed_in()

    response = here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "Alice-new-456", "password2": "Alice-new-456"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert whoami(here) == alice
    assert whoami(elsewhere) is None
    assert whoami(signed_in(password="Alice-new-456")) == alice
