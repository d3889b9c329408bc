"""Reads of the outbox."""

from __future__ import annotations

from django.db.models import Count

from outbox.models import OutboxEmail

BACKLOG_STATES = (OutboxEmail.State.PENDING, OutboxEmail.State.FAILED)


def outbox_backlog_counts() -> dict[str, float]:
    """How many emails are pending and how many failed: one query on the indexed state
    (the metrics gauge keyservice_outbox_emails, computed at each scrape)."""
    counts = {state.value: 0.0 for state in BACKLOG_STATES}
    rows = (
        OutboxEmail.objects.filter(state__in=BACKLOG_STATES)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    for state, n in rows:
        counts[state] = float(n)
    return counts
