"""`manage.py import_directory`: one transaction, idempotent, ids kept, bad input rejected."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from core.errors import ApplicationError
from projects.models import Project
from teams.models import Membership
from teams.selectors import Access, project_access_for
from teams.services import MembershipRefusal

OWNER_ID = "663d0a1b2c3e4f5a6b7c8d9e"
VIEWER_ID = "663d0a1b2c3e4f5a6b7c8d9f"
SHOWROOM = "67944b8a3f323be4b89a2272"
CONFIGURATOR = "67944b8a3f323be4b89a2273"
OTHER_ID = "0123456789abcdef01234567"
DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "directory.json"


def directory() -> dict:
    return {
        "users": [
            {
                "email": "owner@example.com",
                "name": "Olivia",
                "userId": OWNER_ID,
                "password": "owner-pass-1",
            },
            {
                "email": "viewer@example.com",
                "name": "Victor",
                "userId": VIEWER_ID,
                "password": "viewer-pass-1",
            },
        ],
        "projects": [
            {"projectId": SHOWROOM, "name": "Showroom", "owner": "owner@example.com"},
            {"projectId": CONFIGURATOR, "name": "Configurator", "owner": "owner@example.com"},
        ],
        "memberships": [
            {
                "account": "owner@example.com",
                "member": "viewer@example.com",
                "role": "READONLY",
                "projects": [SHOWROOM],
            }
        ],
    }


def run_import(tmp_path: Path, data: object) -> str:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = StringIO()
    call_command("import_directory", str(path), stdout=out)
    return out.getvalue()


def import_error(tmp_path: Path, data: object) -> str:
    with pytest.raises(CommandError) as excinfo:
        run_import(tmp_path, data)
    return str(excinfo.value)


def db_state() -> tuple:
    """Everything an import may touch, including timestamps and password hashes."""
    users = sorted(User.objects.values_list("email", "name", "public_id", "password"))
    projects = sorted(
        Project.objects.values_list("public_id", "name", "owner__email", "updated_at")
    )
    memberships = sorted(
        (
            m.owner.email,
            m.member.email,
            m.role,
            tuple(sorted(p.public_id for p in m.projects.all())),
            m.updated_at,
        )
        for m in Membership.objects.select_related("owner", "member").prefetch_related("projects")
    )
    return users, projects, memberships


def access_list(owner_email: str, member_email: str) -> tuple[str, set[str]]:
    membership = Membership.objects.get(owner__email=owner_email, member__email=member_email)
    return membership.role, set(membership.projects.values_list("public_id", flat=True))


# --- Happy path -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_users_projects_and_memberships_with_the_given_ids(tmp_path):
    output = run_import(tmp_path, directory())

    owner = User.objects.get(public_id=OWNER_ID)
    assert (owner.email, owner.name) == ("owner@example.com", "Olivia")
    assert User.objects.get(public_id=VIEWER_ID).email == "viewer@example.com"
    showroom = Project.objects.get(public_id=SHOWROOM)
    assert (showroom.name, showroom.owner) == ("Showroom", owner)
    assert Project.objects.get(public_id=CONFIGURATOR).owner == owner
    assert access_list("owner@example.com", "viewer@example.com") == ("READONLY", {SHOWROOM})
    assert (
        "Imported 2 users (2 created, 0 updated, 0 unchanged), "
        "2 projects (2 created, 0 updated, 0 unchanged), "
        "1 memberships (1 created, 0 updated, 0 unchanged)"
    ) in output


@pytest.mark.django_db
def test_imported_passwords_are_set_and_users_without_one_cannot_sign_in_by_password(tmp_path):
    data = directory()
    data["users"].append({"email": "nopass@example.com"})
    run_import(tmp_path, data)

    assert User.objects.get(email="owner@example.com").check_password("owner-pass-1")
    assert User.objects.get(email="viewer@example.com").check_password("viewer-pass-1")
    assert not User.objects.get(email="nopass@example.com").has_usable_password()


@pytest.mark.django_db
def test_memberships_grant_access_only_to_the_listed_projects(tmp_path):
    run_import(tmp_path, directory())
    viewer = User.objects.get(email="viewer@example.com")

    showroom = Project.objects.get(public_id=SHOWROOM)
    configurator = Project.objects.get(public_id=CONFIGURATOR)
    assert project_access_for(user_id=viewer.pk, project=showroom) is Access.READONLY
    assert project_access_for(user_id=viewer.pk, project=configurator) is Access.NONE


@pytest.mark.django_db
def test_missing_ids_are_generated_and_optional_fields_may_be_left_out(tmp_path):
    data = {
        "users": [{"email": "plain@example.com"}],
        "projects": [{"name": "Plain project", "owner": "plain@example.com"}],
    }
    run_import(tmp_path, data)

    user = User.objects.get(email="plain@example.com")
    assert len(user.public_id) == 24 and user.name == ""
    assert len(Project.objects.get(name="Plain project", owner=user).public_id) == 24


@pytest.mark.django_db
def test_emails_are_matched_and_stored_in_their_canonical_form(tmp_path):
    User.objects.create_user("Legacy@MÜNCHEN.de")
    data = directory()
    data["users"][0]["email"] = "Owner@Example.COM"
    data["users"].append({"email": "LEGACY@münchen.de", "name": "Lee"})
    data["projects"][0]["owner"] = "OWNER@example.com"
    data["memberships"][0]["member"] = "Viewer@Example.com"
    run_import(tmp_path, data)

    assert User.objects.get(public_id=OWNER_ID).email == "owner@example.com"
    assert User.objects.get(name="Lee").email == "legacy@xn--mnchen-3ya.de"
    assert User.objects.filter(email__startswith="legacy@").count() == 1
    assert Project.objects.get(public_id=SHOWROOM).owner.public_id == OWNER_ID
    assert access_list("owner@example.com", "viewer@example.com")[0] == "READONLY"


@pytest.mark.django_db
def test_owners_and_members_may_be_users_already_in_the_database(tmp_path):
    run_import(tmp_path, directory())
    data = {
        "projects": [{"projectId": OTHER_ID, "name": "Later", "owner": "owner@example.com"}],
        "memberships": [
            {
                "account": "owner@example.com",
                "member": "viewer@example.com",
                "role": "FULL",
                "projects": [SHOWROOM, OTHER_ID],
            }
        ],
    }
    run_import(tmp_path, data)

    assert Project.objects.get(public_id=OTHER_ID).owner.public_id == OWNER_ID
    assert access_list("owner@example.com", "viewer@example.com") == ("FULL", {SHOWROOM, OTHER_ID})


# --- Idempotence ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_import_of_the_same_file_changes_nothing(tmp_path):
    run_import(tmp_path, directory())
    before = db_state()

    output = run_import(tmp_path, directory())

    assert db_state() == before
    assert "2 users (0 created, 0 updated, 2 unchanged)" in output
    assert "2 projects (0 created, 0 updated, 2 unchanged)" in output
    assert "1 memberships (0 created, 0 updated, 1 unchanged)" in output


@pytest.mark.django_db
def test_reimport_updates_names_roles_and_access_lists(tmp_path):
    run_import(tmp_path, directory())
    data = directory()
    data["users"][1]["name"] = "Victoria"
    data["users"][1]["password"] = "viewer-pass-2"
    data["projects"][0]["name"] = "Showroom 2"
    data["memberships"][0].update(role="FULL", projects=[CONFIGURATOR])

    output = run_import(tmp_path, data)

    viewer = User.objects.get(public_id=VIEWER_ID)
    assert viewer.name == "Victoria" and viewer.check_password("viewer-pass-2")
    assert Project.objects.get(public_id=SHOWROOM).name == "Showroom 2"
    assert access_list("owner@example.com", "viewer@example.com") == ("FULL", {CONFIGURATOR})
    assert "2 users (0 created, 1 updated, 1 unchanged)" in output
    assert "2 projects (0 created, 1 updated, 1 unchanged)" in output
    assert "1 memberships (0 created, 1 updated, 0 unchanged)" in output


@pytest.mark.django_db
def test_reimport_with_an_empty_project_list_removes_all_access(tmp_path):
    run_import(tmp_path, directory())
    data = directory()
    data["memberships"][0]["projects"] = []

    run_import(tmp_path, data)

    assert access_list("owner@example.com", "viewer@example.com") == ("READONLY", set())


@pytest.mark.django_db
def test_existing_user_keeps_its_id_name_and_password_when_the_file_omits_them(tmp_path):
    run_import(tmp_path, directory())
    data = {"users": [{"email": "owner@example.com"}]}

    output = run_import(tmp_path, data)

    owner = User.objects.get(email="owner@example.com")
    assert (owner.public_id, owner.name) == (OWNER_ID, "Olivia")
    assert owner.check_password("owner-pass-1")
    assert "1 users (0 created, 0 updated, 1 unchanged)" in output


@pytest.mark.django_db
def test_project_without_an_id_is_matched_by_owner_and_name_on_reimport(tmp_path):
    data = {
        "users": [{"email": "plain@example.com"}],
        "projects": [{"name": "Plain project", "owner": "plain@example.com"}],
    }
    run_import(tmp_path, data)
    public_id = Project.objects.get(name="Plain project").public_id

    output = run_import(tmp_path, data)

    assert list(Project.objects.values_list("public_id", flat=True)) == [public_id]
    assert "1 projects (0 created, 0 updated, 1 unchanged)" in output


@pytest.mark.django_db
def test_memberships_missing_from_the_file_are_kept(tmp_path):
    run_import(tmp_path, directory())
    data = directory()
    data["memberships"] = []

    run_import(tmp_path, data)

    assert Membership.objects.filter(member__email="viewer@example.com").exists()


# --- Demo data ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_directory_imports_cleanly_and_twice_without_changes():
    out = StringIO()
    call_command("import_directory", str(DEMO_FILE), stdout=out)
    before = db_state()
    again = StringIO()
    call_command("import_directory", str(DEMO_FILE), stdout=again)

    assert "4 users (4 created, 0 updated, 0 unchanged)" in out.getvalue()
    assert (
        "4 projects (4 created" in out.getvalue() and "2 memberships (2 created" in out.getvalue()
    )
    assert "0 created, 0 updated" in again.getvalue() and db_state() == before
    users = {u.email: u for u in User.objects.all()}
    assert users["owner@example.com"].name == "Olivia Owner"
    assert all(u.check_password("keyservice-demo") for u in users.values())
    projects = {p.name: p for p in Project.objects.select_related("owner")}
    owned = {name for name, p in projects.items() if p.owner.email == "owner@example.com"}
    assert owned == {"Showroom", "Configurator", "Museum Tour"}
    assert projects["Outsider Lab"].owner.email == "outsider@example.com"
    showroom, configurator = projects["Showroom"].public_id, projects["Configurator"].public_id
    assert access_list("owner@example.com", "full@example.com") == (
        "FULL",
        {showroom, configurator},
    )
    assert access_list("owner@example.com", "readonly@example.com") == ("READONLY", {showroom})
    assert not Membership.objects.filter(member__email="outsider@example.com").exists()


# --- Bad input changes nothing --------------------------------------------------------------


def _append(section: str, entry: object):
    def mutate(data: dict) -> None:
        data[section].append(entry)

    return mutate


def _set(section: str, index: int, **fields):
    def mutate(data: dict) -> None:
        data[section][index].update(fields)

    return mutate


def _drop(section: str, index: int, key: str):
    def mutate(data: dict) -> None:
        del data[section][index][key]

    return mutate


def _top(key: str, value: object):
    def mutate(data: dict) -> None:
        data[key] = value

    return mutate


def _member(**fields) -> dict:
    entry = {
        "account": "owner@example.com",
        "member": "viewer@example.com",
        "role": "FULL",
        "projects": [SHOWROOM],
    }
    return {**entry, **fields}


BAD_INPUT = [
    pytest.param(
        _append("projects", {"name": "Lost", "owner": "x@example.com"}),
        'projects[3].owner: unknown user "x@example.com"',
        id="unknown-owner",
    ),
    pytest.param(
        _set("memberships", 0, member="ghost@example.com"),
        'memberships[0].member: unknown user "ghost@example.com"',
        id="unknown-member",
    ),
    pytest.param(
        _set("memberships", 0, account="ghost@example.com"),
        'memberships[0].account: unknown user "ghost@example.com"',
        id="unknown-account",
    ),
    pytest.param(
        _set("users", 1, userId="663D0A1B2C3E4F5A6B7C8D9F"),
        'users[1].userId: must be 24 lowercase hexadecimal characters, got "663D0A1B',
        id="malformed-user-id",
    ),
    pytest.param(
        _set("projects", 1, projectId="67944b8a"),
        'projects[1].projectId: must be 24 lowercase hexadecimal characters, got "67944b8a"',
        id="malformed-project-id",
    ),
    pytest.param(
        _set("memberships", 0, projects=[SHOWROOM, 42]),
        "memberships[0].projects[1]: must be 24 lowercase hexadecimal characters, got 42",
        id="malformed-access-list-id",
    ),
    pytest.param(
        _append("users", {"email": "VIEWER@example.com"}),
        'users[3].email: "viewer@example.com" repeats users[1].email',
        id="duplicate-email",
    ),
    pytest.param(
        _append("users", {"email": "twin@example.com", "userId": VIEWER_ID}),
        f'users[3].userId: "{VIEWER_ID}" repeats users[1].userId',
        id="duplicate-user-id",
    ),
    pytest.param(
        _append("projects", {"projectId": SHOWROOM, "name": "Copy", "owner": "owner@example.com"}),
        "projects[3].projectId: repeats projects[0]",
        id="duplicate-project-id",
    ),
    pytest.param(
        _set("memberships", 0, role="ADMIN"),
        'memberships[0].role: unknown role "ADMIN" (expected FULL or READONLY)',
        id="unknown-role",
    ),
    pytest.param(
        _append("users", {"email": "not-an-email"}),
        'users[3].email: invalid email address "not-an-email"',
        id="invalid-email",
    ),
    pytest.param(
        _set("users", 0, name=7),
        "users[0].name: must be a string",
        id="wrong-type-name",
    ),
    pytest.param(
        _set("memberships", 0, projects=SHOWROOM),
        "memberships[0].projects: must be a list of projectIds",
        id="wrong-type-access-list",
    ),
    pytest.param(_append("projects", "Showroom"), "projects[3]: must be an object", id="entry"),
    pytest.param(_top("users", {"email": "a@example.com"}), "users: must be a list", id="section"),
    pytest.param(
        _drop("projects", 1, "owner"),
        "projects[1].owner: required field is missing",
        id="missing-owner",
    ),
    pytest.param(
        _drop("memberships", 0, "role"),
        "memberships[0].role: required field is missing",
        id="missing-role",
    ),
    pytest.param(
        _append("users", {"name": "Nobody"}),
        "users[3].email: required field is missing",
        id="missing-email",
    ),
    pytest.param(
        _append("projects", {"projectId": OTHER_ID, "owner": "owner@example.com"}),
        "projects[3].name: required for a new project",
        id="new-project-without-name",
    ),
    pytest.param(
        _top("teams", []),
        "teams: unknown top-level key (expected users, projects, memberships)",
        id="unknown-top-level-key",
    ),
    pytest.param(
        _set("users", 0, userid=OWNER_ID),
        "users[0].userid: unknown field",
        id="unknown-entry-field",
    ),
    pytest.param(
        _set("memberships", 0, member="owner@example.com"),
        "memberships[0].member: must differ from account",
        id="member-is-account",
    ),
    pytest.param(
        _append("memberships", _member(account="viewer@example.com", member="early@example.com")),
        f'memberships[1].projects[0]: project "{SHOWROOM}" belongs to "owner@example.com", '
        'not "viewer@example.com"',
        id="project-of-another-account",
    ),
    pytest.param(
        _set("memberships", 0, projects=[OTHER_ID]),
        f'memberships[0].projects[0]: unknown project "{OTHER_ID}"',
        id="unknown-project",
    ),
    pytest.param(
        _append("memberships", _member()),
        "memberships[1].member: repeats memberships[0] (same account and member)",
        id="duplicate-membership",
    ),
    pytest.param(
        _set("users", 1, userId=OTHER_ID),
        f'users[1].userId: "{OTHER_ID}" differs from the existing userId "{VIEWER_ID}"',
        id="user-id-differs-from-existing",
    ),
    pytest.param(
        _append("users", {"email": "thief@example.com", "userId": OWNER_ID}),
        f'users[3].userId: "{OWNER_ID}" is already used by "owner@example.com"',
        id="user-id-of-another-user",
    ),
    pytest.param(
        _append("projects", {"projectId": SHOWROOM, "owner": "viewer@example.com"}),
        f'projects[3].projectId: "{SHOWROOM}" is already used by a project of "owner@example.com"',
        id="project-id-of-another-account",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("mutate", "message"), BAD_INPUT)
def test_bad_input_names_entry_and_field_and_changes_nothing(tmp_path, mutate, message):
    run_import(tmp_path, directory())
    before = db_state()
    data = directory()
    data["users"][0]["name"] = "Renamed"  # a valid change earlier in the same file
    data["users"].append({"email": "early@example.com", "password": "early-pass-1"})
    data["projects"].append({"name": "Early", "owner": "early@example.com"})
    mutate(data)

    error = import_error(tmp_path, data)

    assert message in error
    assert "nothing was imported" in error
    assert db_state() == before
    assert not User.objects.filter(email="early@example.com").exists()
    assert not Project.objects.filter(name="Early").exists()


@pytest.mark.django_db
def test_every_problem_is_listed_not_just_the_first(tmp_path):
    data = directory()
    data["projects"][0]["owner"] = "x@example.com"
    data["memberships"][0]["role"] = "ADMIN"

    error = import_error(tmp_path, data)

    assert 'projects[0].owner: unknown user "x@example.com"' in error
    assert 'memberships[0].role: unknown role "ADMIN"' in error
    assert User.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["users"], "top level: must be an object"),
        (None, "top level: must be an object"),
    ],
)
def test_top_level_must_be_an_object(tmp_path, data, message):
    assert message in import_error(tmp_path, data)


@pytest.mark.django_db
def test_unparsable_json_changes_nothing(tmp_path):
    run_import(tmp_path, directory())
    before = db_state()
    path = tmp_path / "broken.json"
    path.write_text('{"users": [', encoding="utf-8")

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_directory", str(path), stdout=StringIO())

    assert db_state() == before


@pytest.mark.django_db
def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("import_directory", str(tmp_path / "absent.json"), stdout=StringIO())
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_a_failure_while_writing_rolls_back_everything(tmp_path, monkeypatch):
    run_import(tmp_path, directory())
    before = db_state()

    def refuse(**kwargs):
        raise ApplicationError(MembershipRefusal.INVALID, "refused", fields={"projects": "refused"})

    monkeypatch.setattr("teams.directory.membership_upsert", refuse)
    data = directory()
    data["users"][0]["name"] = "Renamed"
    data["users"].append({"email": "early@example.com"})

    error = import_error(tmp_path, data)

    assert "memberships[0]: refused" in error
    assert db_state() == before
    assert not User.objects.filter(email="early@example.com").exists()


@pytest.mark.django_db
def test_imported_addresses_are_recorded_as_verified(tmp_path):
    from allauth.account.models import EmailAddress

    run_import(tmp_path, directory())
    owner = User.objects.get(email="owner@example.com")
    assert EmailAddress.objects.filter(user=owner, email=owner.email, verified=True).exists()
