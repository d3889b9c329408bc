"""Project pages per persona: who sees what, who may change what; others' projects are 404."""

import pytest

from builds.models import Upload
from teams.models import Membership
from tests.support.webhooks import webhook_set
from webhooks.configure import webhook_get_or_create

pytestmark = pytest.mark.django_db


def page(client, user, project):
    client.force_login(user)
    return client.get(f"/projects/{project.public_id}/")


@pytest.mark.parametrize("persona", ["owner", "full_member"])
def test_writers_see_the_settings_forms(request, client, persona, showroom):
    user = request.getfixturevalue(persona)
    html = page(client, user, showroom).content.decode()
    assert showroom.public_id in html
    assert 'data-copy="' + showroom.public_id in html
    assert "Save webhook" in html and "Rename" in html


def test_a_readonly_member_sees_the_page_without_forms(client, readonly_member, showroom):
    response = page(client, readonly_member, showroom)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Save webhook" not in html and "Rename" not in html
    assert "Read-only access" in html
    client.force_login(readonly_member)
    rename = client.post(f"/projects/{showroom.public_id}/rename/", {"name": "Hacked"})
    assert rename.status_code == 404
    showroom.refresh_from_db()
    assert showroom.name == "Showroom"


@pytest.mark.parametrize("persona", ["readonly_member", "full_member", "outsider"])
def test_projects_outside_the_access_list_do_not_exist_for_them(
    request, client, persona, configurator
):
    user = request.getfixturevalue(persona)
    assert page(client, user, configurator).status_code == 404
    client.force_login(user)
    listing = client.get("/projects/").content.decode()
    assert configurator.public_id not in listing and "Configurator" not in listing
    home = client.get("/").content.decode()
    assert "Configurator" not in home


def test_removing_the_member_hides_the_page_at_once(client, owner, full_member, showroom):
    assert page(client, full_member, showroom).status_code == 200
    Membership.objects.filter(member=full_member).delete()
    assert page(client, full_member, showroom).status_code == 404


def test_a_full_member_renames_the_project_and_sets_the_webhook(client, full_member, showroom):
    client.force_login(full_member)
    base = f"/projects/{showroom.public_id}"
    client.post(f"{base}/rename/", {"name": "  Showroom 2 "})
    response = client.post(
        f"{base}/webhook/",
        {
            "webhook_url": "https://hooks.example.com/x",
            "webhook_events": ["build.uploaded", "build.approved"],
        },
        follow=True,
    )
    assert "Webhook settings saved." in response.content.decode()
    showroom.refresh_from_db()
    assert showroom.name == "Showroom 2"
    assert showroom.webhook.url == "https://hooks.example.com/x"
    assert showroom.webhook.events == ["build.uploaded", "build.approved"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"webhook_url": "https://hooks.example.com/x"}, "Choose at least one event"),
        (
            {"webhook_url": "ftp://x", "webhook_events": ["build.uploaded"]},
            "Enter a full https:// URL",  # issue 24 (was "Enter a URL that starts with http…")
        ),
        ({"webhook_url": "", "webhook_events": ["build.nope"]}, "Select a valid choice"),
    ],
)
def test_bad_webhook_settings_are_explained_next_to_the_field(client, owner, showroom, data, error):
    client.force_login(owner)
    response = client.post(f"/projects/{showroom.public_id}/webhook/", data)
    assert response.status_code == 400
    assert error in response.content.decode()
    showroom.refresh_from_db()
    assert showroom.webhook.url == ""


def test_test_webhook_reports_the_outcome(client, owner, showroom, settings):
    webhook_set(showroom, url="http://127.0.0.1:9/hook", events=["build.uploaded"])
    client.force_login(owner)
    response = client.post(f"/projects/{showroom.public_id}/webhook/test/", follow=True)
    html = response.content.decode()
    assert "Test webhook:" in html
    assert "Refused" in html  # loopback is refused by the SSRF guard
    assert "webhook.test" in html  # the attempt is listed among recent deliveries


def test_recent_uploads_are_listed(client, readonly_member, showroom):
    Upload.objects.create(project=showroom, file_url="https://x.example.com/b.zip")
    html = page(client, readonly_member, showroom).content.decode()
    assert "https://x.example.com/b.zip" in html


def test_writers_see_and_rotate_the_signing_secret_readers_do_not(
    client, owner, readonly_member, showroom
):
    secret = webhook_get_or_create(project=showroom).secret
    assert secret not in page(client, readonly_member, showroom).content.decode()
    assert secret in page(client, owner, showroom).content.decode()
    client.post(f"/projects/{showroom.public_id}/webhook/secret/")
    showroom.refresh_from_db()
    assert showroom.webhook.secret != secret and len(showroom.webhook.secret) == 64
    client.force_login(readonly_member)
    assert client.post(f"/projects/{showroom.public_id}/webhook/secret/").status_code == 404


def test_a_bad_webhook_url_and_missing_events_are_both_explained_at_once(client, owner, showroom):
    client.force_login(owner)
    response = client.post(f"/projects/{showroom.public_id}/webhook/", {"webhook_url": "hooks"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a full https:// URL, such as https://hooks.example.com/keyservice." in html
    assert "Choose at least one event when a URL is set." in html


def test_test_webhook_is_shown_disabled_with_its_reason_until_a_url_is_saved(
    client, owner, showroom
):
    client.force_login(owner)
    html = client.get(f"/projects/{showroom.public_id}/").content.decode()
    assert 'disabled aria-describedby="webhook-test-why">Test webhook</button>' in html
    assert "Save a webhook URL first" in html
    webhook_set(showroom, url="https://hooks.example.com/x", events=["build.uploaded"])
    html = client.get(f"/projects/{showroom.public_id}/").content.decode()
    assert '<button type="submit" class="secondary">Test webhook</button>' in html


def test_rotating_the_signing_secret_asks_first_with_a_red_button(client, owner, showroom):
    secret = webhook_get_or_create(project=showroom).secret
    client.force_login(owner)
    url = f"/projects/{showroom.public_id}/webhook/secret/"
    assert (
        f'href="{url}">Rotate secret…</a>'
        in client.get(f"/projects/{showroom.public_id}/").content.decode()
    )
    html = client.get(url).content.decode()
    assert "Rotate the signing secret of Showroom?" in html
    assert '<button type="submit" class="primary danger">Rotate secret</button>' in html
    showroom.refresh_from_db()
    assert showroom.webhook.secret == secret  # asking changed nothing
