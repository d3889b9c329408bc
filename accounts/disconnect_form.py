"""allauth's "Account connections" page (/accounts/3rdparty/) disconnecting a sign-in identity:
through accounts.access.user_identity_disconnect, so it is audited and ends the account's other
sessions (SOCIALACCOUNT_FORMS["disconnect"])."""

from __future__ import annotations

from allauth.socialaccount.forms import DisconnectForm
from django.db import transaction

from accounts.access import user_identity_disconnect
from accounts.models import User


class IdentityDisconnectForm(DisconnectForm):
    def save(self) -> None:
        account = self.cleaned_data["account"]
        holder = self.request.user
        with transaction.atomic():
            user_identity_disconnect(
                account=account,
                actor=holder if isinstance(holder, User) else None,
                request=self.request,
            )
            # allauth's own steps: a recent sign-in required (else it raises and nothing of the
            # above is kept), its message, the notification email.
            super().save()
