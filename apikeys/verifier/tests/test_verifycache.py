"""The verifier's cache (core.leasedcache): a warm hit makes no query, a miss one, and no change
is ever missed."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys.models import ApiKey
from apikeys.revocation import apikey_revoke
from apikeys.service_tokens import service_token_revoke, service_token_set_scopes
from apikeys.services import apikey_issue
from apikeys.verifier.tests.verifycache_support import verify, warm
from audit.services import SYSTEM
from builds.services import upload_create, upload_status_report
from core.leasedcache import Outcome, outcomes
from lifecycle.events import KeyRevokeReason
from projects.services import project_rename
from teams.models import Role
from teams.services import membership_remove, membership_upsert
from tests.support.api import DETAIL
from tests.support.services import free_port
from webhooks.configure import webhook_settings_update

pytestmark = pytest.mark.django_db


def test_with_the_cache_off_every_verify_is_one_query(
    client, owner, showroom, token, settings, django_assert_num_queries
):
    key = apikey_issue(user=owner).plaintext
    assert settings.KEYSERVICE_LEASED_CACHE is False  # the suite's default
    for _ in range(3):
        with django_assert_num_queries(1):
            assert verify(client, token, key, owner, showroom).status_code == 200


def _rotate(ctx):
    apikey_issue(user=ctx["user"])


def _revoke(ctx):
    apikey_revoke(
        api_key=ApiKey.objects.get(user=ctx["user"], revoked_at=None),
        reason=KeyRevokeReason.REVOKED_BY_OPERATOR,
    )


def _remove_member(ctx):
    membership_remove(owner=ctx["owner"], member=ctx["user"], actor=SYSTEM)


def _readonly(ctx):
    membership_upsert(
        owner=ctx["owner"],
        member=ctx["user"],
        role=Role.READONLY,
        projects=[ctx["project"]],
        actor=SYSTEM,
    )


def _empty_access_list(ctx):
    membership_upsert(
        owner=ctx["owner"], member=ctx["user"], role=Role.FULL, projects=[], actor=SYSTEM
    )


def _delete_project(ctx):
    ctx["project"].delete()


def _revoke_token(ctx):
    service_token_revoke(service_token=ctx["token"].service_token)


def _token_scopes(ctx):
    service_token_set_scopes(service_token=ctx["token"].service_token, scopes=["revoke-leaked"])


def _deactivate(ctx):
    user = ctx["user"]
    user.is_active = False
    user.save(update_fields=["is_active"])


def _delete_user(ctx):
    ctx["user"].delete()


def _deactivate_owner_of_nothing_else(ctx):
    ctx["owner"].delete()  # the account and its projects and memberships go with it


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (_rotate, 401, "Unauthorized: Invalid API Key"),
        (_revoke, 401, "Unauthorized: Invalid API Key"),
        (_remove_member, 403, "Forbidden"),
        (_readonly, 403, "Forbidden"),
        (_empty_access_list, 403, "Forbidden"),
        (_delete_project, 404, "Project not found"),
        (_revoke_token, 401, "Unauthorized: Invalid service token"),
        (_token_scopes, 403, "Forbidden"),
        (_deactivate, 401, "Unauthorized: Invalid API Key"),
        (_delete_user, 401, "Unauthorized: Invalid API Key"),
        (_deactivate_owner_of_nothing_else, 404, "Project not found"),
    ],
)
def test_the_request_after_a_change_returned_sees_it(
    client,
    owner,
    full_member,
    showroom,
    token,
    verify_cache,
    committed,
    change,
    status,
    message,
):
    with committed():
        key = apikey_issue(user=full_member).plaintext
    warm(client, token, key, full_member, showroom, "write")
    with committed():
        change({"owner": owner, "user": full_member, "project": showroom, "token": token})
    response = verify(client, token, key, full_member, showroom, "write")
    assert (response.status_code, response.json()) == (status, {"message": message})


def test_the_public_project_read_uses_the_cache_and_sees_a_rename(
    client, owner, showroom, verify_cache, committed
):
    with committed():
        key = apikey_issue(user=owner).plaintext
    for _ in range(3):
        response = DETAIL.call(
            client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
        )
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as warm_read:
        response = DETAIL.call(
            client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
        )
    assert response.json()["name"] == "Showroom"
    assert outcomes[Outcome.HIT] >= 2
    assert len(warm_read) == 0  # the credential, the project, its webhook and files: cached
    with committed():
        project_rename(project=showroom, name="Showroom 2")
    response = DETAIL.call(
        client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
    )
    assert response.json()["name"] == "Showroom 2"


def test_a_cold_public_project_read_is_two_queries_however_many_files_it_lists(
    client, owner, showroom, verify_cache, committed, settings, django_assert_num_queries
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    with committed():
        key = apikey_issue(user=owner).plaintext
        for name in ("a", "b", "c"):
            upload_create(
                project=showroom,
                user=owner,
                file_url=f"https://127.0.0.1:9/{name}.zip",
                auto_release=True,
            )
        webhook_settings_update(
            project=showroom,
            url="https://127.0.0.1:9/hook",
            events=["build.uploaded"],
            actor=SYSTEM,
        )
    settings.KEYSERVICE_LEASED_CACHE = False  # every read computes its answer
    with django_assert_num_queries(2):  # the credential; the webhook settings and the files
        body = DETAIL.call(
            client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
        ).json()
    assert (body["webhookUrl"], body["webhookEvents"]) == (
        "https://127.0.0.1:9/hook",
        ["build.uploaded"],
    )
    assert [f["url"].rsplit("/", 1)[1] for f in body["files"]] == ["c.zip", "b.zip", "a.zip"]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", f["date"]) for f in body["files"]
    )
    assert {(f["status"], f["objection"]) for f in body["files"]} == {("pending", None)}


def test_the_public_project_read_sees_a_new_file_a_status_and_a_webhook_change_at_once(
    client, owner, showroom, verify_cache, committed, settings
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    with committed():
        key = apikey_issue(user=owner).plaintext

    def read():
        for _ in range(2):  # the second is a hit once warm
            body = DETAIL.call(
                client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
            ).json()
        return body["webhookUrl"], [(f["url"], f["status"]) for f in body["files"]]

    read(), read()
    with committed():
        upload = upload_create(
            project=showroom, user=owner, file_url="https://127.0.0.1:9/a.zip", auto_release=True
        )
    assert read() == (None, [("https://127.0.0.1:9/a.zip", "pending")])
    with committed():
        upload_status_report(
            upload_public_id=upload.public_id, status="Downloading Files", objection=None
        )
    assert read() == (None, [("https://127.0.0.1:9/a.zip", "Downloading Files")])
    with committed():
        webhook_settings_update(
            project=showroom,
            url="https://127.0.0.1:9/hook",
            events=["build.uploaded"],
            actor=SYSTEM,
        )
    assert read() == (
        "https://127.0.0.1:9/hook",
        [("https://127.0.0.1:9/a.zip", "Downloading Files")],
    )


def test_answers_from_the_cache_are_byte_identical_to_answers_from_the_database(
    client, full_member, showroom, token, verify_cache, committed, settings
):
    with committed():
        key = apikey_issue(user=full_member).plaintext

    def answers():
        detail = DETAIL.call(
            client, api_key=key, user_id=full_member.public_id, project_id=showroom.public_id
        )
        checked = verify(client, token, key, full_member, showroom, "write")
        refused = verify(client, token, key, full_member, showroom.__class__(public_id="0" * 24))
        return [(r.status_code, r.content) for r in (detail, checked, refused)]

    settings.KEYSERVICE_LEASED_CACHE = False
    from_database = answers()
    settings.KEYSERVICE_LEASED_CACHE = True
    answers(), answers()  # store, then hit
    outcomes.clear()
    assert answers() == from_database
    assert outcomes[Outcome.HIT] == 2  # the detail and the verify; the refusal is never cached


def test_the_key_page_explains_a_refused_request_when_the_cache_redis_is_unreachable(
    client, owner, verify_cache, settings
):
    client.force_login(owner)
    page = client.get("/keys/request/")
    nonce = page.context["nonce"]
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.post("/keys/request/", {"nonce": nonce}, follow=True)
    assert response.status_code == 200
    assert "cannot be made right now" in response.content.decode()
    assert not ApiKey.objects.filter(user=owner).exists()


def test_verify_cache_invalidate_makes_every_entry_miss_once(
    client, owner, showroom, token, verify_cache, committed
):
    from django.core.management import call_command

    with committed():
        key = apikey_issue(user=owner).plaintext
    warm(client, token, key, owner, showroom)
    call_command("verify_cache_invalidate", stdout=__import__("io").StringIO())
    outcomes.clear()
    assert verify(client, token, key, owner, showroom).status_code == 200
    assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 1, Outcome.HIT: 1}
