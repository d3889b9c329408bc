"""An operator turns a project's webhook retries off in the admin and finds deliveries by id."""

import pytest

from webhooks.configure import webhook_get_or_create
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def test_an_operator_turns_retries_off_in_the_admin(admin_client, showroom):
    hook = webhook_get_or_create(project=showroom)
    change = f"/admin/webhooks/webhook/{hook.pk}/change/"
    assert 'name="retries"' in admin_client.get(change).content.decode()

    response = admin_client.post(
        change, {"project": showroom.pk, "url": "https://hooks.example.com/k", "events": "[]"}
    )  # an unticked box is not sent

    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.retries) == ("https://hooks.example.com/k", False)


def test_an_operator_finds_a_delivery_by_its_id(admin_client, showroom):
    delivery = WebhookDelivery.objects.create(
        project=showroom, event="build.approved", url="https://hooks.example.com/k", payload={}
    )
    WebhookDelivery.objects.create(
        project=showroom, event="build.rejected", url="https://hooks.example.com/k", payload={}
    )
    listing = admin_client.get("/admin/webhooks/webhookdelivery/", {"q": delivery.public_id})
    html = listing.content.decode()
    assert delivery.public_id in html and '1 result (<a href="?">2 total</a>)' in html
    detail = admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert delivery.public_id in detail.content.decode()
