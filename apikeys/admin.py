from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.models import User
from apikeys.models import DEFAULT_SCOPES, ApiKey, KeyEvent, Scope, ServiceToken
from apikeys.revocation import apikey_revoke
from apikeys.service_tokens import (
    service_token_create,
    service_token_revoke,
    service_token_set_scopes,
)
from apikeys.usage.models import KeyUsageDay, KeyUse
from core.admin import ReadOnlyAdmin, RevokePermissionMixin
from lifecycle.events import KeyRevokeReason

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups  # a stubs-only alias

# Shown, and read-only. A tuple: the stubs type `fields` and `readonly_fields` as different
# lists, which only a tuple (covariant) satisfies both.
API_KEY_FIELDS = (
    "hint",
    "user",
    "kek_id",
    "created_at",
    "expires_at",
    "revoked_at",
    "overlap_until",
)
VIA_ADMIN = "admin"  # how the admin's writes name themselves in the audit trail


@admin.register(ApiKey)
class ApiKeyAdmin(RevokePermissionMixin, ReadOnlyAdmin):
    """Hint, owner, dates and status only: never ciphertext, digest or plaintext."""

    fields = API_KEY_FIELDS
    readonly_fields = API_KEY_FIELDS
    list_display = ["hint", "user", "created_at", "expires_at", "revoked_at", "active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__public_id", "hint"]
    list_select_related = ["user"]
    actions = ["revoke"]

    @admin.display(boolean=True)
    def active(self, obj: ApiKey) -> bool:
        """Works now: not revoked and not expired."""
        return obj.is_active and not obj.has_expired

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        self.revoke_allowed(request)  # apikeys.revoke_apikey, not just viewing
        actor = cast(User, request.user)  # the admin serves signed-in staff only
        count = sum(
            apikey_revoke(
                api_key=key,
                reason=KeyRevokeReason.REVOKED_BY_OPERATOR,
                actor=actor,
                detail="revoked by an operator in admin",
            )
            for key in queryset
        )
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(KeyEvent)
class KeyEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "user_email",
        "user_public_id",
        "key",
        "service_token",
        "actor",
        "detail",
    ]
    list_filter = ["kind"]
    search_fields = ["user_email", "user_public_id", "user__email", "detail"]
    list_select_related = ["user", "key", "service_token", "actor"]
    date_hierarchy = "created_at"


@admin.register(KeyUse)
class KeyUseAdmin(ReadOnlyAdmin):
    list_display = [
        "key",
        "last_at",
        "last_address",
        "last_surface",
        "last_accepted",
        "retired_uses",
    ]
    list_filter = ["last_surface", "last_accepted"]
    search_fields = ["key__user__email", "key__user__public_id", "key__hint", "last_address"]
    list_select_related = ["key"]


@admin.register(KeyUsageDay)
class KeyUsageDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "key", "accepted", "refused"]
    search_fields = ["key__user__email", "key__user__public_id", "key__hint"]
    list_select_related = ["key"]
    date_hierarchy = "day"


class ServiceTokenForm(forms.ModelForm):
    """Scopes as checkboxes; `verify` alone is preselected (least privilege)."""

    scope_choices = forms.MultipleChoiceField(
        label="Scopes",
        choices=Scope.choices,
        initial=list(DEFAULT_SCOPES),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may call. None chosen: verify only.",
    )

    class Meta:
        model = ServiceToken
        fields = ["name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["scope_choices"] = self.instance.scope_list


@admin.register(ServiceToken)
class ServiceTokenAdmin(RevokePermissionMixin, admin.ModelAdmin):
    """Tokens are created here or with `manage.py create_service_token NAME --scope …`; the
    plaintext is shown once on the page that follows creation and never stored. A token's
    scopes can be changed later (e.g. to grant `revoke-leaked`); revoking needs the
    dedicated `apikeys.revoke_servicetoken` permission."""

    form = ServiceTokenForm
    list_display = ["name", "hint", "scopes", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "hint"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["name", "hint", "created_at", "revoked_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj: ServiceToken | None = None) -> "_FieldGroups":
        if obj:
            return ["name", "hint", "scope_choices", "created_at", "revoked_at"]
        return ["name", "scope_choices"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ServiceToken, form, change: bool) -> None:
        scopes = form.cleaned_data.get("scope_choices") or None
        operator = cast(User, request.user)  # the admin serves signed-in staff only
        if change:
            service_token_set_scopes(
                service_token=obj, scopes=scopes or DEFAULT_SCOPES, actor=operator, via=VIA_ADMIN
            )
            return
        issued = service_token_create(
            name=form.cleaned_data["name"], scopes=scopes, actor=operator, via=VIA_ADMIN
        )
        obj.pk, obj.hint = issued.service_token.pk, issued.service_token.hint
        # Handed to response_add on the same request; HttpRequest does not declare it.
        request._issued_service_token = issued.plaintext  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ServiceToken, post_url_continue=None):
        token = getattr(request, "_issued_service_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        response: HttpResponse = TemplateResponse(
            request,
            "admin/apikeys/servicetoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "token": token,
                "obj": obj,
                "opts": self.opts,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        self.revoke_allowed(request)  # apikeys.revoke_servicetoken, not just viewing
        operator = cast(User, request.user)
        count = sum(
            service_token_revoke(service_token=t, actor=operator, via=VIA_ADMIN) for t in queryset
        )
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
