"""Outbox delivery rules, in-process (eager) mode with a real SMTP server where it matters."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from apikeys.models import KeyEvent
from apikeys.services import apikey_issue
from outbox.services import outbox_deliver
from tests.support.outbox import key_emails

pytestmark = pytest.mark.django_db


def test_a_duplicated_send_never_emails_twice(owner):
    issued = apikey_issue(user=owner)  # the test transaction holds back on_commit: not sent
    row = key_emails(issued.api_key).get()
    assert outbox_deliver(email_id=row.pk).outcome == "sent"
    assert outbox_deliver(email_id=row.pk).outcome == "noop"
    assert len(mail.outbox) == 1
    assert issued.plaintext in mail.outbox[0].body


def test_an_unknown_outbox_row_is_ignored(db):
    assert outbox_deliver(email_id=987654).outcome == "noop"


def test_an_email_whose_key_cannot_be_decrypted_fails_visibly_without_sending(owner):
    issued = apikey_issue(user=owner)
    issued.api_key.__class__.objects.filter(pk=issued.api_key.pk).update(kek_id="deadbeef")
    row = key_emails(issued.api_key).get()

    assert outbox_deliver(email_id=row.pk).outcome == "failed"
    row.refresh_from_db()
    assert row.state == "failed"
    assert "cannot decrypt" in row.last_error
    assert mail.outbox == []
    assert KeyEvent.objects.filter(key=issued.api_key, kind="email_failed").exists()


def test_in_process_mode_does_not_retry_inside_the_request_and_the_sweep_sends_later(
    owner, smtp, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS = 0
    settings.KEYSERVICE_OUTBOX_STALE_SECONDS = 0
    smtp.handler.refuse_next = 1

    with django_capture_on_commit_callbacks(execute=True):
        issued = apikey_issue(user=owner)
    row = key_emails(issued.api_key).get()
    assert (row.state, row.attempts, smtp.handler.refused) == ("pending", 1, 1)
    assert "451" in row.last_error

    out = io.StringIO()
    call_command("outbox_sweep", stdout=out)
    assert out.getvalue().strip() == "Enqueued 1 pending email(s)."
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)
    [message] = smtp.messages
    assert issued.plaintext in message.get_body(preferencelist=("plain",)).get_content()
