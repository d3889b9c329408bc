from django.contrib import admin

from projects.models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "public_id", "owner", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "public_id", "owner__email", "owner__public_id"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    autocomplete_fields = ["owner"]
