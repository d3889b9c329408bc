from django import forms
from django.conf import settings

from accounts.models import Project
from webhooks.ssrf import WebhookUrlRefused
from webhooks.urls import webhook_url_check


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
