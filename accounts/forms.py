from django import forms

from webhooks.events import WEBHOOK_EVENTS


class ProjectRenameForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)


class WebhookForm(forms.Form):
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        assume_scheme="https",
        help_text="Deliveries are signed; leave empty to turn webhooks off.",
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
