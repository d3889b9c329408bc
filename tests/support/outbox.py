"""The outbox rows about a key: what the row's former `api_key` foreign key selected."""

from __future__ import annotations

from django.db.models import QuerySet

from apikeys.models import ApiKey
from outbox.models import OutboxEmail


def key_emails(api_key: ApiKey) -> QuerySet[OutboxEmail]:
    """Every outbox email about `api_key` (its new-key email and any leak notice)."""
    return OutboxEmail.objects.filter(kind__in=ApiKey.EmailKind.values, subject_id=api_key.pk)
