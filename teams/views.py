"""Team management. Every page here manages the signed-in user's own account: a member of
someone else's account can never reach that account's team (by construction, not by check)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from audit.services import Actor
from core.errors import ApplicationError, form_add_application_error
from teams import invitations as inv
from teams.forms import InviteForm, MembershipForm
from teams.models import Invitation, Membership
from teams.refusals import InvitationRefusal
from teams.selectors import invitation_list_pending, invitation_refusal_for, membership_list
from teams.services import membership_remove, membership_upsert


def _team_page(
    request: AuthenticatedHttpRequest, form: InviteForm | None = None, status: int = 200
):
    owner = request.user
    context = {
        "members": membership_list(owner=owner),
        "invitations": invitation_list_pending(owner=owner),
        "form": form or InviteForm(owner=owner),
        "my_memberships": Membership.objects.filter(member=owner).select_related("owner"),
    }
    return render(request, "teams/team.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def team(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _team_page(request)


@login_required
@require_POST
def team_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST, owner=request.user)
    if form.is_valid():
        try:
            invitation = inv.invitation_create(
                owner=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                projects=form.selected_projects(),
                base_url=request.build_absolute_uri("/"),
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
            if exc.reason is InvitationRefusal.LIMIT_REACHED:
                return _team_page(request, form, status=429)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("team")
    return _team_page(request, form, status=400)


def _own_invitation(request: AuthenticatedHttpRequest, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, owner=request.user)


@login_required
@require_POST
def invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _own_invitation(request, pk)
    try:
        inv.invitation_resend(invitation=invitation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation to {invitation.email} sent again.")
    return redirect("team")


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _own_invitation(request, pk)
    if inv.invitation_revoke(invitation=invitation):
        messages.success(request, f"Invitation to {invitation.email} revoked.")
    return redirect("team")


def _own_membership(request: AuthenticatedHttpRequest, member_id: str) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("member"),
        owner=request.user,
        member__public_id=member_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: AuthenticatedHttpRequest, member_id: str) -> HttpResponse:
    membership = _own_membership(request, member_id)
    initial = {
        "role": membership.role,
        "projects": list(membership.projects.values_list("public_id", flat=True)),
    }
    form = MembershipForm(request.POST or None, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            membership_upsert(
                owner=request.user,
                member=membership.member,
                role=form.cleaned_data["role"],
                projects=form.selected_projects(),
                actor=Actor.of(request.user),
            )
        except ApplicationError as exc:  # the form checks the same; a race can still refuse
            form_add_application_error(form, exc)
        else:
            messages.success(request, f"Access of {membership.member.email} updated.")
            return redirect("team")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "teams/member_edit.html", {"membership": membership, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: AuthenticatedHttpRequest, member_id: str) -> HttpResponse:
    membership = _own_membership(request, member_id)
    if request.method == "POST":
        membership_remove(
            owner=request.user, member=membership.member, actor=Actor.of(request.user)
        )
        messages.success(request, f"{membership.member.email} was removed from your team.")
        return redirect("team")
    return render(request, "teams/member_remove.html", {"membership": membership})


@login_required
@require_http_methods(["GET", "POST"])
def team_leave(request: AuthenticatedHttpRequest, owner_id: str) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("owner"),
        member=request.user,
        owner__public_id=owner_id,
    )
    if request.method == "POST":
        membership_remove(owner=membership.owner, member=request.user, actor=Actor.of(request.user))
        messages.success(request, f"You left {membership.owner.email}'s team.")
        return redirect("home")
    return render(request, "teams/leave.html", {"membership": membership})


# The invitation page's answer to each refusal (teams.selectors.invitation_refusal_for).
_REFUSAL_STATUS = {
    InvitationRefusal.EXPIRED: 410,
    InvitationRefusal.ACCEPTED: 410,
    InvitationRefusal.REVOKED: 410,
    InvitationRefusal.OWN: 200,
    InvitationRefusal.EMAIL_MISMATCH: 403,
}


@require_http_methods(["GET", "POST"])
def invitation_detail(request: HttpRequest, token: str) -> HttpResponse:
    invitation = inv.invitation_find_by_token(token=token)
    if invitation is None:
        context: dict[str, object] = {"invitation": None, "status": "invalid", "token": token}
        return render(request, "teams/invitation.html", context, status=404)
    user = request.user if request.user.is_authenticated else None
    refusal = invitation_refusal_for(invitation=invitation, user=user)
    context = {"invitation": invitation, "status": refusal or "pending", "token": token}
    if refusal is not None:
        mismatch = refusal is InvitationRefusal.EMAIL_MISMATCH
        if mismatch and user is not None and user.email == invitation.email:  # both canonical
            context["status"] = "unverified"  # their address, not verified yet
        return render(request, "teams/invitation.html", context, status=_REFUSAL_STATUS[refusal])
    if user is None:
        return render(request, "teams/invitation.html", context)
    if request.method == "POST":
        try:
            acceptance = inv.invitation_accept(invitation=invitation, user=user)
        except ApplicationError as exc:
            context["status"] = exc.reason
            return render(request, "teams/invitation.html", context, status=409)
        messages.success(request, f"You joined {acceptance.owner.email}'s team.")
        return redirect("home")
    return render(request, "teams/invitation.html", context)
