"""Validation of a directory file: every problem as `section[index].field: message`.

`directory_check` reads the whole input and either returns rows ready to write (with the
existing user or project each one matches) or raises DirectoryError listing every problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.addresses import UnusableEmailAddress, email_canonical, email_canonical_or_none
from accounts.models import User
from core.ids import is_public_id
from projects.models import Project
from teams.models import Role

SECTIONS = ("users", "projects", "memberships")


class DirectoryError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _public_id(value: object, where: str, problems: list[str]) -> str | None:
    if is_public_id(value):
        return value
    problems.append(f"{where}: must be 24 lowercase hexadecimal characters, got {_shown(value)}")
    return None


class _Entry:
    """One entry of a section; its readers record problems as `where.field: message`."""

    def __init__(self, raw: object, where: str, problems: list[str], fields: dict[str, bool]):
        self.where, self.problems = where, problems
        self.raw: dict = raw if isinstance(raw, dict) else {}
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be an object")
            return
        for key in sorted(raw.keys() - fields.keys()):
            self.fail(key, "unknown field")
        for key in sorted(k for k, required in fields.items() if required and k not in raw):
            self.fail(key, "required field is missing")

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}.{key}: {message}")

    def text(self, key: str, *, max_length: int, blank: bool = False) -> str | None:
        if key not in self.raw:
            return None
        value = self.raw[key]
        if not isinstance(value, str) or not (blank or value.strip()):
            self.fail(key, "must be a string" if blank else "must be a non-empty string")
        elif len(value) > max_length:
            self.fail(key, f"must be at most {max_length} characters")
        else:
            return value
        return None

    def email(self, key: str) -> str | None:
        value = self.text(key, max_length=254)
        if value is None:
            return None
        try:
            validate_email(value)
            return email_canonical(value)  # how it is stored and compared (accounts.addresses)
        except (ValidationError, UnusableEmailAddress):
            self.fail(key, f'invalid email address "{value}"')
            return None

    def public_id(self, key: str) -> str | None:
        if key not in self.raw:
            return None
        return _public_id(self.raw[key], f"{self.where}.{key}", self.problems)

    def user(self, key: str, known: set[str]) -> str | None:
        email = self.email(key)
        if email is not None and email not in known:
            self.fail(key, f'unknown user "{email}"')
            return None
        return email


@dataclass
class _UserRow:
    where: str
    email: str
    name: str | None
    public_id: str | None
    password: str | None = field(repr=False)
    existing: User | None = None


@dataclass
class _ProjectRow:
    where: str
    owner: str
    public_id: str | None
    name: str | None
    existing: Project | None = None


@dataclass
class _MembershipRow:
    where: str
    account: str
    member: str
    role: str
    project_ids: list[str]


def user_map_by_email(emails: set[str]) -> dict[str, User]:
    """The users known by these canonical addresses (stored canonical: compared exactly)."""
    return {user.email: user for user in User.objects.filter(email__in=emails)}


def _check_users(items: list, problems: list[str]) -> list[_UserRow]:
    rows: list[_UserRow] = []
    seen: dict[str, str] = {}  # email or userId → where it first appeared
    fields = {"email": True, "name": False, "userId": False, "password": False}
    for index, raw in enumerate(items):
        entry = _Entry(raw, f"users[{index}]", problems, fields)
        email, public_id = entry.email("email"), entry.public_id("userId")
        name = entry.text("name", max_length=150, blank=True)
        password = entry.text("password", max_length=4096)
        for key, value in (("email", email), ("userId", public_id)):
            if value in seen:
                entry.fail(key, f'"{value}" repeats {seen[value]}.{key}')
            elif value is not None:
                seen[value] = entry.where
        if email is not None:
            rows.append(_UserRow(entry.where, email, name, public_id, password))
    existing = user_map_by_email({row.email for row in rows})
    holders = User.objects.in_bulk(
        [r.public_id for r in rows if r.public_id], field_name="public_id"
    )
    for row in rows:
        row.existing = existing.get(row.email)
        holder = holders.get(row.public_id)
        where = f"{row.where}.userId"
        if row.public_id and row.existing and row.existing.public_id != row.public_id:
            problems.append(
                f'{where}: "{row.public_id}" differs from the existing userId '
                f'"{row.existing.public_id}" of "{row.email}"'
            )
        elif holder is not None and holder.email != row.email:
            problems.append(f'{where}: "{row.public_id}" is already used by "{holder.email}"')
    return rows


def _check_projects(items: list, known: set[str], problems: list[str]) -> list[_ProjectRow]:
    rows: list[_ProjectRow] = []
    seen: dict[object, str] = {}
    fields = {"owner": True, "projectId": False, "name": False}
    for index, raw in enumerate(items):
        entry = _Entry(raw, f"projects[{index}]", problems, fields)
        owner, public_id = entry.user("owner", known), entry.public_id("projectId")
        name = entry.text("name", max_length=200)
        if isinstance(raw, dict) and "projectId" not in raw and "name" not in raw:
            entry.fail("name", "required when projectId is absent")
        key = public_id or (owner, name)
        if public_id or name:
            if key in seen:
                entry.fail("projectId" if public_id else "name", f"repeats {seen[key]}")
            seen[key] = entry.where
        if owner and (public_id or name):
            rows.append(_ProjectRow(entry.where, owner, public_id, name))
    in_db = Project.objects.select_related("owner").in_bulk(
        [r.public_id for r in rows if r.public_id], field_name="public_id"
    )
    for row in rows:
        if row.public_id is None:  # no id given: the owner's project of that name, if any
            same = list(Project.objects.filter(owner__email=row.owner, name=row.name)[:2])
            row.existing = same[0] if len(same) == 1 else None
            if len(same) > 1:
                problems.append(
                    f'{row.where}.name: several projects of "{row.owner}" are named '
                    f'"{row.name}"; give a projectId'
                )
            continue
        row.existing = in_db.get(row.public_id)
        if row.existing is None and row.name is None:
            problems.append(f"{row.where}.name: required for a new project")
        elif row.existing is not None and row.existing.owner.email != row.owner:
            problems.append(
                f'{row.where}.projectId: "{row.public_id}" is already used by a project '
                f'of "{row.existing.owner.email}"'
            )
    return rows


def _check_memberships(
    items: list, known: set[str], project_owners: dict[str, str], problems: list[str]
) -> list[_MembershipRow]:
    rows: list[_MembershipRow] = []
    seen: dict[tuple, str] = {}
    fields = {"account": True, "member": True, "role": True, "projects": True}
    for index, raw in enumerate(items):
        entry = _Entry(raw, f"memberships[{index}]", problems, fields)
        account, member = entry.user("account", known), entry.user("member", known)
        role, project_ids = entry.raw.get("role"), entry.raw.get("projects", [])
        if account and account == member:
            entry.fail("member", "must differ from account")
        elif account and member and (account, member) in seen:
            entry.fail("member", f"repeats {seen[(account, member)]} (same account and member)")
        seen.setdefault((account, member), entry.where)
        if "role" in entry.raw and role not in Role.values:
            entry.fail("role", f"unknown role {_shown(role)} (expected FULL or READONLY)")
        if not isinstance(project_ids, list):
            entry.fail("projects", "must be a list of projectIds")
            continue
        for pos, value in enumerate(project_ids):
            where = f"{entry.where}.projects[{pos}]"
            owner = project_owners.get(value) if is_public_id(value) else None
            if _public_id(value, where, problems) is None:
                continue
            if value in project_ids[:pos]:
                problems.append(f'{where}: "{value}" is listed twice')
            elif owner is None:
                problems.append(f'{where}: unknown project "{value}"')
            elif account and owner != account:
                problems.append(f'{where}: project "{value}" belongs to "{owner}", not "{account}"')
        if account and member and isinstance(role, str):
            rows.append(_MembershipRow(entry.where, account, member, role, project_ids))
    return rows


def directory_check(data: object) -> tuple[list[_UserRow], list[_ProjectRow], list[_MembershipRow]]:
    if not isinstance(data, dict):
        raise DirectoryError([f"top level: must be an object with keys {', '.join(SECTIONS)}"])
    problems: list[str] = []
    for key in sorted(data.keys() - set(SECTIONS)):
        problems.append(f"{key}: unknown top-level key (expected {', '.join(SECTIONS)})")
    sections = {name: data.get(name, []) for name in SECTIONS}
    for name in SECTIONS:
        if not isinstance(sections[name], list):
            problems.append(f"{name}: must be a list")
            sections[name] = []
    users = _check_users(sections["users"], problems)
    referenced = {
        canonical
        for name, keys in (("projects", ("owner",)), ("memberships", ("account", "member")))
        for raw in sections[name]
        if isinstance(raw, dict)
        for key in keys
        if isinstance(raw.get(key), str) and (canonical := email_canonical_or_none(raw[key]))
    }
    known = {row.email for row in users} | user_map_by_email(referenced).keys()
    projects = _check_projects(sections["projects"], known, problems)
    owners = {(r.public_id or r.existing.public_id): r.owner for r in projects if r.existing}
    owners |= {r.public_id: r.owner for r in projects if r.public_id}
    in_db = Project.objects.filter(
        public_id__in={
            value
            for raw in sections["memberships"]
            if isinstance(raw, dict) and isinstance(raw.get("projects"), list)
            for value in raw["projects"]
            if is_public_id(value) and value not in owners
        }
    )
    owners |= dict(in_db.values_list("public_id", "owner__email"))
    memberships = _check_memberships(sections["memberships"], known, owners, problems)
    if problems:
        raise DirectoryError(problems)
    return users, projects, memberships
