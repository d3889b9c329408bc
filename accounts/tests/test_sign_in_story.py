"""One sign-in story (issue 24): the pages offer only the sign-in this server has, in the
product's wording, and every email names the product, never the host it was requested on."""

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_is_in_sentence_case(client, settings):
    settings.KEYSERVICE_PASSWORD_LOGIN = True
    settings.SOCIALACCOUNT_ONLY = False
    html = client.get("/accounts/login/").content.decode()
    assert "Sign in" in html and "Remember me" in html
    assert "Sign In" not in html and "Remember Me" not in html


def test_without_google_the_sign_in_page_has_no_google_wording(client, settings):
    settings.KEYSERVICE_PASSWORD_LOGIN = True
    settings.SOCIALACCOUNT_ONLY = False
    html = client.get("/accounts/login/").content.decode()
    assert "Google" not in html and "/google/" not in html


def test_without_password_sign_in_the_page_has_no_password_wording(client, settings):
    settings.KEYSERVICE_PASSWORD_LOGIN = False
    settings.SOCIALACCOUNT_ONLY = True
    google = settings.SOCIALACCOUNT_PROVIDERS["google"]
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {**google, "APPS": [{"client_id": "id", "secret": "s", "key": ""}]}
    }
    html = client.get("/accounts/login/").content.decode()
    assert "/accounts/google/login/" in html
    assert "password" not in html.lower()


def test_with_no_sign_in_at_all_the_page_says_ask_the_operator(client, settings):
    settings.KEYSERVICE_PASSWORD_LOGIN = False
    settings.SOCIALACCOUNT_ONLY = True
    html = client.get("/accounts/login/").content.decode()
    assert "No sign-in is set up on this server yet: ask the operator." in html


def test_allauths_emails_carry_the_product_name_and_the_contact_line_not_the_host(
    client, settings, owner
):
    settings.KEYSERVICE_PASSWORD_LOGIN = True
    settings.SOCIALACCOUNT_ONLY = False
    settings.KEYSERVICE_CONTACT = "keys-help@example.com"
    client.post("/accounts/password/reset/", {"email": owner.email})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.startswith("[keyservice] ")
    assert "testserver" not in message.subject and "127.0.0.1" not in message.subject
    assert "Hello from keyservice" in message.body
    assert message.body.rstrip().endswith("keyservice\nQuestions? keys-help@example.com")


def test_without_a_contact_line_the_emails_end_with_the_product_name(client, settings, owner):
    settings.KEYSERVICE_PASSWORD_LOGIN = True
    settings.SOCIALACCOUNT_ONLY = False
    settings.KEYSERVICE_CONTACT = ""
    client.post("/accounts/password/reset/", {"email": owner.email})
    assert mail.outbox[0].body.rstrip().endswith("-- \nkeyservice")
    assert "Questions?" not in mail.outbox[0].body


def test_the_invitation_email_and_form_say_nothing_of_google(owner):
    from teams.forms import InviteForm

    form = InviteForm(owner=owner)
    assert "Google" not in str(form)


@pytest.mark.parametrize(
    "template",
    [
        "apikeys/email/new_key.txt",
        "apikeys/email/leak_notice.txt",
        "apikeys/email/expiry_reminder.txt",
        "apikeys/email/revoke_notice.txt",
        "apikeys/email/retired_in_use.txt",
        "teams/email/invitation.txt",
        "account/email/signup_by_invitation_message.txt",
        "account/email/password_reset_key_message.txt",
        "account/email/email_confirmation_message.txt",
    ],
)
def test_every_email_ends_with_the_product_and_the_contact_line(template, settings, owner):
    from django.template.loader import render_to_string

    settings.KEYSERVICE_CONTACT = "keys-help@example.com"
    body = render_to_string(template, {"user": owner})
    assert body.rstrip().endswith("-- \nkeyservice\nQuestions? keys-help@example.com"), body
