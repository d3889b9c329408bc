"""Admin mechanisms shared by the apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.db.models.options import Options


# ModelAdmin is generic only in the stubs: `ModelAdmin[Any]` fails at runtime without
# django_stubs_ext.monkeypatch(), a dev-only dependency.
class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin that only shows rows: no add, change or delete (history, records)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RevokePermissionMixin:
    """For a ModelAdmin whose `revoke` action needs its own permission,
    `<app>.revoke_<model>` (declared in the model's Meta), not just view or change:
    `@admin.action(permissions=["revoke"])` and `revoke_allowed(request)` in the action."""

    opts: Options[Any]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.revoke_{opts.model_name}")

    def revoke_allowed(self, request: HttpRequest) -> None:
        """Raise PermissionDenied without the permission (e.g. a POST naming the action)."""
        if not self.has_revoke_permission(request):
            raise PermissionDenied
