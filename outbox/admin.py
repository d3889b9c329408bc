from django.contrib import admin

from core.admin import ReadOnlyAdmin
from outbox.models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "recipient", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient"]
    fields = [
        "kind",
        "recipient",
        "api_key",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "due_at",
        "sent_at",
    ]
    readonly_fields = fields
