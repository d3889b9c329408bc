"""The owner sets a project's region and custom domain on its page; others see them at most.
The test-webhook button reports the API's (the hosted platform's) wording."""

import pytest

from tests.support.webhooks import webhook_set

pytestmark = pytest.mark.django_db


def _post(client, user, project, **data):
    client.force_login(user)
    return client.post(f"/projects/{project.public_id}/settings/", data)


def test_the_owner_sees_and_saves_region_and_domain(client, owner, showroom):
    client.force_login(owner)
    html = client.get(f"/projects/{showroom.public_id}/").content.decode()
    assert "Save settings" in html and 'value="asia-pacific" selected' in html

    response = _post(client, owner, showroom, region="europe", custom_domain="Stream.Example.com")
    assert response.status_code == 302
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == ("europe", "stream.example.com")
    html = client.get(f"/projects/{showroom.public_id}/").content.decode()
    assert "Project settings saved." in html and 'value="stream.example.com"' in html


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"region": "asia-pacific", "custom_domain": "https://x.example.com"}, "Enter a hostname"),
        ({"region": "mars", "custom_domain": ""}, "Select a valid choice"),
    ],
)
def test_bad_settings_are_explained_and_change_nothing(client, owner, showroom, data, error):
    response = _post(client, owner, showroom, **data)
    assert response.status_code == 400
    assert error in response.content.decode()
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == ("asia-pacific", "")


@pytest.mark.parametrize("persona", ["full_member", "readonly_member", "outsider"])
def test_only_the_owner_may_change_them(request, client, persona, showroom):
    user = request.getfixturevalue(persona)
    response = _post(client, user, showroom, region="europe", custom_domain="x.example.com")
    assert response.status_code == 404
    showroom.refresh_from_db()
    assert (showroom.region, showroom.custom_domain) == ("asia-pacific", "")


def test_members_see_the_region_and_domain_without_the_form(client, full_member, showroom):
    showroom.region, showroom.custom_domain = "us-east-1", "stream.example.com"
    showroom.save()
    client.force_login(full_member)
    html = client.get(f"/projects/{showroom.public_id}/").content.decode()
    assert "Save settings" not in html
    assert "Region: US-East-1" in html and "stream.example.com" in html


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        (200, "Test webhook delivered (HTTP 200)."),
        (500, "Webhook endpoint returned non-2xx status (HTTP 500)."),
    ],
)
def test_the_test_button_reports_the_documented_messages(
    client, owner, showroom, receiver, settings, answer, text
):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_set(showroom, url=receiver.url(), events=["build.uploaded"])
    receiver.answer(answer)
    client.force_login(owner)
    response = client.post(f"/projects/{showroom.public_id}/webhook/test/", follow=True)
    assert text in response.content.decode()
