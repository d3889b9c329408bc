"""What operators do with addresses compares canonical forms exactly too: the address change
(the admin and the directory import), the import's matching of users, the admin's add form and
`createsuperuser`. Look-alikes are other people; the same address in another ASCII case is the
same person. On a database that folds Unicode case as production's does, like
test_lookalike_addresses.py."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.addresses import UnusableEmailAddress
from accounts.models import User
from accounts.selectors import user_address_is_verified
from accounts.services import UserRefusal, user_email_change
from apikeys.models import KeyEvent
from core.errors import ApplicationError
from projects.models import Project
from teams.directory import DirectoryError, directory_import
from tests.support.accounts import verified_user
from tests.support.folding_database import database_folding_unicode_case
from tests.support.lookalikes import LOOKALIKES, SAME_ADDRESS, Lookalike

pytestmark = pytest.mark.django_db
PASSWORD = "Victim-pass-123"


@pytest.fixture(scope="module", autouse=True)
def _production_case_folding(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), database_folding_unicode_case():
        yield


def refusal(**change) -> str:
    with pytest.raises(ApplicationError) as refused:
        user_email_change(actor=None, **change)
    return refused.value.reason


# --- The operator's address change -----------------------------------------------------------


@pytest.mark.parametrize("case", LOOKALIKES)
def test_a_lookalike_is_a_new_address_and_the_real_one_is_free_for_someone_else(
    case: Lookalike,
):
    victim = verified_user(case.real, PASSWORD)
    if case.canonical is None:
        assert refusal(user=victim, email=case.lookalike) == UserRefusal.EMAIL_UNUSABLE
        assert User.objects.get(pk=victim.pk).email == case.real
        return

    user_email_change(user=victim, email=case.lookalike, actor=None)

    # An identity change: whoever held the account under the old address is out.
    assert victim.email == case.canonical
    assert not User.objects.get(pk=victim.pk).has_usable_password()
    assert KeyEvent.objects.filter(user=victim, kind=KeyEvent.Kind.EMAIL_CHANGED).exists()
    # The real address is not held by the look-alike's holder: another account may take it.
    other = verified_user("other@example.com")
    user_email_change(user=other, email=case.real, actor=None)
    assert User.objects.get(pk=other.pk).email == case.real
    assert user_address_is_verified(user=victim, email=case.lookalike)


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_the_same_address_spelled_otherwise_is_no_change_and_is_held(address, spelling):
    account = verified_user(address, PASSWORD)

    user_email_change(user=account, email=spelling, actor=None)

    assert User.objects.get(pk=account.pk).email == address
    assert User.objects.get(pk=account.pk).check_password(PASSWORD)
    assert not KeyEvent.objects.filter(kind=KeyEvent.Kind.EMAIL_CHANGED).exists()
    other = verified_user("other@example.com")
    assert refusal(user=other, email=spelling) == UserRefusal.EMAIL_HELD_ELSEWHERE


# --- The directory import ----------------------------------------------------------------------


@pytest.mark.parametrize("case", LOOKALIKES)
def test_the_import_keeps_a_lookalike_apart_from_the_real_address(case: Lookalike):
    data = {"users": [{"email": case.real}, {"email": case.lookalike}]}
    if case.canonical is None or not case.valid:
        with pytest.raises(DirectoryError) as refused:
            directory_import(data=data)
        assert refused.value.problems == [
            f'users[1].email: invalid email address "{case.lookalike}"'
        ]
        assert not User.objects.exists()
        return

    directory_import(data=data)

    assert sorted(User.objects.values_list("email", flat=True)) == sorted(
        [case.real, case.canonical]
    )


@pytest.mark.parametrize("case", LOOKALIKES)
def test_the_import_never_takes_a_lookalikes_project_for_the_real_owners(case: Lookalike):
    if case.canonical is None:
        with pytest.raises(UnusableEmailAddress):
            User.objects.create_user(case.lookalike)  # nobody can hold it
        return
    mallory = User.objects.create_user(case.lookalike)
    theirs = Project.objects.create(owner=mallory, name="Showroom")

    directory_import(
        data={
            "users": [{"email": case.real}],
            "projects": [{"owner": case.real, "name": "Showroom"}],
        }
    )

    victim = User.objects.get(email=case.real)
    assert victim != mallory
    assert Project.objects.get(pk=theirs.pk).owner == mallory
    assert Project.objects.filter(owner=victim, name="Showroom").count() == 1


@pytest.mark.parametrize(("address", "spelling"), SAME_ADDRESS)
def test_the_import_matches_the_same_address_spelled_otherwise(address, spelling):
    account = verified_user(address, PASSWORD)

    directory_import(data={"users": [{"email": spelling, "name": "Renamed"}]})

    assert list(User.objects.values_list("pk", "email", "name")) == [
        (account.pk, address, "Renamed")
    ]
    with pytest.raises(DirectoryError) as refused:
        directory_import(data={"users": [{"email": address}, {"email": spelling}]})
    assert refused.value.problems == [f'users[1].email: "{address}" repeats users[0].email']


# --- The admin and createsuperuser -------------------------------------------------------------


@pytest.fixture
def admin(db) -> Client:
    root = User.objects.create_superuser("root@example.com", "Root-pass-123")
    client = Client()
    client.force_login(root)
    return client


def add_in_admin(admin: Client, email: str):
    return admin.post(
        "/admin/accounts/user/add/",
        {"email": email, "name": "", "password1": PASSWORD, "password2": PASSWORD},
    )


def test_the_admin_adds_users_under_their_canonical_address_and_lookalikes_apart(admin):
    assert add_in_admin(admin, "Victim@GMAIL.com").status_code == 302
    assert add_in_admin(admin, "vıctim@gmail.com").status_code == 302  # another person
    assert add_in_admin(admin, "victim@gmaıl.com").status_code == 302  # another domain
    assert add_in_admin(admin, "ſam@example.com").status_code == 302  # not NFKC's sam@

    taken = add_in_admin(admin, "VICTIM@ｇｍａｉｌ.com")  # the first one, spelled otherwise
    refused = add_in_admin(admin, "\u212aate@example.com")

    assert "Another account already uses that address." in taken.content.decode()
    assert "lowercasing would change" in refused.content.decode()
    assert sorted(User.objects.exclude(is_superuser=True).values_list("email", flat=True)) == [
        "victim@gmail.com",
        "victim@xn--gmal-nza.com",
        "vıctim@gmail.com",
        "ſam@example.com",
    ]
    for user in User.objects.exclude(is_superuser=True):
        assert user_address_is_verified(user=user, email=user.email)


def test_the_admin_change_form_compares_canonical_addresses(admin):
    victim = verified_user("victim@gmail.com")
    other = verified_user("other@example.com")

    def change(email: str):
        return admin.post(
            f"/admin/accounts/user/{other.pk}/change/",
            {"email": email, "name": "", "is_active": "on"},
        )

    assert "Another account already uses" in change("VICTIM@Gmail.com").content.decode()
    assert change("vıctim@GMAIL.com").status_code == 302
    assert User.objects.get(pk=other.pk).email == "vıctim@gmail.com"
    assert User.objects.get(pk=victim.pk).email == "victim@gmail.com"


def test_a_staff_member_marks_only_canonical_addresses_in_the_address_admin(admin):
    victim = verified_user("victim@gmail.com")
    response = admin.post(
        "/admin/account/emailaddress/add/",
        {"user": victim.pk, "email": "Victim@GMAıL.com", "verified": "on"},
    )
    assert response.status_code == 302
    assert user_address_is_verified(user=victim, email="victim@xn--gmal-nza.com")


def test_createsuperuser_stores_the_canonical_address_and_sees_it_taken_in_any_case(db):
    call_command("createsuperuser", email="Sam@MÜNCHEN.de", interactive=False, verbosity=0)
    root = User.objects.get(is_superuser=True)
    assert root.email == "sam@xn--mnchen-3ya.de"
    assert user_address_is_verified(user=root, email=root.email)

    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", email="SAM@münchen.de", interactive=False, verbosity=0)
    call_command("createsuperuser", email="ſam@münchen.de", interactive=False, verbosity=0)
    assert sorted(User.objects.values_list("email", flat=True)) == [
        "sam@xn--mnchen-3ya.de",
        "ſam@xn--mnchen-3ya.de",  # a look-alike: another operator
    ]
