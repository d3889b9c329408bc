"""Owner, FULL member, READONLY member and outsider × every public endpoint × read/write,
and changes of access taking effect on the very next request."""

import pytest

from apikeys.services import apikey_issue
from builds.models import Upload
from teams.models import Membership
from tests.support.api import DETAIL, DISTRIBUTE, PROJECT_ENDPOINTS, TEST_WEBHOOK, UPLOAD, VALID_ZIP
from tests.support.builds import upload_ready_to_distribute
from tests.support.webhooks import webhook_set

pytestmark = pytest.mark.django_db

ALLOWED = {
    # persona: (can read showroom, can write showroom)
    "owner": (True, True),
    "full_member": (True, True),
    "readonly_member": (True, False),
    "outsider": (False, False),
}


def fields_for(endpoint, project):
    if endpoint is UPLOAD:
        return {"fileUrl": VALID_ZIP, "autoRelease": False}
    if endpoint is DISTRIBUTE:
        return {"uploadId": upload_ready_to_distribute(project).public_id}
    return {}


@pytest.fixture
def showroom_with_webhook(showroom):
    # refused by the SSRF guard: no traffic
    webhook_set(showroom, url="http://127.0.0.1:9/hook", events=["build.uploaded"])
    return showroom


@pytest.mark.parametrize("persona", list(ALLOWED))
@pytest.mark.parametrize("endpoint", PROJECT_ENDPOINTS, ids=lambda e: e.name)
def test_each_persona_gets_exactly_the_access_of_its_role(
    request, client, persona, endpoint, showroom_with_webhook, full_member, readonly_member
):
    user = request.getfixturevalue(persona)
    key = apikey_issue(user=user).plaintext
    response = endpoint.call(
        client,
        api_key=key,
        user_id=user.public_id,
        project_id=showroom_with_webhook.public_id,
        **fields_for(endpoint, showroom_with_webhook),
    )
    can_read, can_write = ALLOWED[persona]
    allowed = can_write if endpoint.need == "write" else can_read
    if allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403
        assert response.json() == {"message": "Forbidden"}


def test_the_detail_shows_the_callers_role_files_and_webhook_settings(
    client, readonly_member, showroom_with_webhook
):
    upload = Upload.objects.create(project=showroom_with_webhook, file_url=VALID_ZIP)
    key = apikey_issue(user=readonly_member).plaintext
    body = DETAIL.call(
        client,
        api_key=key,
        user_id=readonly_member.public_id,
        project_id=showroom_with_webhook.public_id,
    ).json()
    assert body["id"] == showroom_with_webhook.public_id
    assert body["role"] == "READONLY"
    assert body["webhookUrl"] == "http://127.0.0.1:9/hook"
    assert body["webhookEvents"] == ["build.uploaded"]
    assert body["files"] == [
        {
            "_id": upload.public_id,
            "url": VALID_ZIP,
            "status": "pending",
            "date": upload.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "objection": None,
        }
    ]
    assert set(body) == {
        "id", "name", "region", "status", "role", "webhookUrl", "webhookEvents",
        "customDomain", "files", "liveUsers", "usersInQueue", "subscriptionStatus",
        "createdAt", "updatedAt",
    }  # fmt: skip


def test_the_project_list_shows_every_reachable_project_with_role_and_pages(
    client, owner, full_member, showroom, configurator
):
    key = apikey_issue(user=full_member).plaintext
    response = client.get(
        "/pixelStripeApi/projects", {"apikey": key, "userId": full_member.public_id}, secure=True
    )
    body = response.json()
    assert body["totalProjects"] == 1
    assert body["page"] == 1 and body["totalPages"] == 1
    [item] = body["projects"]
    assert (item["id"], item["role"], item["name"]) == (showroom.public_id, "FULL", "Showroom")
    assert set(item) == {"id", "name", "region", "status", "role", "createdAt", "updatedAt"}

    owner_key = apikey_issue(user=owner).plaintext
    page2 = client.get(
        "/pixelStripeApi/projects",
        {"apikey": owner_key, "userId": owner.public_id, "page": 2, "limit": 1},
        secure=True,
    ).json()
    assert (page2["page"], page2["totalPages"], page2["totalProjects"]) == (2, 2, 2)
    assert len(page2["projects"]) == 1
    bad = client.get(
        "/pixelStripeApi/projects",
        {"apikey": owner_key, "userId": owner.public_id, "limit": "many"},
        secure=True,
    )
    assert (bad.status_code, bad.json()) == (400, {"message": "Invalid field: limit"})


