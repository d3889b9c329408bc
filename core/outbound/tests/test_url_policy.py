"""Parser differentials and obfuscated URLs: refused when saved and again when sent.

Every URL in the table points at a real loopback receiver in a way some URL parser would
follow (urlsplit, urllib3, a browser, inet_aton...). Each is refused by the webhook service,
the dashboard form and the send path, and the receiver gets nothing, even with private
targets allowed (so only the URL policy stands between the URL and the receiver) and with a
"public" name that really is loopback.
"""

from __future__ import annotations

import pytest
from django.contrib import admin

from audit.services import SYSTEM
from core.errors import ApplicationError
from core.outbound import PUBLIC_ONLY, AddressPolicy, post
from core.outbound.address_guard import UrlRefused
from core.outbound.tests.conftest import PUBLIC_NAME
from core.outbound.url_policy import MESSAGE_HOST, url_parse
from projects.models import Project
from tests.support.receiver import WebhookReceiver
from tests.support.services import free_port
from tests.support.webhooks import webhook_set
from webhooks.configure import webhook_settings_update
from webhooks.models import Webhook, WebhookDelivery
from webhooks.services import webhook_test_send

P = free_port()  # the receiver's port, known when the table is built
LOOP = f"127.0.0.1:{P}"


def url_id(url: str) -> str:
    """The URL with the receiver's port as PORT: ids are the same in every process (xdist)."""
    return repr(url.replace(str(P + 65536), "PORT+65536").replace(str(P), "PORT"))


REFUSED = [
    # The issue's example: urlsplit sees the name, urllib3 connects to 127.0.0.1.
    f"http://{LOOP}\\@{PUBLIC_NAME}/../internal/admin?op=drop",
    f"https://{LOOP}\\@{PUBLIC_NAME}/../internal/admin?op=drop",
    f"http://{PUBLIC_NAME}\\@{LOOP}/",
    f"http:\\\\{LOOP}/hook",
    f"http://{LOOP}\\hook",
    # Userinfo, in every position.
    f"http://{PUBLIC_NAME}@{LOOP}/hook",
    f"http://{LOOP}@{PUBLIC_NAME}/hook",
    f"http://user:pw@{LOOP}/hook",
    f"http://@{LOOP}/hook",
    f"http://{PUBLIC_NAME}:{P}@{LOOP}/hook",
    # Fragments and delimiters hiding the real authority.
    f"http://{LOOP}#@{PUBLIC_NAME}/",
    f"http://{LOOP}/hook#frag",
    f"http://{LOOP};@{PUBLIC_NAME}/",
    # Whitespace and control characters, anywhere.
    f"http://{LOOP} @{PUBLIC_NAME}/",
    f"http://{LOOP}/hook\tx",
    f"http://{LOOP}/hook\r\nX-Injected: 1",
    f"http://{LOOP}/hook\n",
    f" http://{LOOP}/hook",
    f"http://{LOOP}/hook\x00",
    f"http://{LOOP}/ho\x7fok",
    f"http://{LOOP}/hook\u00a0",
    f"http://{LOOP}\u3000/hook",
    f"http://{LOOP}/hook\u2028",
    f"http://{LOOP}\u200b/hook",
    # Non-ASCII look-alikes that IDNA folds to ASCII.
    f"http://\uff11\uff12\uff17.0.0.1:{P}/hook",
    f"http://127\u30020\u30020\u30021:{P}/hook",
    # Percent-encoding in the host or of delimiters.
    f"http://%31%32%37.0.0.1:{P}/hook",
    f"http://127.0.0.1%3a{P}/hook",
    f"http://{PUBLIC_NAME}%40{LOOP}/hook",
    f"http://{LOOP}/a%2f..%2f..%2finternal",
    f"http://{LOOP}/a%5c..%5cinternal",
    f"http://{LOOP}/hook%23frag",
    f"http://{LOOP}/hook%3fop=drop",
    f"http://{LOOP}/a%40b",
    f"http://{LOOP}/a%252f",
    f"http://{LOOP}/a%00",
    f"http://{LOOP}/a%0d%0aX:%201",
    # Non-canonical IP notations.
    f"http://2130706433:{P}/hook",
    f"http://0177.0.0.1:{P}/hook",
    f"http://0x7f.0.0.1:{P}/hook",
    f"http://0x7f000001:{P}/hook",
    f"http://0X7F.1:{P}/hook",
    f"http://127.1:{P}/hook",
    f"http://127.0.1:{P}/hook",
    f"http://127.000.000.001:{P}/hook",
    f"http://127.0.0.01:{P}/hook",
    f"http://127.0.0.1.:{P}/hook",
    f"http://{PUBLIC_NAME}.:{P}/hook",
    f"http://198.51.100.4.5:{P}/hook",
    f"http://{PUBLIC_NAME}.1:{P}/hook",
    f"http://[::ffff:127.0.0.1]:{P}/hook",
    f"http://[::ffff:7f00:1]:{P}/hook",
    f"http://[::127.0.0.1]:{P}/hook",
    f"http://[0:0:0:0:0:0:0:1]:{P}/hook",
    f"http://[fe80::1%25lo]:{P}/hook",
    f"http://[::1%lo]:{P}/hook",
    f"http://0.0.0.0:{P}/hook",
    f"http://[::]:{P}/hook",
    f"http://0:{P}/hook",
    # Host names that are not plain DNS labels.
    f"http://hooks_example.test:{P}/hook",
    f"http://-hooks.example.test:{P}/hook",
    f"http://hooks..example.test:{P}/hook",
    # Empty hosts and bad ports.
    "http:///hook",
    f"http://:{P}/hook",
    f"http://{PUBLIC_NAME}:0{P}/hook",
    f"http://{PUBLIC_NAME}:{P + 65536}/hook",
    f"http://{PUBLIC_NAME}:0/hook",
    f"http://{PUBLIC_NAME}:/hook",
    f"http://{PUBLIC_NAME}:+{P}/hook",
    f"http://{PUBLIC_NAME}:{P}:{P}/hook",
    # Other schemes, or none.
    f"ftp://{LOOP}/hook",
    "file:///etc/passwd",
    f"gopher://{LOOP}/_POST",
    f"//{LOOP}/hook",
    f"{LOOP}/hook",
    f"http:/{LOOP}/hook",
    f"http:{LOOP}/hook",
]
ALLOWED = [
    f"http://{PUBLIC_NAME}:{P}/hook",
    f"http://{PUBLIC_NAME}:{P}/a/%2e%2e/hook?x=%20y&z=1",
    f"HTTP://HOOKS.Example.TEST:{P}/hook",
]


