"""A loopback network in a subscriber's allow-list is accepted with a warning, by the command
and by the admin: it lets the subscriber's URL point at this service's own host."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command

from lifecycle.models import Subscriber
from lifecycle.networks import networks_loopback

LOOPBACK = "loopback"  # a word of the warning


@pytest.mark.parametrize(
    ("stored", "flagged"),
    [
        (["10.0.0.0/8", "127.0.0.1/32"], ["127.0.0.1/32"]),
        (["127.0.0.0/8"], ["127.0.0.0/8"]),
        (["::1/128", "fd00::/8"], ["::1/128"]),
        (["10.0.0.0/8", "192.168.0.0/16", "fd00::/8", "100.64.0.0/10"], []),
    ],
)
def test_the_loopback_entries_of_an_allow_list_are_named(stored, flagged):
    assert networks_loopback(stored) == flagged


def add_by_command(url: str, *networks: str) -> str:
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(
        "subscriber_add",
        "--name=local-cache",
        f"--url={url}",
        "--events=all",
        *[f"--allow-private={n}" for n in networks],
        stdout=out,
        stderr=err,
    )
    return err.getvalue()


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("http://127.0.0.1:8080/events", "127.0.0.1"),
        ("http://127.0.0.1:8080/events", "127.0.0.0/8"),
        ("http://[::1]:8080/events", "::1"),
    ],
)
def test_the_command_warns_when_the_allow_list_reaches_loopback(db, url, network):
    err = add_by_command(url, "10.0.0.0/8", network)

    assert Subscriber.objects.get().allowed_networks[-1].startswith(network.split("/")[0])
    assert LOOPBACK in err and "own host" in err


def test_the_command_does_not_warn_for_private_networks_only(db):
    err = add_by_command("http://10.20.0.5:8080/events", "10.20.0.0/16", "fd00::/8")

    assert Subscriber.objects.exists()
    assert LOOPBACK not in err


@pytest.fixture
def operator(db, client):
    from accounts.models import User

    client.force_login(User.objects.create_superuser("root@example.com", "Root-pass-123"))
    return client


def admin_form(networks: str, url: str = "http://127.0.0.1:8080/events") -> dict:
    return {
        "name": "local-cache",
        "url": url,
        "event_choices": ["key.revoked"],
        "networks_text": networks,
        "active": "on",
    }


def warnings_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


def test_the_admin_warns_when_a_new_subscriber_may_reach_loopback(operator):
    response = operator.post("/admin/lifecycle/subscriber/add/", admin_form("127.0.0.1\n"))

    assert response.status_code == 200  # the page showing the secret, with the warning
    assert Subscriber.objects.get().allowed_networks == ["127.0.0.1/32"]
    (warning,) = warnings_of(response)
    assert LOOPBACK in warning and "127.0.0.1/32" in warning
    assert "127.0.0.1/32" in response.content.decode()


def test_the_admin_warns_when_a_change_adds_loopback_and_not_otherwise(operator):
    private = "http://10.0.0.5:8080/events"
    operator.post("/admin/lifecycle/subscriber/add/", admin_form("10.0.0.0/8\n", private))
    subscriber = Subscriber.objects.get()
    change = f"/admin/lifecycle/subscriber/{subscriber.pk}/change/"

    quiet = operator.post(change, admin_form("10.0.0.0/8\n192.168.0.0/16\n", private))
    warned = operator.post(change, admin_form("10.0.0.0/8\n::1\n", private))

    assert quiet.status_code == warned.status_code == 302
    assert warnings_of(quiet) == []
    (warning,) = warnings_of(warned)
    assert "::1/128" in warning
    subscriber.refresh_from_db()
    assert subscriber.allowed_networks == ["10.0.0.0/8", "::1/128"]
