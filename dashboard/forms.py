import re
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


# What the webhook URL field asks for when what was typed is no full http(s) URL.
URL_HINT = "Enter a full https:// URL, such as https://hooks.example.com/keyservice."
_FULL_URL = re.compile(r"https?://[^/\s?#]+", re.IGNORECASE)


class WebhookForm(forms.Form):
    # A plain text field: the URL is checked by webhooks.configure.webhook_settings_update
    # (the check every send repeats), on exactly the string typed, never normalised first.
    webhook_url = forms.CharField(
        label="Webhook URL",
        required=False,
        strip=False,
        max_length=2048,
        help_text="A full https:// URL, such as https://hooks.example.com/keyservice. "
        "Deliveries are signed; leave empty to turn webhooks off.",
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
        url = data.get("webhook_url") or ""
        # Every error at once: the URL's shape here, with the events' (the service checks the
        # rest of the URL once the form is valid).
        if url and not _FULL_URL.match(url):
            self.add_error("webhook_url", URL_HINT)
        if url and not data.get("webhook_events"):
            self.add_error("webhook_events", "Choose at least one event when a URL is set.")
        return data
