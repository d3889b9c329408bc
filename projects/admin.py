from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from projects.domains import custom_domain_clean
from projects.models import Project
from projects.services import project_delete, project_status_set


class ProjectAdminForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["owner", "name", "status", "region", "custom_domain"]

    def clean_custom_domain(self) -> str:
        # Stored as projects.domains keeps it: lower case, no trailing dot, "" for none.
        value: Any = self.cleaned_data.get("custom_domain")
        return custom_domain_clean(value)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = ["name", "public_id", "owner", "status", "region", "custom_domain", "created_at"]
    list_filter = ["status", "region"]
    search_fields = ["name", "public_id", "owner__email", "owner__public_id", "custom_domain"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    autocomplete_fields = ["owner"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # A project's owner is fixed: its memberships' access lists are the owner's projects.
        return [*self.readonly_fields, "owner"] if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Project, form, change: bool) -> None:
        # The status changes through its service (disabling is announced to the lifecycle
        # subscribers); the other fields are saved with it unchanged.
        if not change:
            super().save_model(request, obj, form, change)
            return
        new_status = obj.status
        obj.status = Project.objects.values_list("status", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        if "status" in form.changed_data:
            project_status_set(project=obj, status=new_status)

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        project_delete(project=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        with transaction.atomic():
            for project in queryset.select_related("owner"):
                project_delete(project=project)
