from typing import Any

from django import forms

from core.hostnames import MAX_DNS_NAME_LENGTH
from projects.models import Project
from webhooks.events import WEBHOOK_EVENTS


class ProjectRenameForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)


class ProjectSettingsForm(forms.Form):
    # Checked by projects.services.project_settings_update (region, hostname).
    region = forms.ChoiceField(label="Region", choices=Project.Region.choices)
    custom_domain = forms.CharField(
        label="Custom domain",
        required=False,
        max_length=MAX_DNS_NAME_LENGTH + 1,  # a trailing dot is dropped
        help_text="A hostname such as stream.example.com; leave empty for none.",
    )


class WebhookForm(forms.Form):
    # A plain text field: the URL is checked by webhooks.configure.webhook_settings_update
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
    webhook_retries = forms.BooleanField(
        label="Retry deliveries the receiver cannot have processed",
        required=False,
        initial=True,
        help_text="Not connected, or answered 429, 502, 503 or 504: retried with the same "
        "X-Keyservice-Delivery id and body. Off: one attempt only.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns self.cleaned_data (the stubs allow None)
        data = self.cleaned_data
        if data.get("webhook_url") and not data.get("webhook_events"):
            self.add_error("webhook_events", "Choose at least one event when a URL is set.")
        return data
