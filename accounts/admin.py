from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest

from accounts.forms import ProjectAdminForm
from accounts.models import Project, User
from accounts.services import user_email_change, user_vouched_address_record

# Only superusers see these as editable: a staff user with change_user cannot grant
# themselves (or anyone) staff, superuser, groups or permissions.
PERMISSION_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


class UserAdminChangeForm(UserChangeForm):
    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip().lower()
        elsewhere = EmailAddress.objects.filter(email__iexact=email, verified=True)
        if self.instance.pk:
            elsewhere = elsewhere.exclude(user_id=self.instance.pk)
        if elsewhere.exists():
            raise forms.ValidationError("Another account already uses that address.")
        return email


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserAdminChangeForm
    ordering = ["email"]
    list_display = ["email", "name", "public_id", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "name", "public_id"]
    readonly_fields = ["public_id", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name", "public_id"]}),
        ("Permissions", {"fields": ["is_active", *PERMISSION_FIELDS]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += PERMISSION_FIELDS
        return fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A superuser account (its address, its password) is changed only by a superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            user_vouched_address_record(user=obj)  # the operator vouches for the address
            return
        if "email" in form.changed_data:
            # The address changes only through the one service (old address gone, new one
            # verified, audited); the other fields are saved with the address unchanged.
            new_email = obj.email
            obj.email = User.objects.values_list("email", flat=True).get(pk=obj.pk)
            super().save_model(request, obj, form, change)
            user_email_change(user=obj, email=new_email, actor=request.user)
            return
        super().save_model(request, obj, form, change)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm  # the webhook URL is checked like in the dashboard
    list_display = ["name", "public_id", "owner", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "public_id", "owner__email", "owner__public_id"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    autocomplete_fields = ["owner"]
