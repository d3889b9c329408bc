"""Re-encrypting stored keys under the current key-encryption key (KEK), and checking them.

Safe while the service runs: verification reads only the digest, never the ciphertext; the
email worker decrypts a row with whichever KEK its `kek_id` names, and during a rotation both
the old and the new KEK are in the keyring. Each batch re-encrypts its rows in one
transaction under `SELECT … FOR UPDATE SKIP LOCKED`, so an interruption loses nothing and a
re-run continues with the rows still on an old KEK. The digest and the hint never change.
Plaintext exists only in local variables here: never logged, returned or raised.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from apikeys import crypto
from apikeys.models import ApiKey
from apikeys.services import apikey_decrypt

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class Failure:
    """A row that cannot be decrypted: which one, under which KEK, and why (never a secret)."""

    pk: int
    kek_id: str
    reason: str

    def __str__(self) -> str:
        return f"key {self.pk} (kek_id {self.kek_id}): {self.reason}"


@dataclass
class RotationReport:
    total: int = 0  # rows on an old KEK in the keyring when the run started
    rotated: int = 0
    failures: list[Failure] = field(default_factory=list)
    # Rows still on an old KEK after the last pass: held by another transaction throughout,
    # or written meanwhile by a process still running with the previous configuration.
    remaining: int = 0
    missing: dict[str, int] = field(default_factory=dict)  # kek_id → rows, not in the keyring


@dataclass
class CheckReport:
    ok_by_kek: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return sum(self.ok_by_kek.values()) + len(self.failures)


def kek_counts() -> dict[str, int]:
    """How many stored keys each kek_id encrypts, most first."""
    rows = ApiKey.objects.order_by().values_list("kek_id").annotate(n=Count("id"))
    return dict(Counter(dict(rows)).most_common())


def kek_ids_missing() -> dict[str, int]:
    """kek_ids that stored keys use but the keyring lacks, with their row counts."""
    ring = crypto.keyring()
    return {kek: n for kek, n in kek_counts().items() if kek not in ring}


@dataclass(frozen=True)
class Batch:
    last_pk: int | None  # None: no row left after `after_pk`
    rotated: int
    failures: list[Failure]


def _old_keks(ring: dict[str, bytes]) -> list[str]:
    current_id, _ = crypto.current_kek()
    return [kek for kek in ring if kek != current_id]


def kek_rotate_batch(*, after_pk: int, batch_size: int, exclude: frozenset[int]) -> Batch:
    """Re-encrypt up to `batch_size` rows with pk > after_pk on an old KEK of the keyring.

    One transaction: the rows are locked (rows locked by others are skipped, not waited
    for), each is decrypted with the keyring and checked against its digest, then written
    back with a fresh IV under the current KEK. A row that fails stays as it was.
    """
    current_id, current = crypto.current_kek()
    ring = crypto.keyring()
    with transaction.atomic():
        rows = list(
            ApiKey.objects.select_for_update(skip_locked=True)
            .filter(pk__gt=after_pk, kek_id__in=_old_keks(ring))
            .exclude(pk__in=exclude)
            .order_by("pk")
            .only("pk", "ciphertext", "kek_id", "digest")[:batch_size]
        )
        if not rows:
            return Batch(last_pk=None, rotated=0, failures=[])
        changed, failures = [], []
        for row in rows:
            try:
                plaintext = apikey_decrypt(api_key=row, keyring=ring)
            except crypto.DecryptionError as exc:
                failures.append(Failure(row.pk, row.kek_id, str(exc)))
                continue
            row.ciphertext, row.kek_id = crypto.encrypt(plaintext, current), current_id
            changed.append(row)
        ApiKey.objects.bulk_update(changed, ["ciphertext", "kek_id"])
    return Batch(last_pk=rows[-1].pk, rotated=len(changed), failures=failures)


def kek_rotate(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int, int], None] | None = None,
    passes: int = 3,
    retry_delay: float = 1.0,
) -> RotationReport:
    """Re-encrypt every row on an old KEK of the keyring, batch by batch; `on_batch(done,
    total)` after each committed batch. Rows under a KEK missing from the keyring are left
    alone and counted in `report.missing`. Rows skipped because another transaction held
    them are retried in up to `passes` passes; any left after that are `report.remaining`."""
    current_id, _ = crypto.current_kek()
    pending = ApiKey.objects.filter(kek_id__in=_old_keks(crypto.keyring()))
    report = RotationReport(total=pending.count(), missing=kek_ids_missing())
    failed: set[int] = set()
    for number in range(passes):
        if number:
            time.sleep(retry_delay)
        after_pk = 0
        while True:
            batch = kek_rotate_batch(
                after_pk=after_pk, batch_size=batch_size, exclude=frozenset(failed)
            )
            if batch.last_pk is None:
                break
            after_pk = batch.last_pk
            report.rotated += batch.rotated
            report.failures.extend(batch.failures)
            failed.update(f.pk for f in batch.failures)
            logger.debug(
                "kek rotation: batch of %s re-encrypted under %s", batch.rotated, current_id
            )
            if on_batch is not None:
                on_batch(report.rotated + len(report.failures), report.total)
        report.remaining = pending.exclude(pk__in=failed).count()
        if not report.remaining:
            break
    logger.info(
        "kek rotation: %s of %s key(s) re-encrypted under %s; %s failed, %s remaining",
        report.rotated,
        report.total,
        current_id,
        len(report.failures),
        report.remaining,
    )
    return report


def kek_check(
    *, batch_size: int = DEFAULT_BATCH_SIZE, on_batch: Callable[[int, int], None] | None = None
) -> CheckReport:
    """Decrypt every stored key (in batches, without locks) and check it against its digest."""
    ring = crypto.keyring()
    report = CheckReport()
    total = ApiKey.objects.count()
    after_pk = 0
    while True:
        rows = list(
            ApiKey.objects.filter(pk__gt=after_pk)
            .order_by("pk")
            .only("pk", "ciphertext", "kek_id", "digest")[:batch_size]
        )
        if not rows:
            return report
        for row in rows:
            try:
                apikey_decrypt(api_key=row, keyring=ring)
            except crypto.DecryptionError as exc:
                report.failures.append(Failure(row.pk, row.kek_id, str(exc)))
            else:
                report.ok_by_kek[row.kek_id] += 1
        after_pk = rows[-1].pk
        if on_batch is not None:
            on_batch(report.checked, max(total, report.checked))
