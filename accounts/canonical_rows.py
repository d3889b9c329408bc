"""Rewriting stored addresses into their canonical form (accounts.addresses): the data
migrations accounts 0005 (users, allauth's address rows) and teams 0004 (invitations).

Two rows that would hold the same canonical address where the schema allows only one (two
users; two addresses of one user; two verified addresses; two pending invitations of one
owner) are never merged: the migration stops, changes nothing, and lists them, as it lists
an address with no canonical form. The operator resolves them with the previous release
(change or delete one of each group, in the admin) and migrates again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from django.core.management.base import CommandError

from accounts.addresses import UnusableEmailAddress, email_canonical

REFUSAL = (
    "keyservice stores every email address in one canonical form (A-Z lowercased before the "
    "@, the IDNA A-label after it: docs/security.md) and compares addresses exactly in it. "
    "These stored addresses cannot be rewritten into it, so the migration stopped and "
    "changed nothing; it never merges accounts, addresses or invitations on its own. Change "
    "or delete the rows listed (with the previous release, in the admin), then migrate again:"
)


@dataclass(frozen=True)
class StoredAddress:
    """One stored address: `table` names its rows in the refusal, `unique_in` the scopes in
    which no other row may hold the same canonical address (e.g. ("user",) for users)."""

    table: str
    pk: int
    email: str
    unique_in: tuple[Hashable, ...] = ()


def canonical_rewrites(rows: Iterable[StoredAddress]) -> dict[tuple[str, int], str]:
    """{(table, pk): canonical address} for every row not yet stored canonical. Raises
    CommandError, listing every problem, when a row has no canonical form or two rows would
    hold the same canonical address in a scope that allows one."""
    problems: list[str] = []
    holders: dict[tuple[Hashable, str], list[StoredAddress]] = defaultdict(list)
    rewrites: dict[tuple[str, int], str] = {}
    for row in rows:
        try:
            canonical = email_canonical(row.email)
        except UnusableEmailAddress as exc:
            problems.append(f"  {row.table} id {row.pk}: {exc}")
            continue
        if canonical != row.email:
            rewrites[(row.table, row.pk)] = canonical
        for scope in row.unique_in:
            holders[(scope, canonical)].append(row)
    for (_, canonical), same in holders.items():
        if len(same) > 1:
            listed = " and ".join(f'{r.table} id {r.pk} "{r.email}"' for r in same)
            problems.append(f'  {listed} would all be "{canonical}"')
    if problems:
        raise CommandError("\n".join([REFUSAL, *problems]))
    return rewrites