@pytest.fixture(autouse=True)
def receiver():
    server = WebhookReceiver(port=P)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def project(showroom) -> Project:
    webhook_set(showroom, events=["build.uploaded"])
    return showroom


def _send(project: Project, url: str):
    Webhook.objects.filter(project=project).update(url=url)
    project.refresh_from_db()
    return webhook_test_send(project=project)


@pytest.mark.parametrize("url", REFUSED, ids=url_id)
def test_the_url_is_refused_when_saved(url, project):
    with pytest.raises(ApplicationError) as refused:
        webhook_settings_update(actor=SYSTEM, project=project, url=url, events=["build.uploaded"])
    assert set(refused.value.fields) == {"webhookUrl"}
    assert refused.value.fields["webhookUrl"]  # a message for the field
    project.refresh_from_db()
    assert project.webhook.url == ""


@pytest.mark.parametrize("url", REFUSED, ids=url_id)
def test_the_url_is_refused_by_the_dashboard_form_with_a_message_on_the_field(
    url, client, owner, project
):
    client.force_login(owner)
    response = client.post(
        f"/projects/{project.public_id}/webhook/",
        {"webhook_url": url, "webhook_events": ["build.uploaded"]},
    )
    assert response.status_code == 400
    form = response.context["webhook_form"]
    assert form.errors.get("webhook_url"), form.errors
    project.refresh_from_db()
    assert project.webhook.url == ""


@pytest.mark.parametrize("url", REFUSED, ids=url_id)
def test_the_url_is_refused_when_sent_with_private_targets_allowed(url, receiver):
    # Only the URL policy stands between these URLs and the receiver.
    result = post(
        url=url, body=b"{}", headers={}, timeout=2, policy=AddressPolicy(allow_private=True)
    )
    assert (result.kind, result.status_code) == ("refused", None)
    assert result.error.startswith("Refused: ")
    assert receiver.requests == []


