from enum import StrEnum

import pytest

from core.errors import ApplicationError, form_add_application_error


class Refusal(StrEnum):
    EXPIRED = "expired"


class InvitationRefused(ApplicationError):
    """An app's own subclass."""


def test_an_application_error_carries_its_reason_and_message():
    error = ApplicationError(Refusal.EXPIRED, "This invitation has expired.")

    assert error.reason is Refusal.EXPIRED
    assert error.reason == "expired"
    assert error.message == "This invitation has expired."
    assert str(error) == "This invitation has expired."
    assert repr(error) == (
        "ApplicationError(<Refusal.EXPIRED: 'expired'>, 'This invitation has expired.')"
    )


def test_an_app_subclass_is_caught_as_an_application_error():
    with pytest.raises(ApplicationError) as caught:
        raise InvitationRefused(Refusal.EXPIRED, "This invitation has expired.")

    assert isinstance(caught.value, InvitationRefused)
    assert caught.value.reason is Refusal.EXPIRED


def test_an_application_error_names_the_fields_at_fault_and_when_to_retry():
    error = ApplicationError(
        Refusal.EXPIRED, "Check the form.", fields={"email": "That is your own address."}
    )
    later = ApplicationError(Refusal.EXPIRED, "Too many.", retry_after=30)

    assert error.fields == {"email": "That is your own address."}
    assert error.retry_after is None
    assert later.fields == {}
    assert later.retry_after == 30


class _Form:
    fields = {"email": object(), "webhook_url": object()}

    def __init__(self):
        self.errors = []

    def add_error(self, field, error):
        self.errors.append((field, error))


def test_a_refusal_shows_on_its_fields_renamed_and_unknown_fields_at_the_top():
    form = _Form()
    error = ApplicationError(
        Refusal.EXPIRED,
        "Check the form.",
        fields={"webhookUrl": "Not public.", "email": "Taken.", "other": "Odd."},
    )

    form_add_application_error(form, error, names={"webhookUrl": "webhook_url"})

    assert form.errors == [("webhook_url", "Not public."), ("email", "Taken."), (None, "Odd.")]


def test_a_refusal_without_fields_shows_its_message_at_the_top():
    form = _Form()
    form_add_application_error(form, ApplicationError(Refusal.EXPIRED, "Gone."))

    assert form.errors == [(None, "Gone.")]
