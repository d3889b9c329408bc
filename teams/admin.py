from django.contrib import admin

from teams.models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "owner", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["member__email", "member__public_id", "owner__email", "owner__public_id"]
    autocomplete_fields = ["owner", "member"]
    filter_horizontal = ["projects"]
