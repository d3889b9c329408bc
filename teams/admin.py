from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from core.errors import ApplicationError
from teams.models import Membership
from teams.services import membership_remove, membership_upsert, membership_validate


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
    """Memberships are written through teams.services (membership_upsert / membership_remove),
    like every other path, so the lifecycle subscribers hear of each change. The owner and the
    member of an existing membership are fixed: remove it and add another instead."""

    form = MembershipAdminForm
    list_display = ["member", "owner", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["member__email", "member__public_id", "owner__email", "owner__public_id"]
    autocomplete_fields = ["owner", "member"]
    filter_horizontal = ["projects"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ["owner", "member"] if obj else []

    def save_model(self, request: HttpRequest, obj: Membership, form, change: bool) -> None:
        result = membership_upsert(
            owner=obj.owner,
            member=obj.member,
            role=obj.role,
            projects=form.cleaned_data.get("projects") or [],
        )
        obj.pk = result.membership.pk

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # The access list was written by membership_upsert; only inline formsets remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_remove(owner=obj.owner, member=obj.member)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        with transaction.atomic():
            for membership in queryset.select_related("owner", "member"):
                membership_remove(owner=membership.owner, member=membership.member)