def test_projects_status_reports_booleans_and_subscription(client, owner, showroom):
    showroom.status = "inactive"
    showroom.save()
    key = apikey_issue(user=owner).plaintext
    body = client.get(
        "/pixelStripeApi/projects/projects-status",
        {"apikey": key, "userId": owner.public_id},
        secure=True,
    ).json()
    assert body == {
        "totalProjects": 1,
        "projects": [
            {
                "_id": showroom.public_id,
                "name": "Showroom",
                "status": False,
                "subscriptionStatus": "active",
            }
        ],
    }


def test_upload_records_a_pending_upload_and_answers_its_id(client, owner, showroom):
    key = apikey_issue(user=owner).plaintext
    response = UPLOAD.call(
        client,
        api_key=key,
        user_id=owner.public_id,
        project_id=showroom.public_id,
        fileUrl=VALID_ZIP,
    )
    body = response.json()
    upload = Upload.objects.get()
    assert body == {"message": "Build queued for processing", "uploadId": upload.public_id}
    assert (upload.status, upload.file_url, upload.auto_release) == ("pending", VALID_ZIP, True)
    assert (upload.project, upload.user) == (showroom, owner)


def test_removing_the_member_takes_effect_on_the_next_request(
    client, owner, readonly_member, showroom
):
    key = apikey_issue(user=readonly_member).plaintext
    creds = {"api_key": key, "user_id": readonly_member.public_id, "project_id": showroom.public_id}
    assert DETAIL.call(client, **creds).status_code == 200
    Membership.objects.filter(member=readonly_member).delete()
    assert DETAIL.call(client, **creds).status_code == 403


def test_removing_a_project_from_the_access_list_takes_effect_on_the_next_request(
    client, owner, full_member, showroom
):
    key = apikey_issue(user=full_member).plaintext
    creds = {"api_key": key, "user_id": full_member.public_id, "project_id": showroom.public_id}
    assert TEST_WEBHOOK.call(client, **creds).status_code == 404  # allowed: no webhook yet
    Membership.objects.get(member=full_member).projects.remove(showroom)
    response = TEST_WEBHOOK.call(client, **creds)
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})


def test_a_rotated_key_is_refused_on_the_next_request(client, owner, showroom):
    old = apikey_issue(user=owner).plaintext
    creds = {"user_id": owner.public_id, "project_id": showroom.public_id}
    assert DETAIL.call(client, api_key=old, **creds).status_code == 200
    new = apikey_issue(user=owner).plaintext
    assert DETAIL.call(client, api_key=old, **creds).status_code == 401
    assert DETAIL.call(client, api_key=new, **creds).status_code == 200


def test_test_webhook_without_a_url_is_a_404(client, owner, showroom):
    key = apikey_issue(user=owner).plaintext
    response = TEST_WEBHOOK.call(
        client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id
    )
    assert (response.status_code, response.json()) == (
        404,
        {"message": "No webhook URL configured"},
    )


def test_test_webhook_to_a_refused_address_reports_status_code_0(
    client, owner, showroom_with_webhook
):
    key = apikey_issue(user=owner).plaintext
    body = TEST_WEBHOOK.call(
        client, api_key=key, user_id=owner.public_id, project_id=showroom_with_webhook.public_id
    ).json()
    assert body["success"] is False
    assert body["statusCode"] == 0
    assert set(body) == {"success", "message", "statusCode"}


def test_the_project_detail_check_is_one_query_for_credentials_and_access(
    client, full_member, showroom, django_assert_max_num_queries
):
    key = apikey_issue(user=full_member).plaintext
    creds = {"api_key": key, "user_id": full_member.public_id, "project_id": showroom.public_id}
    # 1 credential+access query, then the project row and its uploads.
    with django_assert_max_num_queries(3):
        assert DETAIL.call(client, **creds).status_code == 200
