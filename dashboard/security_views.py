"""The account owner's Security page and audit trail. Like the Team page, each shows the
signed-in user's own account only: a member of someone else's account can never reach that
account's pages (by construction, not by check)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from dashboard.csv_export import trail_csv_lines
from dashboard.selectors import (
    security_overview,
    trail_iter,
    trail_kind_choices,
    trail_people,
    trail_query,
    trail_rows,
)

TRAIL_PAGE_SIZE = 50


class TrailFilterForm(forms.Form):
    person = forms.ChoiceField(label="Person", required=False)
    kind = forms.ChoiceField(label="Kind", required=False)

    def __init__(self, *args: object, people: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own arguments
        self.fields["person"].choices = [("", "Everyone"), *((p, p) for p in people)]  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["kind"].choices = [("", "Every kind"), *trail_kind_choices()]  # type: ignore[attr-defined]  # a ChoiceField


@login_required
@require_GET
def security(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"overview": security_overview(owner=request.user)}
    response = render(request, "dashboard/security/overview.html", context)
    add_never_cache_headers(response)
    return response


def _filters(request: AuthenticatedHttpRequest) -> TrailFilterForm:
    return TrailFilterForm(request.GET or None, people=trail_people(owner=request.user))


@login_required
@require_GET
def security_audit(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _filters(request)
    if form.is_bound and not form.is_valid():
        context: dict[str, object] = {"form": form, "page": None, "rows": [], "query": ""}
        return render(request, "dashboard/security/audit.html", context, status=400)
    person, kind = _chosen(form)
    paginator = Paginator(
        trail_query(owner=request.user, person=person, kind=kind), TRAIL_PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": trail_rows(refs=list(page.object_list), names=True),
        "query": query.urlencode(),
    }
    response = render(request, "dashboard/security/audit.html", context)
    add_never_cache_headers(response)
    return response


def _chosen(form: TrailFilterForm) -> tuple[str, str]:
    data = form.cleaned_data if form.is_bound else {}
    return data.get("person") or "", data.get("kind") or ""


@login_required
@require_GET
def security_audit_csv(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = _filters(request)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(map(str, e))}" for name, e in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    person, kind = _chosen(form)
    rows = trail_iter(owner=request.user, person=person, kind=kind)
    response = StreamingHttpResponse(trail_csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = f"audit-trail-{request.user.public_id}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    add_never_cache_headers(response)
    return response
