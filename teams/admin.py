"""The membership admin: operators add, change and remove memberships through the same
services as the dashboard (teams.services), so each change joins the owner's audit trail with
the operator as its actor, and the lifecycle subscribers hear of it. The owner and the member
of an existing membership are fixed: remove it and add another instead."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from audit.services import Actor
from core.errors import ApplicationError
from teams.models import Membership
from teams.services import membership_remove, membership_upsert, membership_validate


def _operator(request: HttpRequest) -> Actor:
    return Actor.operator(cast(User, request.user))  # the admin serves signed-in staff only


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["owner", "member", "role", "projects"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        owner = data.get("owner") or getattr(self.instance, "owner", None)
        member = data.get("member") or getattr(self.instance, "member", None)
        if owner is not None and member is not None and "role" in data:
            try:
                membership_validate(
                    owner=owner,
                    member=member,
                    role=data["role"],
                    projects=list(data.get("projects") or []),
                )
            except ApplicationError as exc:
                for name, message in exc.fields.items():
                    self.add_error(name if name in self.fields else None, message)
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["member", "owner", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["member__email", "member__public_id", "owner__email", "owner__public_id"]
    autocomplete_fields = ["owner", "member"]
    filter_horizontal = ["projects"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> Any:
        # Whose membership it is never changes: remove it and add another instead.
        return ["owner", "member"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        result = membership_upsert(
            owner=obj.owner,
            member=obj.member,
            role=obj.role,
            projects=form.cleaned_data["projects"],
            actor=_operator(request),
            via="admin",
        )
        obj.pk, obj.created_at = result.membership.pk, result.membership.created_at

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The access list was written by membership_upsert (save_model)."""

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_remove(owner=obj.owner, member=obj.member, actor=_operator(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        with transaction.atomic():
            for membership in queryset.select_related("owner", "member"):
                self.delete_model(request, membership)
