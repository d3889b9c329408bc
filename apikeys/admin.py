from django.contrib import admin, messages
from django.http import HttpRequest

from apikeys.models import ApiKey, KeyEvent
from apikeys.services import apikey_revoke
from core.admin import ReadOnlyAdmin, RevokePermissionMixin


@admin.register(ApiKey)
class ApiKeyAdmin(RevokePermissionMixin, ReadOnlyAdmin):
    """Hint, owner, dates and status only: never ciphertext, digest or plaintext."""

    fields = ["hint", "user", "kek_id", "created_at", "revoked_at"]
    readonly_fields = fields
    list_display = ["hint", "user", "created_at", "revoked_at", "active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__public_id", "hint"]
    list_select_related = ["user"]
    actions = ["revoke"]

    @admin.display(boolean=True)
    def active(self, obj: ApiKey) -> bool:
        return obj.is_active

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        self.revoke_allowed(request)  # apikeys.revoke_apikey, not just viewing
        count = sum(
            apikey_revoke(api_key=key, actor=request.user, detail="revoked by an operator in admin")
            for key in queryset
        )
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(KeyEvent)
class KeyEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "user_email", "user_public_id", "key", "actor", "detail"]
    list_filter = ["kind"]
    search_fields = ["user_email", "user_public_id", "user__email", "detail"]
    list_select_related = ["user", "key", "actor"]
    date_hierarchy = "created_at"
