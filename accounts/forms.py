from django import forms
from django.conf import settings

from accounts.models import Project
from webhooks.events import WEBHOOK_EVENTS
from webhooks.ssrf import WebhookUrlRefused
from webhooks.urls import webhook_url_check


class ProjectRenameForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)


class WebhookForm(forms.Form):
    # A plain text field: the URL is checked by webhooks.services.webhook_settings_update
    # (the check every send repeats), on exactly the string typed, never normalised first.
    webhook_url = forms.CharField(
        label="Webhook URL",
        required=False,
        strip=False,
        max_length=2048,
        help_text="An http:// or https:// URL. Deliveries are signed; leave empty to turn "
        "webhooks off.",
    )
    webhook_events = forms.MultipleChoiceField(
        label="Events",
        required=False,
        choices=[(e, e) for e in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("webhook_url") and not data.get("webhook_events"):
            self.add_error("webhook_events", "Choose at least one event when a URL is set.")
        return data


class ProjectAdminForm(forms.ModelForm):
    """The admin's project form: the webhook URL gets the check the dashboard's gets."""

    webhook_url = forms.CharField(label="Webhook URL", required=False, strip=False, max_length=2048)

    class Meta:
        model = Project
        fields = "__all__"  # noqa: DJ007 - as the admin showed it before: every field

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data.get("webhook_url") or ""
        if url:
            try:
                webhook_url_check(url=url, allow_private=settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE)
            except WebhookUrlRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        return url
