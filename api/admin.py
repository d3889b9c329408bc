from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from api.models import ServiceToken
from api.services import service_token_create, service_token_revoke


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    """Tokens are created here or with `manage.py create_service_token NAME`; the plaintext is
    shown once on the page that follows creation and never stored."""

    list_display = ["name", "hint", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "hint"]
    fields = ["name"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["name", "hint", "created_at", "revoked_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["name", "hint", "created_at", "revoked_at"] if obj else ["name"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ServiceToken, form, change: bool) -> None:
        if change:
            return
        issued = service_token_create(name=form.cleaned_data["name"])
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

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset) -> None:
        count = sum(service_token_revoke(service_token=t) for t in queryset)
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
