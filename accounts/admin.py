from contextvars import ContextVar
from typing import cast

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.admin import SocialAccountAdmin as AllauthSocialAccountAdmin
from allauth.socialaccount.admin import SocialAppAdmin as AllauthSocialAppAdmin
from allauth.socialaccount.admin import SocialTokenAdmin as AllauthSocialTokenAdmin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from accounts.access import user_identity_disconnect, user_password_set
from accounts.addresses import UnusableEmailAddress, email_canonical
from accounts.models import User
from accounts.selectors import user_email_held_elsewhere
from accounts.services import (
    EMAIL_HELD_ELSEWHERE,
    user_active_set,
    user_delete,
    user_email_change,
    user_vouched_address_record,
)

# Only superusers see these as editable: a staff user with change_user cannot grant
# themselves (or anyone) staff, superuser, groups or permissions.
PERMISSION_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


def user_is_changeable_by(*, user: User | None, actor) -> bool:
    """Whether `actor` may change or delete the account `user` in the admin (their model
    permissions aside): other staff and superuser accounts only a superuser may. (Their own
    account, staff may: its permission fields stay read-only to them.)"""
    if user is None or actor.is_superuser or user.pk == actor.pk:
        return True
    return not (user.is_staff or user.is_superuser)


def admin_email_clean(value: str | None, *, user_pk: int | None) -> str:
    """An address typed in the admin, in its canonical form (accounts.addresses), refused
    without one or when another account holds or verified it."""
    try:
        email = email_canonical(value or "")
    except UnusableEmailAddress as exc:
        raise forms.ValidationError(str(exc)) from None
    if user_email_held_elsewhere(email=email, user_pk=user_pk):
        raise forms.ValidationError(EMAIL_HELD_ELSEWHERE)
    return email


class UserAdminChangeForm(UserChangeForm):
    def clean_email(self) -> str:
        return admin_email_clean(self.cleaned_data.get("email"), user_pk=self.instance.pk)


class UserAdminCreationForm(AdminUserCreationForm):
    def clean_email(self) -> str:
        return admin_email_clean(self.cleaned_data.get("email"), user_pk=None)


# The request of the admin's "change password" view being served (UserAdmin
# .user_change_password sets it; OperatorPasswordChangeForm, which Django's view builds, reads
# its operator). A context variable: one admin instance serves every thread.
_password_change_request: ContextVar[HttpRequest | None] = ContextVar(
    "password_change_request", default=None
)


class OperatorPasswordChangeForm(AdminPasswordChangeForm):
    """An operator sets a user's password, or disables password sign-in, through
    user_password_set: audited with the operator as actor, and every session of the user ends
    (the operator's own stays when they change their own)."""

    def set_password_and_save(self, user: User, commit: bool = True, **kwargs) -> User:
        request = _password_change_request.get()
        operator = getattr(request, "user", None)
        usable = self.cleaned_data["set_usable_password"]
        user_password_set(
            user=user,
            password=self.cleaned_data["password1"] if usable else None,
            actor=operator if isinstance(operator, User) else None,
            reason="by an operator in the admin",
            request=request,
        )
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    change_password_form = OperatorPasswordChangeForm
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
        # A staff or superuser account (its address, its password — the admin's
        # user_change_password view asks this too —, its permissions) is changed only by a
        # superuser: change_user alone never reaches another operator's access.
        if not user_is_changeable_by(user=obj, actor=request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Also asked per object by the changelist's "delete selected" action.
        if not user_is_changeable_by(user=obj, actor=request.user):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        token = _password_change_request.set(request)
        try:
            with transaction.atomic():
                return super().user_change_password(request, id, form_url)
        finally:
            _password_change_request.reset(token)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            user_vouched_address_record(user=obj)  # the operator vouches for the address
            return
        # The admin serves signed-in staff only: the user is never AnonymousUser here.
        actor = cast(User, request.user)
        # The address and the account's activity change only through their services (the
        # address: old one gone, new one verified, audited; activity: the apps are told);
        # the other fields are saved with both unchanged.
        new_email, new_active = obj.email, obj.is_active
        obj.email, obj.is_active = User.objects.values_list("email", "is_active").get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        if "is_active" in form.changed_data:
            user_active_set(user=obj, active=new_active, actor=actor, reason="in the admin")
        if "email" in form.changed_data:
            user_email_change(user=obj, email=new_email, actor=actor, request=request)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj, actor=cast(User, request.user))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # The changelist's "delete selected": each account through the one service.
        with transaction.atomic():
            for user in queryset:
                user_delete(user=user, actor=cast(User, request.user))


# --- allauth's models: who signs in as whom ----------------------------------------------------
# An address row (verified) or a social identity attached to an account is a way into it, and
# the Google app's settings decide whose id_tokens are believed. Only superusers add, change or
# delete them, or run their actions (allauth's "mark verified" has no permission of its own);
# other staff view them at most, without secrets. Importing allauth's admin modules above
# registered allauth's classes; they are replaced here.


class SuperuserWritesAdmin(admin.ModelAdmin):
    hidden_from_staff: tuple[str, ...] = ()

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        return super().get_actions(request) if request.user.is_superuser else {}

    def get_exclude(self, request: HttpRequest, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        return excluded if request.user.is_superuser else excluded + list(self.hidden_from_staff)

    def get_list_display(self, request: HttpRequest):
        shown = super().get_list_display(request)
        if request.user.is_superuser:
            return shown
        return [f for f in shown if f not in self.hidden_from_staff]


class EmailAddressAdminForm(forms.ModelForm):
    class Meta:
        model = EmailAddress
        fields = ["user", "email", "verified", "primary"]

    def clean_email(self) -> str:
        """Stored canonical (accounts.addresses), as every other address row, so allauth's
        exact lookups and its unique verified address see the canonical form."""
        try:
            return email_canonical(self.cleaned_data.get("email") or "")
        except UnusableEmailAddress as exc:
            raise forms.ValidationError(str(exc)) from None


class EmailAddressAdmin(SuperuserWritesAdmin, AllauthEmailAddressAdmin):
    form = EmailAddressAdminForm


class SocialAccountAdmin(SuperuserWritesAdmin, AllauthSocialAccountAdmin):
    """Deleting a sign-in identity disconnects it through user_identity_disconnect: audited
    with the operator as actor, and the user's other sessions end."""

    def delete_model(self, request: HttpRequest, obj: SocialAccount) -> None:
        user_identity_disconnect(account=obj, actor=cast(User, request.user), request=request)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        with transaction.atomic():
            for account in queryset.select_related("user"):
                user_identity_disconnect(
                    account=account, actor=cast(User, request.user), request=request
                )


class SocialTokenAdmin(SuperuserWritesAdmin, AllauthSocialTokenAdmin):
    hidden_from_staff = ("token", "token_secret", "truncated_token")


class SocialAppAdmin(SuperuserWritesAdmin, AllauthSocialAppAdmin):
    hidden_from_staff = ("secret", "key")


class EmailConfirmationAdmin(SuperuserWritesAdmin):
    list_display = ["email_address", "created", "sent"]
    hidden_from_staff = ("key",)


for _model, _admin_class in [
    (EmailAddress, EmailAddressAdmin),
    (SocialAccount, SocialAccountAdmin),
    (SocialToken, SocialTokenAdmin),
    (SocialApp, SocialAppAdmin),
    (EmailConfirmation, EmailConfirmationAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _admin_class)
