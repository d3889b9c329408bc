"""After real traffic with real ids, the metrics hold none of them: no key, userId, projectId,
address, invitation token or webhook URL in any label (labels are patterns and enum names)."""

from __future__ import annotations

import json
import re

import pytest
from prometheus_client import REGISTRY

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.support.webhooks import webhook_set
from webhooks.services import webhook_test_send

TOKEN = "metrics-token-" + "k" * 40
CLIENT_ADDRESS = "198.51.100.23"


@pytest.fixture
def traffic(client, settings, owner, showroom, outsider, receiver):
    settings.KEYSERVICE_METRICS_TOKEN = TOKEN
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    settings.KEYSERVICE_NUM_PROXIES = 1
    key = apikey_issue(user=owner).plaintext
    service = service_token_create(name="pipeline").plaintext
    common = {"secure": True, "REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": CLIENT_ADDRESS}
    body = {"userId": owner.public_id, "projectId": showroom.public_id, "access": "read"}
    for api_key in (key, key[:-2] + "zz", "spx_" + "q" * 40):
        client.post(
            "/internal/v1/verify",
            json.dumps({"apiKey": api_key, **body}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {service}",
            **common,
        )
    for user_id in (owner.public_id, outsider.public_id):
        client.get(
            f"/pixelStripeApi/projects/{showroom.public_id}",
            {"apikey": key, "userId": user_id},
            **common,
        )
        client.get("/pixelStripeApi/projects", {"apikey": key, "userId": user_id}, **common)
    client.get(f"/invitations/{'t' * 30}/", **common)
    client.get(f"/no-such-page/{owner.email}", **common)
    webhook_set(showroom, url=receiver.url("/hooks/secret-path-abc"))
    webhook_test_send(project=showroom)
    return {
        "key": key,
        "service token": service,
        "userId": owner.public_id,
        "outsider userId": outsider.public_id,
        "projectId": showroom.public_id,
        "email": owner.email,
        "client address": CLIENT_ADDRESS,
        "invitation token": "t" * 30,
        "webhook path": "secret-path-abc",
        "receiver port": f":{receiver.port}",
    }


def test_no_label_holds_a_key_an_id_or_an_address_after_real_traffic(client, traffic):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'keyservice_webhook_deliveries_total{outcome="delivered"}' in text
    for name, value in traffic.items():
        assert value.lower() not in text.lower(), f"the metrics contain the {name}"
    # Every label value is a route pattern, a method, a status, or an enum name.
    values = set(re.findall(r'="([^"]*)"', text))
    assert values, "no labels at all"
    for value in values:
        assert re.fullmatch(r"[A-Za-z0-9_./<>:\-+ ]*", value), value
        assert not re.search(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", value), value


def test_the_routes_seen_are_patterns(client, traffic):
    routes = {
        metric_sample.labels["route"]
        for metric in REGISTRY.collect()
        if metric.name == "keyservice_http_request_duration_seconds"
        for metric_sample in metric.samples
        if "route" in metric_sample.labels
    }
    assert "pixelStripeApi/projects/<str:projectId>" in routes
    assert "invitations/<str:token>/" in routes
    assert "internal/v1/verify" in routes
    assert "unmatched" in routes
