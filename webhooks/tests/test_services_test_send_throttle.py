"""Test webhooks send synchronously: limited per project, API and dashboard together."""

from __future__ import annotations

import pytest

from apikeys.services import apikey_issue
from tests.support.api import TEST_WEBHOOK
from tests.support.webhooks import webhook_set


@pytest.fixture
def hooked(showroom, receiver, settings):
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "test_webhook": "3/60s",
        },
    }
    webhook_set(showroom, url=receiver.url(), events=["build.uploaded"])
    return showroom


def call(client, user, project):
    key = apikey_issue(user=user).plaintext
    return TEST_WEBHOOK.call(
        client, api_key=key, user_id=user.public_id, project_id=project.public_id
    )


def test_the_api_test_webhook_is_limited_per_project_with_retry_after(
    client, owner, full_member, hooked, configurator, receiver
):
    statuses = [call(client, owner, hooked).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = call(client, full_member, hooked)  # another user: the same project's budget
    assert refused.status_code == 429
    assert set(refused.json()) == {"message"}
    assert int(refused["Retry-After"]) > 0
    assert len(receiver.requests) == 3  # the refused call sent nothing
    webhook_set(configurator, url=receiver.url())
    assert call(client, owner, configurator).status_code == 200  # other projects unaffected


def test_the_dashboard_button_shares_the_budget_with_the_api(client, owner, hooked, receiver):
    for _ in range(3):
        assert call(client, owner, hooked).status_code == 200
    client.force_login(owner)
    response = client.post(f"/projects/{hooked.public_id}/webhook/test/", follow=True)
    assert "Too many test webhooks" in response.content.decode()
    assert len(receiver.requests) == 3


def test_the_dashboard_button_alone_is_limited_too(client, owner, hooked, receiver):
    client.force_login(owner)
    pages = [
        client.post(f"/projects/{hooked.public_id}/webhook/test/", follow=True).content.decode()
        for _ in range(4)
    ]
    assert ["Too many test webhooks" in page for page in pages] == [False, False, False, True]
    assert len(receiver.requests) == 3


def test_a_project_without_a_url_gets_its_404_without_using_the_budget(
    client, owner, showroom, settings
):
    for _ in range(8):
        response = call(client, owner, showroom)
        assert (response.status_code, response.json()) == (
            404,
            {"message": "No webhook URL configured"},
        )
