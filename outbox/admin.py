from django.contrib import admin

from core.admin import ReadOnlyAdmin
from outbox.composers import composer_for
from outbox.models import OutboxEmail

# Shown, and read-only. A tuple: the stubs type `fields` and `readonly_fields` as different
# lists, which only a tuple (covariant) satisfies both.
OUTBOX_EMAIL_FIELDS = (
    "kind",
    "recipient",
    "subject",
    "state",
    "attempts",
    "last_error",
    "created_at",
    "due_at",
    "sent_at",
)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """Read-only: rows change only through delivery."""

    list_display = ["created_at", "kind", "recipient", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient"]
    fields = OUTBOX_EMAIL_FIELDS
    readonly_fields = OUTBOX_EMAIL_FIELDS

    @admin.display(description="About")
    def subject(self, row: OutboxEmail) -> str:
        """What the row's composer says it is about (e.g. the key's hint), never a secret."""
        return composer_for(kind=row.kind).subject_label(row)