@pytest.mark.parametrize("url", [u for u in REFUSED if "\x00" not in u][:12], ids=url_id)
def test_a_stored_url_is_refused_by_the_test_webhook_and_recorded(url, project, settings, receiver):
    """A URL stored before this policy (or by hand) is still refused when sent."""
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    result = _send(project, url)
    assert (result.success, result.status_code) == (False, 0)
    assert result.message.startswith("Refused: ")
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_error) == ("failed", result.message)


@pytest.mark.parametrize("url", REFUSED, ids=url_id)
def test_the_url_is_refused_when_sent_even_with_a_public_looking_name(
    url, public_loopback, receiver
):
    result = post(url=url, body=b"{}", headers={}, timeout=2, policy=PUBLIC_ONLY)
    assert (result.kind, result.status_code) == ("refused", None)
    assert receiver.requests == []


@pytest.mark.parametrize("url", ALLOWED, ids=url_id)
def test_a_plain_url_to_the_public_looking_name_is_saved_and_delivered(
    url, project, public_loopback, receiver
):
    """The control: the stubs do let a well-formed URL reach the receiver."""
    webhook_settings_update(actor=SYSTEM, project=project, url=url, events=["build.uploaded"])
    result = webhook_test_send(project=project)
    assert (result.success, result.status_code) == (True, 200), result.message
    [request] = receiver.requests
    assert request.headers["host"] == f"{PUBLIC_NAME}:{P}"
    assert request.path == url_parse(url).target


def test_the_issue_example_never_reaches_the_internal_path(public_loopback, project, receiver):
    url = f"http://{LOOP}\\@{PUBLIC_NAME}/../internal/admin?op=drop"
    with pytest.raises(ApplicationError, match="backslash"):
        webhook_settings_update(actor=SYSTEM, project=project, url=url, events=["build.uploaded"])
    result = _send(project, url)
    assert result.message == "Refused: Webhook URLs may not contain backslashes."
    assert [r.path for r in receiver.requests] == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "http://10.0.0.1/hook", "http://[::1]/hook", "http://[fd00::1]/"],
)
def test_a_private_ip_literal_is_refused_when_saved_unless_private_targets_are_allowed(
    url, project, settings
):
    with pytest.raises(ApplicationError, match="public addresses"):
        webhook_settings_update(actor=SYSTEM, project=project, url=url, events=["build.uploaded"])
    settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = True
    webhook_settings_update(actor=SYSTEM, project=project, url=url, events=["build.uploaded"])
    assert Project.objects.get(pk=project.pk).webhook.url == url


def test_saving_a_url_does_not_resolve_its_name(project, resolver):
    """No DNS oracle at save time: the name is looked up only when a webhook is sent."""
    resolver.fail.add("internal-only.example.test")
    url = "https://internal-only.example.test/hook"
    webhook_settings_update(actor=SYSTEM, project=project, url=url, events=["build.uploaded"])
    assert resolver.lookups == []


@pytest.mark.parametrize("url", REFUSED[:20], ids=url_id)
def test_the_url_is_refused_by_the_admin_webhook_form(url, rf, project, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    request = rf.post("/")
    request.user = owner
    hook = project.webhook
    model_admin = admin.site._registry[Webhook]
    form_class = model_admin.get_form(request, hook)
    data = {"project": project.pk, "url": url, "events": '["build.uploaded"]'}
    form = form_class(data=data, instance=hook)
    assert not form.is_valid()
    assert form.errors.get("url"), form.errors
    data["url"] = f"https://{PUBLIC_NAME}/hook"
    assert form_class(data=data, instance=hook).is_valid()


@pytest.mark.parametrize(
    "url", ["http://[::ffff:127.0.0.1]:8080/", "http://[::ffff:198.51.100.4]/"]
)
def test_an_ipv4_mapped_literal_with_dots_is_refused_as_a_host_not_a_port(url):
    with pytest.raises(UrlRefused) as refused:
        url_parse(url)
    assert str(refused.value) == MESSAGE_HOST
