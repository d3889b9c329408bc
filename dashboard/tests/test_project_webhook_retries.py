"""The project page's webhook form sets whether deliveries are retried; the page shows it and
each recent delivery's id (the X-Keyservice-Delivery header a receiver sees)."""

import pytest

from tests.support.webhooks import webhook_set
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

SETTINGS = {"webhook_url": "https://hooks.example.com/x", "webhook_events": ["build.approved"]}


def retries_box(html: str) -> str:
    start = html.index('name="webhook_retries"')
    return html[html.rindex("<input", 0, start) : html.index(">", start)]


def test_retries_are_on_by_default_and_the_form_turns_them_off_and_on(client, owner, showroom):
    client.force_login(owner)
    url = f"/projects/{showroom.public_id}/"
    assert "checked" in retries_box(client.get(url).content.decode())

    client.post(f"{url}webhook/", SETTINGS)  # an unticked box is not sent: off
    showroom.webhook.refresh_from_db()
    assert showroom.webhook.retries is False
    assert "checked" not in retries_box(client.get(url).content.decode())

    client.post(f"{url}webhook/", {**SETTINGS, "webhook_retries": "on"})
    showroom.webhook.refresh_from_db()
    assert showroom.webhook.retries is True


def test_a_readonly_member_sees_the_retry_setting_and_cannot_change_it(
    client, readonly_member, showroom
):
    webhook_set(showroom, url="https://hooks.example.com/x", events=["build.approved"])
    webhook_set(showroom, retries=False)
    client.force_login(readonly_member)
    html = client.get(f"/projects/{showroom.public_id}/").content.decode()
    assert "Retries: off" in html and 'name="webhook_retries"' not in html
    response = client.post(
        f"/projects/{showroom.public_id}/webhook/", {**SETTINGS, "webhook_retries": "on"}
    )
    assert response.status_code == 404
    showroom.webhook.refresh_from_db()
    assert showroom.webhook.retries is False


def test_recent_deliveries_show_their_delivery_id(client, readonly_member, showroom):
    delivery = WebhookDelivery.objects.create(
        project=showroom, event="build.approved", url="https://hooks.example.com/x", payload={}
    )
    client.force_login(readonly_member)
    html = client.get(f"/projects/{showroom.public_id}/").content.decode()
    assert f"<code>{delivery.public_id}</code>" in html
