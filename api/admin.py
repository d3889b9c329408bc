from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from api.models import DEFAULT_SCOPES, Scope, ServiceToken
from api.services import service_token_create, service_token_revoke, service_token_set_scopes
from core.admin import RevokePermissionMixin


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
    dedicated `api.revoke_servicetoken` permission."""

    form = ServiceTokenForm
    list_display = ["name", "hint", "scopes", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "hint"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["name", "hint", "created_at", "revoked_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj:
            return ["name", "hint", "scope_choices", "created_at", "revoked_at"]
        return ["name", "scope_choices"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ServiceToken, form, change: bool) -> None:
        scopes = form.cleaned_data.get("scope_choices") or None
        if change:
            service_token_set_scopes(service_token=obj, scopes=scopes or DEFAULT_SCOPES)
            return
        issued = service_token_create(name=form.cleaned_data["name"], scopes=scopes)
        obj.pk, obj.hint = issued.service_token.pk, issued.service_token.hint
        request._issued_service_token = issued.plaintext

    def response_add(self, request: HttpRequest, obj: ServiceToken, post_url_continue=None):
        token = getattr(request, "_issued_service_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        response: HttpResponse = TemplateResponse(
            request,
            "admin/api/servicetoken/issued.html",
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
        self.revoke_allowed(request)  # api.revoke_servicetoken, not just viewing
        count = sum(service_token_revoke(service_token=t) for t in queryset)
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
