"""Writes to a project's webhook settings (webhooks.models.Webhook): created when first
needed, URL and events (validated), retries, the signing secret."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from core.errors import ApplicationError
from core.outbound import AddressPolicy, UrlRefused, url_check
from projects.models import Project
from projects.services import project_touch
from webhooks.events import WEBHOOK_EVENTS
from webhooks.models import Webhook, new_webhook_secret
from webhooks.refusals import WebhookRefusal
from webhooks.selectors import webhook_get


def webhook_address_policy() -> AddressPolicy:
    """Where webhooks may go: public addresses only, unless the operator allows private
    targets (KEYSERVICE_WEBHOOK_ALLOW_PRIVATE, for development)."""
    return AddressPolicy(allow_private=settings.KEYSERVICE_WEBHOOK_ALLOW_PRIVATE)


def webhook_get_or_create(*, project: Project) -> Webhook:
    """The project's webhook settings, created (no URL, no events, a new secret) the first
    time a project needs them. The one place a Webhook row is created.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    hook = webhook_get(project=project)
    if hook is None:
        hook, _ = Webhook.objects.get_or_create(project=project)
        project.webhook = hook
    return hook


@transaction.atomic
def webhook_settings_update(
    *, project: Project, url: str, events: list[str], actor: Actor, retries: bool | None = None
) -> Webhook:
    """Set the project's webhook URL ("" for none) and subscribed events, validated, and
    whether its deliveries are retried (`retries`; None leaves it as it is).

    The URL gets the check every send repeats (core.outbound.url_check): exactly the string saved
    is the one checked, nothing is trimmed or normalised. A literal IP must be public.
    A new URL is recorded in the project owner's audit trail (webhook_url_audit).

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    url = "" if url is None else url
    errors: dict[str, str] = {}
    if url:
        try:
            url_check(url=url, policy=webhook_address_policy())
        except UrlRefused as exc:
            errors["webhookUrl"] = str(exc)
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        errors["webhookEvents"] = "Events must be a list of event names."
    elif unknown := sorted(set(events) - set(WEBHOOK_EVENTS)):
        errors["webhookEvents"] = f"Unknown events: {', '.join(unknown)}."
    elif url and not events:
        errors["webhookEvents"] = "Choose at least one event when a URL is set."
    if errors:
        message = " ".join(errors.values())
        raise ApplicationError(WebhookRefusal.INVALID_SETTINGS, message, fields=errors)
    hook = webhook_get_or_create(project=project)
    before = hook.url
    hook.url = url
    hook.events = [e for e in WEBHOOK_EVENTS if e in events]
    fields = ["url", "events"]
    if retries is not None:
        hook.retries = retries
        fields.append("retries")
    hook.save(update_fields=fields)
    webhook_url_audit(project=project, before=before, after=url, actor=actor)
    project_touch(project=project)  # a webhook change moves the project's updatedAt on
    return hook


def url_for_audit(url: str) -> str:
    """The URL as the audit trail keeps it: without credentials, query or fragment (where a
    receiver's own token may sit)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


def webhook_url_audit(*, project: Project, before: str, after: str, actor: Actor) -> None:
    """Record a change of the project's webhook URL (none when it stayed the same) in the
    project owner's trail. The dashboard's and the admin's writes both call it."""
    if before == after:
        return
    audit_record(
        kind=AuditEvent.Kind.WEBHOOK_URL_CHANGED,
        account=project.owner,
        actor=actor,
        projects=[project.public_id],
        details={"from": url_for_audit(before), "to": url_for_audit(after)},
    )


@transaction.atomic
def webhook_secret_rotate(*, project: Project, actor: Actor) -> str:
    """Give the project a new signing secret. Deliveries from now on are signed with it and,
    for KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS, with the replaced one too (a second `v1`),
    so an attempt in flight or retried verifies at a receiver holding either; then the replaced
    one is dropped (webhook_previous_secrets_drop). A rotation within an overlap replaces the
    previous secret by the one it replaces (two at most). Stamps `secret_rotated_at` and
    records the rotation (never a secret) in the owner's trail.

    Writes tracked models (core.leasedcache): it announces the change before its commit and
    after it, waits for every lease holder to drop what it changes, and is refused with
    CacheUnavailable (nothing written) while the cache's Redis is down.
    """
    hook = webhook_get_or_create(project=project)
    now = timezone.now()
    overlap = max(0, settings.KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS)
    if overlap:
        hook.previous_secret = hook.secret
        hook.previous_secret_until = now + timedelta(seconds=overlap)
    else:
        hook.previous_secret, hook.previous_secret_until = "", None
    hook.secret = new_webhook_secret()
    hook.secret_rotated_at = now
    hook.save(
        update_fields=["secret", "secret_rotated_at", "previous_secret", "previous_secret_until"]
    )
    until = hook.previous_secret_until
    audit_record(
        kind=AuditEvent.Kind.WEBHOOK_SECRET_ROTATED,
        account=project.owner,
        actor=actor,
        projects=[project.public_id],
        details={"previous_signs_until": until.isoformat() if until else None},
    )
    project_touch(project=project)
    return hook.secret


def webhook_previous_secrets_drop(*, now: datetime | None = None) -> int:
    """Forget every previous secret whose overlap has ended (webhooks.tasks.webhook_sweep,
    every minute). Returns how many were dropped."""
    return Webhook.objects.filter(previous_secret_until__lte=now or timezone.now()).update(
        previous_secret="", previous_secret_until=None
    )
