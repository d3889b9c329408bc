"""The owner's Security page (/security/) and audit trail (/security/audit/, its CSV): what
each persona may see, the content, the filters, paging, the CSV's content and escaping, and
a bounded number of queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services import user_email_change
from apikeys.models import KeyEvent
from apikeys.services import apikey_issue
from apikeys.usage.models import KeyUse
from audit.models import AuditEvent
from audit.services import SYSTEM, Actor, audit_record
from dashboard.csv_export import csv_cell
from projects.models import Project
from teams.models import Invitation, Membership, Role
from tests.support.accounts import verified_user
from webhooks.configure import webhook_secret_rotate, webhook_settings_update

pytestmark = pytest.mark.django_db
Kind = AuditEvent.Kind


def page(client, user, path="/security/", **params):
    client.force_login(user)
    return client.get(path, params)


def section(html: str, project: Project) -> str:
    """The card of one project on the Security page."""
    start = html.index(f'id="project-{project.public_id}-h"')
    return html[start : html.index("</section>", start)]


# --- Who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/security/", "/security/audit/", "/security/audit.csv"], ids=str)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_account_menu_links_the_security_page(client, owner):
    assert 'href="/security/"' in page(client, owner, "/").content.decode()


@pytest.mark.parametrize("persona", ["full_member", "readonly_member", "outsider"])
def test_anyone_but_the_owner_sees_only_their_own_account_never_the_owners(
    client, request, persona, owner, showroom, configurator
):
    user = request.getfixturevalue(persona)
    audit_record(kind=Kind.MEMBER_ADDED, account=owner, actor=SYSTEM, subject=user)
    webhook_settings_update(
        project=showroom, url="https://hooks.example.com/k", events=["build.uploaded"], actor=SYSTEM
    )
    overview = page(client, user).content.decode()
    assert showroom.public_id not in overview and configurator.public_id not in overview
    assert "hooks.example.com" not in overview
    assert "You have no projects yet." in overview
    trail = page(client, user, "/security/audit/")
    assert rows(trail) == [] and "No events" in trail.content.decode()
    csv_body = b"".join(page(client, user, "/security/audit.csv").streaming_content)
    assert csv_body.decode().splitlines() == ["time,kind,actor_kind,actor,person,projects,details"]


def test_a_member_cannot_name_the_owners_people_in_the_filter(client, owner, full_member):
    audit_record(kind=Kind.MEMBER_ADDED, account=owner, actor=SYSTEM, subject=full_member)
    response = page(client, full_member, "/security/audit/", person=owner.email)
    assert response.status_code == 400  # not a person of their own trail
    assert rows(response) == []


# --- The Security page ----------------------------------------------------------------------


def test_the_owner_sees_who_reaches_each_project_with_role_access_list_and_key(
    client, owner, full_member, readonly_member, showroom, configurator
):
    Membership.objects.get(member=full_member).projects.add(configurator)
    key = apikey_issue(user=full_member).api_key
    html = page(client, owner).content.decode()
    show, conf = section(html, showroom), section(html, configurator)
    for email in (owner.email, full_member.email, readonly_member.email):
        assert email in show
    assert readonly_member.email not in conf  # not on its access list
    assert full_member.email in conf and owner.email in conf
    row = show[show.index(full_member.email) :].split("</tr>")[0]
    assert ">FULL<" in row and "Configurator, Showroom" in row
    assert key.hint in row and key.created_at.strftime("%Y-%m-%d") in row
    assert row.rstrip().endswith("<td>—</td>")  # last used: none recorded yet
    assert "no key" in show[show.index(readonly_member.email) :].split("</tr>")[0]
    assert ">OWNER<" in show and "every project (owner)" in show
    used = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    KeyUse.objects.create(key=key, last_at=used, last_surface="public", last_accepted=True)
    show = section(page(client, owner).content.decode(), showroom)
    row = show[show.index(full_member.email) :].split("</tr>")[0]
    assert row.rstrip().endswith("<td>2026-11-30 08:15</td>")  # apikeys.usage.counting's last use


def test_a_deactivated_member_reaches_nothing_and_is_listed_apart(
    client, owner, full_member, showroom
):
    User.objects.filter(pk=full_member.pk).update(is_active=False)
    html = page(client, owner).content.decode()
    assert full_member.email not in section(html, showroom)
    apart = html[html.index("Members who reach no project") :]
    assert full_member.email in apart.split("</section>")[0] and "deactivated" in apart


def test_pending_invitations_and_webhook_facts_are_shown(
    client, owner, showroom, configurator, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/team/invite/",
            {"email": "new@example.com", "role": "FULL", "projects": [showroom.public_id]},
        )
    webhook_settings_update(
        project=showroom, url="https://hooks.example.com/k", events=["build.uploaded"], actor=SYSTEM
    )
    webhook_secret_rotate(project=showroom, actor=SYSTEM)
    html = client.get("/security/").content.decode()
    invitations = html[html.index("Pending invitations") :]
    assert "new@example.com" in invitations and "Showroom" in invitations
    show, conf = section(html, showroom), section(html, configurator)
    assert "https://hooks.example.com/k" in show
    rotated = showroom.webhook.secret_rotated_at
    assert timezone.localtime(rotated).strftime("%Y-%m-%d %H:%M") in show
    assert "none" in conf and "never" in conf
    assert showroom.webhook.secret not in html


def test_the_security_page_has_no_inline_script_and_is_not_cached(client, owner, showroom):
    response = page(client, owner)
    html = response.content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert "script-src" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1]


def account_of(owner: User, *, members: int, projects: int) -> None:
    made = [Project.objects.create(owner=owner, name=f"P{n}") for n in range(projects)]
    for n in range(members):
        member = verified_user(f"m{n}-{members}@example.com")
        apikey_issue(user=member)
        m = Membership.objects.create(owner=owner, member=member, role=Role.FULL)
        m.projects.set(made)
    for n in range(members):
        Invitation.objects.create(
            owner=owner,
            email=f"i{n}@example.com",
            role=Role.READONLY,
            base_url="http://testserver/",
            expires_at=timezone.now() + timedelta(days=1),
        ).projects.set(made)
    for p in made:
        webhook_secret_rotate(project=p, actor=SYSTEM)


def test_the_security_page_takes_the_same_few_queries_however_big_the_account(
    client, django_assert_num_queries
):
    small = verified_user("small@example.com")
    big = verified_user("big@example.com")
    account_of(small, members=1, projects=1)
    account_of(big, members=6, projects=5)
    client.force_login(small)
    # session, user, its verified address; projects, reach, memberships + their projects,
    # keys, their last uses, webhooks, invitations + their projects
    with django_assert_num_queries(12):
        assert client.get("/security/").status_code == 200
    client.force_login(big)
    with django_assert_num_queries(12):
        html = client.get("/security/").content.decode()
    assert html.count('<span class="muted">m5-6@example.com</span>') == 5  # each project


# --- The audit trail ------------------------------------------------------------------------


@pytest.fixture
def trail(owner, full_member, readonly_member, outsider, showroom):
    """An owner's account with team events, key events of its people, and others' events."""
    root = User.objects.create_superuser("root@example.com", "pw-root-12345")
    earlier = timezone.now() - timedelta(days=3)
    KeyEvent.objects.filter(user=full_member).delete()
    # A key event of the member from before they joined: not the owner's business.
    old = KeyEvent.objects.create(kind=KeyEvent.Kind.ISSUED, user=full_member)
    KeyEvent.objects.filter(pk=old.pk).update(created_at=earlier)
    Membership.objects.filter(member=full_member).update(created_at=earlier + timedelta(hours=1))
    apikey_issue(user=full_member, actor=full_member)  # issued
    apikey_issue(user=owner, actor=owner)
    user_email_change(user=readonly_member, email="reader@example.com", actor=root)
    audit_record(
        kind=Kind.MEMBER_CHANGED,
        account=owner,
        actor=Actor.of(owner),
        subject=full_member,
        projects=[showroom.public_id],
        details={"role": "READONLY", "from_role": "FULL"},
    )
    apikey_issue(user=outsider)  # someone else's
    audit_record(kind=Kind.MEMBER_ADDED, account=outsider, actor=SYSTEM, subject=owner)
    return root


def rows(response) -> list[str]:
    body = response.content.decode()
    return re.findall(r'<td data-kind="([a-z_]+)">', body)


def test_the_owner_sees_their_accounts_team_and_key_events_newest_first(
    client, owner, full_member, trail
):
    response = page(client, owner, "/security/audit/")
    assert response.status_code == 200
    kinds = rows(response)
    assert kinds[0] == "member_changed"
    assert kinds.count("issued") == 2  # the owner's and the member's since joining
    assert "email_changed" in kinds and "sessions_ended" in kinds
    assert "member_added" not in kinds  # the outsider's account
    html = response.content.decode()
    assert "outsider@example.com" not in html
    assert "root@example.com" in html and "operator" in html  # the address change's actor
    changed = html[html.index('data-kind="member_changed"') :].split("</tr>")[0]
    assert "<td>Showroom</td>" in changed  # the project's name on the page (ids in the CSV)


def test_the_trail_filters_by_person_and_by_kind(client, owner, full_member, trail):
    by_person = rows(page(client, owner, "/security/audit/", person=full_member.email))
    assert sorted(by_person) == ["issued", "member_changed"]
    by_kind = rows(page(client, owner, "/security/audit/", kind="email_changed"))
    assert by_kind == ["email_changed"]
    both = page(client, owner, "/security/audit/", person=owner.email, kind="member_changed")
    assert rows(both) == []
    assert page(client, owner, "/security/audit/", kind="nonsense").status_code == 400


def test_the_trail_is_paginated(client, owner):
    for n in range(55):
        audit_record(
            kind=Kind.INVITATION_SENT,
            account=owner,
            actor=Actor.of(owner),
            subject_email=f"p{n:02}@example.com",
        )
    first = page(client, owner, "/security/audit/", kind="invitation_sent")
    second = page(client, owner, "/security/audit/", kind="invitation_sent", page=2)
    assert (len(rows(first)), len(rows(second))) == (50, 5)
    assert "p54@example.com" in first.content.decode()
    assert "p00@example.com" in second.content.decode()
    assert "kind=invitation_sent&amp;page=2" in first.content.decode()


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_csv_export_streams_the_filtered_trail(client, owner, full_member, showroom, trail):
    response = page(client, owner, "/security/audit.csv", person=full_member.email)
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    exported = read_csv(response)
    assert [r["kind"] for r in exported] == ["member_changed", "issued"]
    changed = exported[0]
    assert (changed["actor_kind"], changed["actor"], changed["person"]) == (
        "user",
        owner.email,
        full_member.email,
    )
    assert changed["projects"] == showroom.public_id
    assert changed["details"] == "Role: READONLY; From role: FULL"  # as on the page
    assert exported[1]["actor_kind"] == "user" and "spx_" in exported[1]["details"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_is_prefixed_with_a_quote(start):
    assert csv_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


def test_ordinary_cells_are_left_alone():
    assert csv_cell("owner@example.com") == "owner@example.com"
    assert csv_cell("") == ""


def test_the_exported_csv_neutralises_formulas_in_every_cell(client, owner):
    audit_record(
        kind=Kind.INVITATION_SENT,
        account=owner,
        actor=Actor.of(owner),
        subject_email="=cmd|' /C calc'!A0@example.com",
        projects=["@SUM(1)"],
        details={"via": "+1"},
    )
    [row] = read_csv(page(client, owner, "/security/audit.csv"))
    assert row["person"] == "'=cmd|' /C calc'!A0@example.com"
    assert row["projects"] == "'@SUM(1)"
    assert row["details"] == "Via: +1"  # a label first: harmless


def test_the_trails_details_read_as_words_with_times_in_utc():
    from dashboard.selectors import TrailRow

    row = TrailRow(
        created_at=timezone.now(),
        source="team",
        kind="member_role_changed",
        kind_label="Role changed",
        actor_kind="user",
        actor="owner@example.com",
        person="rita@example.com",
        details={
            "from_role": "FULL",
            "previous_signs_until": "2026-12-07T06:30:00+00:00",
            "projects": [],
        },
    )
    assert row.detail_items() == [
        ("From role", "FULL"),
        ("Previous secret signs until", "2026-12-07 06:30 UTC"),
        ("Projects", "—"),
    ]
