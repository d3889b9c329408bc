from enum import StrEnum

import pytest

from core.errors import ApplicationError


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
