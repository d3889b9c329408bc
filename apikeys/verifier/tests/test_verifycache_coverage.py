"""Every write path of every row the verifier reads announces what it changes
(core.leasedcache), before its commit and after it, so no cached answer outlives a change:
services, the admin, queryset.update, bulk writes, many-to-many edits from either side,
cascaded deletes, the directory import. (That every table the query reads is declared:
tests/architecture/test_cached_readers.py.)"""

from __future__ import annotations

import io
import json

import pytest
import redis
from django.utils import timezone

from accounts.models import User
from apikeys.models import ApiKey, ServiceToken
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from core.leasedcache import Topic, TrackedQuerySet, dependency
from core.leasedcache._leases import STREAM
from projects.models import Project
from teams.models import Membership, Role

pytestmark = pytest.mark.django_db

# What `announced.value` says of a name announced before a write's commit and not yet after it.
PENDING = "pending:"


def test_related_managers_write_through_the_tracked_queryset(owner, showroom):
    assert isinstance(owner.api_keys.all(), TrackedQuerySet)
    assert isinstance(owner.projects.all(), TrackedQuerySet)
    assert isinstance(showroom.memberships.all(), TrackedQuerySet)


def _id(change_id):
    ms, seq = change_id.split("-")
    return int(ms), int(seq)


@pytest.fixture
def announced(verify_cache):
    """What the change stream says of a name since `seed`: None (nothing announced),
    "pending:<change>" (announced before a commit, not yet after it) or "committed:<change>"."""
    client = redis.Redis.from_url(verify_cache, decode_responses=True)

    class Announced:
        def __init__(self):
            self.since = {}

        def value(self, kind, pk):
            name = dependency(kind, pk)
            since = self.since.get(name, (0, 0))
            last = None
            for change_id, fields in client.xrange(STREAM):
                if _id(change_id) > since and name in fields["keys"].split():
                    phase = PENDING if fields["phase"] == "p" else "committed:"
                    last = phase + change_id
            return last

        def seed(self, *pairs):
            newest = client.xrevrange(STREAM, count=1)
            for kind, pk in pairs:
                self.since[dependency(kind, pk)] = _id(newest[0][0]) if newest else (0, 0)

        def bumped(self, kind, pk):
            value = self.value(kind, pk)
            return value not in (None, "before") and not value.startswith(PENDING)

    yield Announced()
    client.close()


@pytest.fixture
def world(owner, full_member, showroom, configurator):
    token = service_token_create(name="pipeline").service_token
    key = apikey_issue(user=full_member).api_key
    membership = Membership.objects.get(member=full_member)
    return {
        "owner": owner,
        "member": full_member,
        "showroom": showroom,
        "token": token,
        "key": key,
        "membership": membership,
        "configurator": configurator,
    }


U, P, T = Topic.USER, Topic.PROJECT, Topic.TOKEN

