from typing import Any

from django import forms
from django.contrib import admin

from projects.domains import custom_domain_clean
from projects.models import Project


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
