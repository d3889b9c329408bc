"""Project pages. A project the user cannot reach is a 404, never a hint that it exists."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from audit.services import Actor
from builds.selectors import upload_list
from core.errors import ApplicationError, form_add_application_error
from dashboard.forms import ProjectRenameForm, ProjectSettingsForm, WebhookForm
from projects.models import Project
from projects.selectors import project_find
from projects.services import project_rename, project_settings_update
from teams.selectors import Access, project_access_for, project_list_visible
from webhooks.configure import webhook_get_or_create, webhook_secret_rotate, webhook_settings_update
from webhooks.refusals import WebhookRefusal
from webhooks.selectors import webhook_delivery_list, webhook_get, webhook_signing_secrets
from webhooks.services import webhook_test_send


def _reachable(request: AuthenticatedHttpRequest, project_id: str) -> tuple[Project, Access]:
    project = project_find(public_id=project_id)
    if project is None:
        raise Http404("No such project.")
    access = project_access_for(user_id=request.user.pk, project=project)
    if not access.can_read:
        raise Http404("No such project.")
    return project, access


def _writable(request: AuthenticatedHttpRequest, project_id: str) -> tuple[Project, Access]:
    project, access = _reachable(request, project_id)
    if not access.can_write:
        raise Http404("No such project.")  # read-only members get no write forms either
    return project, access


@login_required
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/project_list.html",
        {"projects": project_list_visible(user=request.user)},
    )


def _owned(request: AuthenticatedHttpRequest, project_id: str) -> tuple[Project, Access]:
    project, access = _reachable(request, project_id)
    if access is not Access.OWNER:
        raise Http404("No such project.")  # region and domain are the owner's settings
    return project, access


def _settings_initial(project: Project) -> dict[str, str]:
    return {"region": project.region, "custom_domain": project.custom_domain}


def _overlap_text(seconds: int) -> str:
    """KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS as the page says it: "24 hours", "90 minutes"."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{max(0, seconds)} seconds"


def _detail(request, project, access, *, rename=None, webhook=None, settings=None, status=200):
    # Writers see the signing secret: their page gives the project its webhook settings.
    hook = (
        webhook_get_or_create(project=project) if access.can_write else webhook_get(project=project)
    )
    initial = (
        {"webhook_url": hook.url, "webhook_events": hook.events, "webhook_retries": hook.retries}
        if hook
        else {}
    )
    overlapping = (
        hook is not None and len(webhook_signing_secrets(webhook=hook, now=timezone.now())) > 1
    )
    context = {
        "project": project,
        "webhook": hook,
        # Until when deliveries also carry a signature under the replaced secret (None: not).
        "overlap_until": hook.previous_secret_until if hook and overlapping else None,
        "secret_overlap": _overlap_text(django_settings.KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS),
        "access": access,
        "rename_form": rename or ProjectRenameForm(initial={"name": project.name}),
        "webhook_form": webhook or WebhookForm(initial=initial),
        "settings_form": settings or ProjectSettingsForm(initial=_settings_initial(project)),
        "uploads": upload_list(project_id=project.pk, limit=10),
        "deliveries": webhook_delivery_list(project=project, limit=10),
    }
    response = render(request, "dashboard/project_detail.html", context, status=status)
    add_never_cache_headers(response)  # no-store: the page shows the webhook signing secret
    return response


@login_required
def project_detail(request: AuthenticatedHttpRequest, project_id: str) -> HttpResponse:
    project, access = _reachable(request, project_id)
    return _detail(request, project, access)


@login_required
@require_POST
def project_rename_view(request: AuthenticatedHttpRequest, project_id: str) -> HttpResponse:
    project, access = _writable(request, project_id)
    form = ProjectRenameForm(request.POST)
    if not form.is_valid():
        return _detail(request, project, access, rename=form, status=400)
    project_rename(project=project, name=form.cleaned_data["name"])
    messages.success(request, "Project renamed.")
    return redirect("project_detail", project_id=project.public_id)


@login_required
@require_POST
def project_settings_view(request: AuthenticatedHttpRequest, project_id: str) -> HttpResponse:
    project, access = _owned(request, project_id)
    form = ProjectSettingsForm(request.POST)
    if form.is_valid():
        try:
            project_settings_update(
                project=project,
                region=form.cleaned_data["region"],
                custom_domain=form.cleaned_data["custom_domain"],
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc, names={"customDomain": "custom_domain"})
        else:
            messages.success(request, "Project settings saved.")
            return redirect("project_detail", project_id=project.public_id)
    return _detail(request, project, access, settings=form, status=400)


@login_required
@require_POST
def project_webhook(request: AuthenticatedHttpRequest, project_id: str) -> HttpResponse:
    project, access = _writable(request, project_id)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            webhook_settings_update(
                project=project,
                url=form.cleaned_data["webhook_url"],
                events=form.cleaned_data["webhook_events"],
                retries=form.cleaned_data["webhook_retries"],
                actor=Actor.of(request.user),
            )
        except ApplicationError as exc:
            names = {"webhookUrl": "webhook_url", "webhookEvents": "webhook_events"}
            form_add_application_error(form, exc, names=names)
        else:
            messages.success(request, "Webhook settings saved.")
            return redirect("project_detail", project_id=project.public_id)
    return _detail(request, project, access, webhook=form, status=400)


@login_required
@require_http_methods(["POST"])
def project_webhook_test(request: AuthenticatedHttpRequest, project_id: str) -> HttpResponse:
    project, _ = _writable(request, project_id)
    try:
        result = webhook_test_send(project=project)
    except ApplicationError as refused:  # its budgets are the API's test-webhook's too
        not_set = refused.reason is WebhookRefusal.NOT_CONFIGURED
        messages.error(request, "Set a webhook URL first." if not_set else refused.message)
    else:
        level = messages.success if result.success else messages.error
        if result.status_code:  # it answered: the API's (the hosted platform's) wording
            level(request, f"{result.message} (HTTP {result.status_code}).")
        else:
            level(request, f"Test webhook: {result.message}.")
    return redirect("project_detail", project_id=project.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def project_webhook_secret(request: AuthenticatedHttpRequest, project_id: str) -> HttpResponse:
    """GET: what a rotation does, and the red button; POST: rotate."""
    project, _ = _writable(request, project_id)
    if request.method == "GET":
        seconds = django_settings.KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS
        context = {
            "project": project,
            "overlapping": seconds > 0,
            "secret_overlap": _overlap_text(seconds),
        }
        response = render(request, "dashboard/webhook_secret_rotate.html", context)
        add_never_cache_headers(response)
        return response
    webhook_secret_rotate(project=project, actor=Actor.of(request.user))
    until = webhook_get_or_create(project=project).previous_secret_until
    if until is None:
        messages.success(request, "New signing secret: update your receiver; old signatures fail.")
    else:
        when = timezone.localtime(until).strftime("%Y-%m-%d %H:%M %Z")
        messages.success(
            request,
            f"New signing secret. Until {when} deliveries are also signed with the previous "
            "one: update your receiver before then.",
        )
    return redirect("project_detail", project_id=project.public_id)
