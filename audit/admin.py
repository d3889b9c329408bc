from django.contrib import admin

from audit.models import AuditEvent
from core.admin import ReadOnlyAdmin

AUDIT_EVENT_FIELDS = (
    "created_at",
    "kind",
    "account",
    "account_email",
    "actor_kind",
    "actor",
    "actor_email",
    "subject",
    "subject_email",
    "projects",
    "details",
)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Every account's team events, for operators: read-only (a record)."""

    list_display = [
        "created_at",
        "kind",
        "account_email",
        "actor_kind",
        "actor_email",
        "subject_email",
        "projects",
    ]
    list_filter = ["kind", "actor_kind"]
    search_fields = ["account_email", "actor_email", "subject_email", "account__public_id"]
    date_hierarchy = "created_at"
    fields = AUDIT_EVENT_FIELDS
    readonly_fields = AUDIT_EVENT_FIELDS
