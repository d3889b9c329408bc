from django.contrib import admin

from core.admin import ReadOnlyAdmin
from outbox.composers import composer_for
from outbox.models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """Read-only: rows change only through delivery."""

    list_display = ["created_at", "kind", "recipient", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient"]
    fields = [
        "kind",
        "recipient",
        "subject",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "due_at",
        "sent_at",
    ]
    readonly_fields = fields

    @admin.display(description="About")
    def subject(self, row: OutboxEmail) -> str:
        """What the row's composer says it is about (e.g. the key's hint), never a secret."""
        return composer_for(kind=row.kind).subject_label(row)
