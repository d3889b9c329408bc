from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from webhooks.models import WebhookAttempt, WebhookDelivery


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "created_at", "status_code", "duration_ms", "error"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
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
    search_fields = ["project__public_id", "project__name", "url"]
    list_select_related = ["project"]
    date_hierarchy = "created_at"
    fields = [
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
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
