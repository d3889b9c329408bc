"""CSV for the owner's audit trail: streamed row by row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from dashboard.selectors import TrailRow

HEADER = ["time", "kind", "actor_kind", "actor", "person", "projects", "details"]

# A cell a spreadsheet would read as a formula (CSV injection, OWASP): prefixed with '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """`value`, prefixed with a single quote when it starts like a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """A file-like object whose write returns what it was given (csv.writer → a string)."""

    def write(self, value: str) -> str:
        return value


def trail_csv_cells(row: TrailRow) -> list[str]:
    return [
        row.created_at.isoformat(),
        row.kind,
        row.actor_kind,
        row.actor,
        row.person,
        " ".join(row.projects),
        "; ".join(f"{label}: {text}" for label, text in row.detail_items()),
    ]


def trail_csv_lines(rows: Iterable[TrailRow]) -> Iterator[str]:
    """The CSV, one line per string: the header, then each row, every cell escaped."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in trail_csv_cells(row)])
