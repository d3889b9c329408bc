"""Key usage from Redis into PostgreSQL (the periodic task apikeys.tasks.usage_collect), and
the "your old key is still in use" email.

`usage_collect` renames the live hashes to a batch (atomically, so the processes' flushes go
on into fresh hashes), applies each batch in one transaction that also records its id
(UsageBatch, unique: a batch is applied at most once), then deletes it from Redis. A
collector that dies between commit and delete leaves the batch in Redis; the next run finds
its id recorded and only deletes it.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apikeys.models import ApiKey
from apikeys.usage.counting import ACCEPTED, COUNTS, LAST, RETIRED, LastUse, usage_redis
from apikeys.usage.models import KeyUsageDay, KeyUse, UsageBatch
from core.batches import queryset_delete_in_batches
from outbox.services import outbox_email_create

logger = logging.getLogger(__name__)

BATCHES = "ks:usage:batches"
NOTICE_EVERY = timedelta(days=1)  # at most one "still in use" email a day per key

_TAKE = """
local moved = 0
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i] .. ':' .. ARGV[1])
    moved = 1
  end
end
if moved == 1 then redis.call('SADD', KEYS[3], ARGV[1]) end
return moved
"""

Counts = dict[tuple[int, str, str], int]


def usage_collect() -> int:
    """Apply every batch waiting in Redis; returns the number of batches applied."""
    url = settings.KEYSERVICE_USAGE_REDIS_URL
    if not url:
        return 0
    client = usage_redis(url)
    client.eval(_TAKE, 3, COUNTS, LAST, BATCHES, uuid.uuid4().hex)
    applied = 0
    waiting: set[bytes] = client.smembers(BATCHES)  # type: ignore[assignment]  # sync client
    for raw in sorted(waiting):
        batch = raw.decode()
        counts_key, last_key = f"{COUNTS}:{batch}", f"{LAST}:{batch}"
        counts = _counts_parse(client.hgetall(counts_key))  # type: ignore[arg-type]  # sync client
        last = _last_parse(client.hgetall(last_key))  # type: ignore[arg-type]  # sync client
        try:
            with transaction.atomic():
                UsageBatch.objects.create(batch_id=batch)
                usage_apply(counts=counts, last=last)
            applied += 1
        except IntegrityError:  # applied before, by a collector that died before deleting it
            logger.info("key usage: batch %s was applied already", batch)
        client.delete(counts_key, last_key)
        client.srem(BATCHES, batch)
    return applied


def usage_apply(*, counts: Counts, last: dict[int, LastUse]) -> None:
    """Add counts and last uses to the database in one transaction; keys deleted meanwhile
    are skipped. Sends the "still in use" email for retired keys used in this batch."""
    key_pks = {pk for pk, _, _ in counts} | set(last)
    with transaction.atomic():
        keys = {
            k.pk: k
            for k in ApiKey.objects.select_related("user").filter(pk__in=key_pks).order_by("pk")
        }
        _days_add({f: n for f, n in counts.items() if f[0] in keys})
        retired: defaultdict[int, int] = defaultdict(int)
        for (pk, _, kind), n in counts.items():
            if kind == RETIRED and pk in keys:
                retired[pk] += n
        uses = KeyUse.objects.select_for_update().in_bulk([pk for pk in last if pk in keys])
        for pk, use in sorted(last.items()):
            if pk in keys:
                _use_update(keys[pk], uses.get(pk), use, retired.get(pk, 0))


def _days_add(counts: Counts) -> None:
    per_day: defaultdict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for (pk, day, kind), n in counts.items():
        per_day[(pk, day)][0 if kind == ACCEPTED else 1] += n
    if not per_day:
        return
    table = connection.ops.quote_name(KeyUsageDay._meta.db_table)
    rows = sorted(per_day.items())
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[int | date] = []
    for (pk, day), (accepted, refused) in rows:
        params += [pk, date.fromisoformat(day), accepted, refused]
    with connection.cursor() as cursor:
        # Quoted model metadata only; every value is a parameter.
        cursor.execute(
            f"""INSERT INTO {table} (key_id, day, accepted, refused) VALUES {values}
                ON CONFLICT (key_id, day) DO UPDATE
                SET accepted = {table}.accepted + EXCLUDED.accepted,
                    refused = {table}.refused + EXCLUDED.refused""",  # noqa: S608
            params,
        )


def _use_update(key: ApiKey, row: KeyUse | None, use: LastUse, retired_uses: int) -> None:
    at = datetime.fromtimestamp(use.at, UTC)
    if row is None:
        row = KeyUse(key=key, last_at=at, last_surface=use.surface, last_accepted=False)
    if row._state.adding or row.last_at <= at:  # a use older than the recorded one: counts only
        row.last_at, row.last_surface = at, use.surface
        row.last_address = _ip_or_none(use.address)
        row.last_accepted = use.kind == ACCEPTED
    if retired_uses:
        row.retired_uses += retired_uses
        if use.kind == RETIRED and (row.retired_last_at is None or row.retired_last_at < at):
            row.retired_last_at = at
    notify = retired_uses > 0 and _notice_due(key, row)
    if notify:
        row.retired_notified_at = timezone.now()
    row.save()
    if notify:
        outbox_email_create(
            kind=ApiKey.EmailKind.RETIRED_IN_USE.value, recipient=key.user.email, subject_id=key.pk
        )


def _ip_or_none(address: str) -> str | None:
    """An IP address for the inet column; None for none or an opaque identity (core.clientip)."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _notice_due(key: ApiKey, row: KeyUse) -> bool:
    if key.revoked_at is None or not key.user.is_active or not key.user.email:
        return False
    last = row.retired_notified_at
    return last is None or timezone.now() - last >= NOTICE_EVERY


def _counts_parse(raw: dict[bytes, bytes]) -> Counts:
    counts: Counts = {}
    for field, value in raw.items():
        text = field.decode()
        pk, _, rest = text.partition(":")
        day, _, kind = rest.partition(":")
        try:
            date.fromisoformat(day)
            counts[(int(pk), day, kind)] = int(value)
        except ValueError:
            logger.warning("key usage: ignored a malformed counter %r", text)
    return counts


def _last_parse(raw: dict[bytes, bytes]) -> dict[int, LastUse]:
    last: dict[int, LastUse] = {}
    for field, value in raw.items():
        use = LastUse.decode(value.decode())
        try:
            pk = int(field)
        except ValueError:
            use = None
        if use is not None:
            last[pk] = use
    return last


def usage_prune(*, before: datetime, batch_size: int) -> int:
    """Delete daily counts older than `before` (and applied batch ids past it), in batches."""
    days = KeyUsageDay.objects.filter(day__lt=before.date())
    batches = UsageBatch.objects.filter(applied_at__lt=before)
    return queryset_delete_in_batches(days, batch_size=batch_size) + queryset_delete_in_batches(
        batches, batch_size=batch_size
    )