WRITES = {
    "queryset update of a user": (
        lambda w: User.objects.filter(pk=w["member"].pk).update(is_active=False),
        U,
        "member",
    ),
    "queryset update of keys": (
        lambda w: ApiKey.objects.filter(user=w["member"]).update(revoked_at=timezone.now()),
        U,
        "member",
    ),
    "related manager update": (
        lambda w: w["member"].api_keys.update(revoked_at=timezone.now()),
        U,
        "member",
    ),
    "queryset update of a project": (
        lambda w: Project.objects.filter(pk=w["showroom"].pk).update(status="inactive"),
        P,
        "showroom",
    ),
    "queryset update of a token": (
        lambda w: ServiceToken.objects.filter(pk=w["token"].pk).update(scopes="pipeline"),
        T,
        "token",
    ),
    "queryset update of a role": (
        lambda w: Membership.objects.filter(pk=w["membership"].pk).update(role=Role.READONLY),
        U,
        "member",
    ),
    "save of a user": (lambda w: _save(w["member"], is_active=False), U, "member"),
    "save of a project": (lambda w: _save(w["showroom"], name="Renamed"), P, "showroom"),
    "delete of a key": (lambda w: w["key"].delete(), U, "member"),
    "delete of a membership": (lambda w: w["membership"].delete(), U, "member"),
    "queryset delete of memberships": (
        lambda w: Membership.objects.filter(owner=w["owner"]).delete(),
        U,
        "member",
    ),
    "cascade: deleting the account owner": (lambda w: w["owner"].delete(), U, "member"),
    "cascade: deleting the account owner (its project)": (
        lambda w: w["owner"].delete(),
        P,
        "showroom",
    ),
    "cascade: deleting the member": (lambda w: w["member"].delete(), U, "member"),
    "moving a key to another user (old owner)": (
        lambda w: _save(w["key"], user=w["owner"]),
        U,
        "member",
    ),
    "moving a key to another user (new owner)": (
        lambda w: ApiKey.objects.filter(pk=w["key"].pk).update(user=w["owner"]),
        U,
        "owner",
    ),
    "cascade: deleting a project": (lambda w: w["showroom"].delete(), P, "showroom"),
    "access list: remove": (lambda w: w["membership"].projects.remove(w["showroom"]), U, "member"),
    "access list: clear from the project's side": (
        lambda w: w["showroom"].memberships.clear(),
        P,
        "showroom",
    ),
    "access list: through rows updated": (
        lambda w: Membership.projects.through.objects.filter(project=w["showroom"]).update(
            project=w["configurator"]
        ),
        P,
        "showroom",
    ),
    "access list: through rows deleted": (
        lambda w: Membership.projects.through.objects.filter(project=w["showroom"]).delete(),
        P,
        "showroom",
    ),
    "bulk_create of a key": (lambda w: _bulk_key(w["member"]), U, "member"),
    "bulk_create of access-list rows": (
        lambda w: Membership.projects.through.objects.bulk_create(
            [Membership.projects.through(membership=w["membership"], project=w["configurator"])]
        ),
        P,
        "configurator",
    ),
}


def _bulk_key(user):
    ApiKey.objects.bulk_create(
        [
            ApiKey(
                user=user,
                ciphertext="0" * 32 + ":00",
                kek_id="k",
                digest="d" * 64,
                hint="h",
                revoked_at=timezone.now(),
            )
        ]
    )


def _save(row, **fields):
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_path_announces_before_its_commit_and_after_it(
    name, world, announced, django_capture_on_commit_callbacks
):
    write, kind, who = WRITES[name]
    pk = world[who].pk
    announced.seed((kind, pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        write(world)
        assert announced.value(kind, pk).startswith(PENDING)  # before the commit
    for callback in callbacks:
        callback()
    assert announced.bumped(kind, pk)


def test_writes_no_verify_answer_depends_on_announce_nothing(world, announced, settings):
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = "redis://127.0.0.1:1/0"  # unreachable
    member = world["member"]
    User.objects.filter(pk=member.pk).update(last_login=timezone.now())  # sign-in
    member.name = "New name"
    member.save(update_fields=["name"])
    ApiKey.objects.bulk_update([world["key"]], ["ciphertext", "kek_id"])  # re-encryption


def test_the_admin_announces_what_it_changes(
    client, world, announced, django_capture_on_commit_callbacks
):
    root = User.objects.create_superuser("root@example.com", "pw-root-123")
    client.force_login(root)
    showroom, membership = world["showroom"], world["membership"]
    announced.seed((P, showroom.pk), (U, world["member"].pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/projects/project/{showroom.pk}/change/",
            {
                "owner": world["owner"].pk,
                "name": "Admin renamed",
                "status": "inactive",
                "region": "europe",
                "custom_domain": "",
            },
        )
    assert response.status_code == 302, response.content[:500]
    assert announced.bumped(P, showroom.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/teams/membership/",
            {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert announced.bumped(U, world["member"].pk)


def test_the_directory_import_announces_what_it_changes(
    tmp_path, world, announced, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    owner, member, showroom = world["owner"], world["member"], world["showroom"]
    announced.seed((U, member.pk))
    data = {
        "users": [
            {"email": owner.email, "userId": owner.public_id},
            {"email": member.email, "userId": member.public_id},
        ],
        "projects": [{"projectId": showroom.public_id, "name": "Showroom", "owner": owner.email}],
        "memberships": [
            {
                "account": owner.email,
                "member": member.email,
                "role": "READONLY",
                "projects": [showroom.public_id],
            }
        ],
    }
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_directory", str(path), stdout=io.StringIO())
    assert Membership.objects.get(member=member).role == Role.READONLY
    assert announced.bumped(U, member.pk)
