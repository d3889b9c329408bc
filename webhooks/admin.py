from typing import Any, cast

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.models import User
from audit.services import Actor
from core.admin import ReadOnlyAdmin
from core.outbound import UrlRefused, url_check
from webhooks.configure import webhook_address_policy, webhook_url_audit
from webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


class WebhookAdminForm(forms.ModelForm):
    """The admin's webhook form: the URL gets the check the dashboard's gets."""

    url = forms.CharField(label="URL", required=False, strip=False, max_length=2048)

    class Meta:
        model = Webhook
        fields = "__all__"  # noqa: DJ007 - every editable field (the secret is not one)

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url") or ""
        if url:
            try:
                url_check(url=url, policy=webhook_address_policy())
            except UrlRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        return url


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookAdminForm
    list_display = ["project", "url", "events", "retries"]
    list_filter = ["retries"]
    search_fields = ["project__public_id", "project__name", "url"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    readonly_fields = ["secret_rotated_at", "previous_secret_until"]

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        """Saved as the admin does, and a new URL recorded in the owner's audit trail."""
        before = Webhook.objects.filter(pk=obj.pk).values_list("url", flat=True).first() or ""
        super().save_model(request, obj, form, change)
        operator = Actor.operator(cast(User, request.user))  # the admin serves staff only
        webhook_url_audit(project=obj.project, before=before, after=obj.url, actor=operator)


# Shown, and read-only. A tuple: the stubs type `fields` and `readonly_fields` as different
# lists, which only a tuple (covariant) satisfies both.
WEBHOOK_ATTEMPT_FIELDS = ("number", "created_at", "status_code", "duration_ms", "error")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = WEBHOOK_ATTEMPT_FIELDS
    readonly_fields = WEBHOOK_ATTEMPT_FIELDS

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Shown, and read-only. A tuple: the stubs type `fields` and `readonly_fields` as different
# lists, which only a tuple (covariant) satisfies both.
WEBHOOK_DELIVERY_FIELDS = (
    "public_id",
    "project",
    "event",
    "url",
    "payload",
    "state",
    "attempts",
    "status_code",
    "duration_ms",
    "last_error",
    "created_at",
    "due_at",
    "delivered_at",
)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "public_id",
        "event",
        "project",
        "state",
        "attempts",
        "status_code",
        "duration_ms",
        "delivered_at",
        "last_error",
    ]
    list_filter = ["state", "event"]
    search_fields = ["public_id", "project__public_id", "project__name", "url"]
    list_select_related = ["project"]
    date_hierarchy = "created_at"
    fields = WEBHOOK_DELIVERY_FIELDS
    readonly_fields = WEBHOOK_DELIVERY_FIELDS
    inlines = [WebhookAttemptInline]
