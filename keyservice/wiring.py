"""The wiring: every registration of the apps, in one table per registry.

A lower app never imports a higher one. Where it needs one, it defines a typed registry and
the apps above fill it. They do so here and nowhere else: the tables below say, for each
registry, which app's function answers which point, and `wiring_install` fills every registry
from them, once, at start-up (keyservice.apps.WiringConfig.ready(), last in INSTALLED_APPS).
Each registry keeps its own typed registration function (`HookPoint.register`,
`composer_register`, `pruner_register`, `gauge_register`, `sources_install`), and a point
nothing filled still raises when called.

docs/architecture.md, "The wiring", is these tables as a page: `python manage.py wiring
--write` regenerates it (keyservice/wiring_page.py) and tests/architecture/test_wiring.py fails
when the page differs.

Import this module only once the app registry is ready: the entries are the apps' own
functions, whose modules import models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from django.db.models import TextChoices

from accounts import hooks
from accounts.hooks import HookPoint
from api.project_extras import PROJECT_EXTRAS_SOURCES
from apikeys.account_hooks import (
    apikey_held_by,
    apikey_revoke_on_access_end,
    keyevent_identity_create,
)
from apikeys.emails import (
    ApiKeyEmail,
    ExpiryReminderEmail,
    LeakNoticeEmail,
    RetiredKeyInUseEmail,
    RevokeNoticeEmail,
)
from apikeys.models import ApiKey
from apikeys.services import keyevent_prune
from apikeys.usage.collect import usage_prune
from apikeys.verifier.sources import VERIFIER_SOURCES
from audit.services import auditevent_prune
from core.leasedcache import Sources, sources_install
from core.metrics import ScrapeGauge, gauge_register
from core.retention import Pruner, pruner_register
from lifecycle.account_hooks import lifecycle_on_user_deactivated
from lifecycle.delivery import lifecycle_delivery_prune
from outbox.composers import Composer, composer_register
from outbox.selectors import outbox_backlog_counts
from outbox.services import outbox_prune
from projects.selectors import project_held_by
from projects.services import project_on_owner_deactivated
from teams.account_hooks import membership_held_by
from teams.emails import InvitationEmail
from teams.invitations import invitation_pending_for
from teams.models import Invitation
from teams.services import formermembership_prune, membership_on_user_deleted
from webhooks.services import webhook_delivery_prune

H = TypeVar("H")


@dataclass(frozen=True)
class Hook(Generic[H]):
    """`hook` answers the accounts hook point `point`; `does` says what it does there."""

    point: HookPoint[H]
    hook: H
    does: str

    def install(self) -> None:
        self.point.register(self.hook)


@dataclass(frozen=True)
class Email:
    """The outbox emails of `kind` (an app's email kind: its value and its label) are composed
    by `composer`."""

    kind: TextChoices
    composer: Composer

    def install(self) -> None:
        composer_register(kind=self.kind.value, label=self.kind.label, composer=self.composer)


# accounts.hooks: each point's hooks run in this order, in the caller's transaction. (Final, not
# annotated: mypy then checks each hook against its point's protocol.)
HOOKS: Final = (
    Hook(
        hooks.ADDRESS_INVITED,
        invitation_pending_for,
        "yes when a pending invitation names the address",
    ),
    Hook(hooks.USER_HOLDINGS, project_held_by, "yes when the user owns a project"),
    Hook(
        hooks.USER_HOLDINGS,
        membership_held_by,
        "yes when the user is in a team, as a member or as its owner",
    ),
    Hook(hooks.USER_HOLDINGS, apikey_held_by, "yes when the user ever had a key"),
    Hook(
        hooks.ACCESS_END,
        apikey_revoke_on_access_end,
        "revokes the user's active key and stops a previous key still in its overlap "
        "(`revoked`, `overlap_ended` key events)",
    ),
    Hook(
        hooks.IDENTITY_EVENT,
        keyevent_identity_create,
        "records the change as the key event of the same kind",
    ),
    Hook(
        hooks.USER_DEACTIVATED,
        project_on_owner_deactivated,
        "a deleted owner's projects are announced as `project.disabled`",
    ),
    Hook(
        hooks.USER_DEACTIVATED,
        membership_on_user_deleted,
        "a deleted member's memberships are kept as `FormerMembership` rows",
    ),
    Hook(
        hooks.USER_DEACTIVATED,
        lifecycle_on_user_deactivated,
        "`user.deactivated` for internal subscribers",
    ),
)

# outbox.composers: what each kind of email says (the outbox knows rows, not subjects).
EMAILS: tuple[Email, ...] = (
    Email(ApiKey.EmailKind.NEW_KEY, ApiKeyEmail()),
    Email(ApiKey.EmailKind.LEAK_NOTICE, LeakNoticeEmail()),
    Email(ApiKey.EmailKind.EXPIRY_WEEK, ExpiryReminderEmail(days=7)),
    Email(ApiKey.EmailKind.EXPIRY_DAY, ExpiryReminderEmail(days=1)),
    Email(ApiKey.EmailKind.REVOKE_NOTICE, RevokeNoticeEmail()),
    Email(ApiKey.EmailKind.RETIRED_IN_USE, RetiredKeyInUseEmail()),
    Email(Invitation.EmailKind.INVITATION, InvitationEmail()),
)

# core.retention: each app prunes its own history; the daily task and `manage.py
# prune_history` run these in this order.
PRUNERS: tuple[Pruner, ...] = (
    Pruner(
        name="audit_events",
        setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
        noun="team event(s)",
        prune=auditevent_prune,
    ),
    Pruner(
        name="former_memberships",
        setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
        noun="former membership(s)",
        prune=formermembership_prune,
    ),
    Pruner(
        name="key_events",
        setting_name="KEYSERVICE_AUDIT_RETENTION_DAYS",
        noun="key event(s)",
        prune=keyevent_prune,
    ),
    Pruner(
        name="key_usage",
        setting_name="KEYSERVICE_USAGE_RETENTION_DAYS",
        noun="key usage day(s) and batch id(s)",
        prune=usage_prune,
    ),
    Pruner(
        name="outbox_emails",
        setting_name="KEYSERVICE_OUTBOX_RETENTION_DAYS",
        noun="outbox email(s)",
        prune=outbox_prune,
    ),
    Pruner(
        name="webhook_deliveries",
        setting_name="KEYSERVICE_WEBHOOK_RETENTION_DAYS",
        noun="webhook delivery(ies)",
        prune=webhook_delivery_prune,
    ),
    Pruner(
        name="lifecycle_deliveries",
        setting_name="KEYSERVICE_LIFECYCLE_RETENTION_DAYS",
        noun="lifecycle delivery(ies)",
        prune=lifecycle_delivery_prune,
    ),
)

# core.metrics: gauges computed at each scrape (one query each, never on a request's path).
GAUGES: tuple[ScrapeGauge, ...] = (
    ScrapeGauge(
        name="keyservice_outbox_emails",
        documentation="Outbox emails waiting to be sent (pending) or given up (failed).",
        label="state",
        values=outbox_backlog_counts,
    ),
)

# core.leasedcache: the cached readers, each with what its query reads (declared beside the
# query). Installing one tracks its models: every write of their rows announces what it changes.
READERS: tuple[Sources, ...] = (VERIFIER_SOURCES, PROJECT_EXTRAS_SOURCES)


def wiring_install() -> None:
    """Fill every registry from the tables above. Idempotent: ready() may run again for a new
    app registry, and each registration function keeps one entry per hook, kind or name."""
    for hook in HOOKS:
        hook.install()
    for email in EMAILS:
        email.install()
    for pruner in PRUNERS:
        pruner_register(
            name=pruner.name,
            setting_name=pruner.setting_name,
            noun=pruner.noun,
            prune=pruner.prune,
        )
    for gauge in GAUGES:
        gauge_register(
            name=gauge.name,
            documentation=gauge.documentation,
            label=gauge.label,
            values=gauge.values,
        )
    for reader in READERS:
        sources_install(reader)
