from typing import Any

from django.db.models import QuerySet


def queryset_delete_in_batches(queryset: QuerySet[Any], *, batch_size: int) -> int:
    """Delete what `queryset` matches, `batch_size` rows per statement (each its own
    transaction), so no run holds long locks or builds one huge delete. Returns the number of
    rows of the queryset's model deleted (cascaded rows are not counted)."""
    queryset = queryset.order_by()
    label = queryset.model._meta.label
    deleted = 0
    while ids := list(queryset.values_list("pk", flat=True)[:batch_size]):
        deleted += queryset.filter(pk__in=ids).delete()[1].get(label, 0)
    return deleted
