"""Every write path of a covered model bumps its stamps (core.stamps): one mechanism.

A model whose rows a cache answer depends on is *covered*: `stamps_track(Model, sources=…)`
names which stamps a row touches (`(StampKind.USER, "user_id")`: the stamp of the user the
row's `user_id` names), and its default manager is a `StampedManager`. Then every way a row
can change bumps them — before the write (`stamps_bump_pending`, refused when Redis cannot
take it) and again on commit (`stamps_bump_committed`):

- `save()` (services, the admin's forms, get_or_create/update_or_create, management commands,
  the directory import): pre_save/post_save, with the stamps of the row's values now *and*
  as loaded (post_init), so moving a key to another user bumps both users;
- `delete()` of a row or a queryset, and every cascade (deleting a user or a project): the
  signal receivers make Django's collector send pre_delete/post_delete for each row (it
  sends none for through rows: their querysets bump in `StampedQuerySet.delete`, and a
  cascade reaching them starts at a membership or project, which bumps the same answers);
- `QuerySet.update()`, `bulk_create()`, `bulk_update()` (StampedQuerySet), the admin's
  actions included; `update()` locks the rows it is about to change and bumps their stamps
  (and those of any new value of a source field) before changing exactly those rows;
- a many-to-many field's `add/remove/set/clear`, from either side (m2m_changed), and the
  auto-created through model itself (tracked and given a StampedManager like any other).

Writes of `ignored` fields only (a user's last_login, a key's re-encryption) bump nothing, so
sign-in and rotation of the encryption key do not need Redis. Raw SQL is not covered: no code
writes these tables with it; data migrations bump the global stamp (post_migrate).
This is infrastructure, not business logic: it decides nothing, it only announces changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_init,
    post_save,
    pre_delete,
    pre_save,
)

from core.stamps import (
    GLOBAL,
    StampKind,
    stamp_key,
    stamps_bump_committed,
    stamps_bump_pending,
    stamps_enabled,
)

_M = TypeVar("_M", bound=models.Model)
_ORIGIN = "_stamp_origin"
_PENDING = "_stamp_keys"


@dataclass(frozen=True)
class Coverage:
    sources: tuple[tuple[StampKind, str], ...]  # (kind, attname)
    ignored: frozenset[str]  # field names and attnames no cache depends on

    def keys(self, row: Any) -> set[str]:
        """The stamps of a model instance (its loaded values: never a query)."""
        values = row.__dict__
        return {stamp_key(k, values[a]) for k, a in self.sources if values.get(a) is not None}

    def origin_keys(self, row: Any) -> set[str]:
        origin: dict[str, Any] = row.__dict__.get(_ORIGIN) or {}
        return {stamp_key(k, origin[a]) for k, a in self.sources if origin.get(a) is not None}

    def all_ignored(self, fields: Iterable[str]) -> bool:
        return all(name in self.ignored for name in fields)


_COVERED: dict[type[models.Model], Coverage] = {}


def covered_models() -> Mapping[type[models.Model], Coverage]:
    return dict(_COVERED)


def coverage_of(model: type[models.Model]) -> Coverage | None:
    return _COVERED.get(model)


def _on_commit(keys: set[str], using: str | None) -> None:
    if keys:
        transaction.on_commit(partial(stamps_bump_committed, sorted(keys)), using=using)


class StampedQuerySet(models.QuerySet[_M]):
    """Bulk writes of a covered model bump its stamps (delete goes through the signals)."""

    def _coverage(self, fields: Iterable[str] | None) -> Coverage | None:
        """The model's coverage, None when nothing is to be bumped (`fields`: the fields the
        write changes; None: whole rows)."""
        coverage = _COVERED.get(self.model)
        if coverage is None or not stamps_enabled():
            return None
        if fields is not None and coverage.all_ignored(fields):
            return None
        return coverage

    def _locked_keys(self, coverage: Coverage) -> tuple[list[Any], set[str]]:
        """Lock the rows this queryset names now; their pks and stamps."""
        attnames = [a for _, a in coverage.sources]
        rows = list(self.select_for_update(of=("self",)).values_list("pk", *attnames))
        keys = {
            stamp_key(kind, row[i + 1])
            for row in rows
            for i, (kind, _) in enumerate(coverage.sources)
            if row[i + 1] is not None
        }
        return [row[0] for row in rows], keys

    def delete(self) -> tuple[int, dict[str, int]]:
        """Rows of an auto-created through model: Django's collector sends no delete signals
        for them, so their stamps are bumped here (other models' rows: by the signals)."""
        coverage = self._coverage(None)
        if coverage is None or not self.model._meta.auto_created:
            return super().delete()
        with transaction.atomic(using=self.db):
            pks, keys = self._locked_keys(coverage)
            stamps_bump_pending(keys)
            deleted = self.model._base_manager.using(self.db).filter(pk__in=pks).delete()
            _on_commit(keys, self.db)
        return deleted

    def update(self, **kwargs: Any) -> int:
        coverage = self._coverage(kwargs)
        if coverage is None:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks, keys = self._locked_keys(coverage)
            keys |= _new_value_keys(self.model, coverage, kwargs)
            stamps_bump_pending(keys)
            base = self.model._base_manager.using(self.db)
            changed = base.filter(pk__in=pks).update(**kwargs)
            _on_commit(keys, self.db)
        return changed

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        objs = list(objs)
        coverage = self._coverage(None)
        if coverage is None:
            return super().bulk_create(objs, *args, **kwargs)
        keys = set().union(*(coverage.keys(o) for o in objs))
        with transaction.atomic(using=self.db):
            stamps_bump_pending(keys)
            created = super().bulk_create(objs, *args, **kwargs)
            _on_commit(keys, self.db)
        return created

    def bulk_update(self, objs: Iterable[_M], fields: Iterable[str], *args: Any, **kw: Any) -> int:
        objs, fields = list(objs), list(fields)
        coverage = self._coverage(fields)
        if coverage is None:
            return super().bulk_update(objs, fields, *args, **kw)
        keys = set().union(*(coverage.keys(o) | coverage.origin_keys(o) for o in objs))
        with transaction.atomic(using=self.db):
            stamps_bump_pending(keys)
            changed = super().bulk_update(objs, fields, *args, **kw)
            _on_commit(keys, self.db)
        return changed


class StampedManager(models.Manager[_M]):
    # Manager.get_queryset builds this class (with the router's hints).
    _queryset_class = StampedQuerySet


def _new_value_keys(model: type[models.Model], coverage: Coverage, kwargs: Any) -> set[str]:
    """Stamps of the values an update() writes into source fields; the global stamp when a
    value is an expression (its rows cannot be named before the write)."""
    by_attname = {a: k for k, a in coverage.sources}
    keys: set[str] = set()
    for name, value in kwargs.items():
        kind = by_attname.get(getattr(model._meta.get_field(name), "attname", name))
        if kind is None or value is None:
            continue
        if isinstance(value, models.Model):
            keys.add(stamp_key(kind, value.pk))
        elif isinstance(value, int | str):
            keys.add(stamp_key(kind, value))
        else:
            keys.add(GLOBAL)
    return keys


# --- Row-level receivers ------------------------------------------------------------------


def _remember_origin(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    coverage = _COVERED[sender]
    values = instance.__dict__
    values[_ORIGIN] = {a: values.get(a) for _, a in coverage.sources}


def _before_save(
    sender: type[models.Model], instance: models.Model, update_fields: Any = None, **_: Any
) -> None:
    coverage = _COVERED[sender]
    if not stamps_enabled() or (update_fields is not None and coverage.all_ignored(update_fields)):
        return
    keys = coverage.keys(instance) | coverage.origin_keys(instance)
    stamps_bump_pending(keys)
    instance.__dict__[_PENDING] = keys


def _after_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    _on_commit(instance.__dict__.pop(_PENDING, set()), kwargs.get("using"))
    _remember_origin(sender, instance)


def _before_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    if not stamps_enabled():
        return
    coverage = _COVERED[sender]
    keys = coverage.keys(instance) | coverage.origin_keys(instance)
    stamps_bump_pending(keys)
    instance.__dict__[_PENDING] = keys


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    _on_commit(instance.__dict__.pop(_PENDING, set()), kwargs.get("using"))


def _m2m_changed(instance: models.Model, action: str, using: str | None, **_: Any) -> None:
    """Either side of a tracked many-to-many: the stamps of the instance whose set changes."""
    coverage = _COVERED.get(type(instance))
    if coverage is None or not stamps_enabled():
        return
    if action.startswith("pre_"):
        keys = coverage.keys(instance)
        stamps_bump_pending(keys)
        instance.__dict__[_PENDING + "_m2m"] = keys
    elif action.startswith("post_"):
        _on_commit(instance.__dict__.pop(_PENDING + "_m2m", set()), using)


def stamps_track(
    model: type[models.Model],
    *,
    sources: Iterable[tuple[StampKind, str]],
    ignored: Iterable[str] = (),
    watched: Iterable[str] | None = None,
) -> None:
    """Cover `model`: its writes bump the stamps named by `sources` ((kind, attname) pairs),
    unless they write `ignored` fields only (or, with `watched`, none of those). Its default
    manager must be a StampedManager (apikeys/tests/test_verifycache_coverage.py checks every
    model the verifier reads); an auto-created through model gets one here."""
    names = set(ignored)
    if watched is not None:
        keep = set(watched)
        names |= {f.name for f in model._meta.concrete_fields if f.name not in keep}
    for field in model._meta.concrete_fields:
        if field.name in names or field.attname in names:
            names |= {field.name, field.attname}
    _COVERED[model] = Coverage(sources=tuple(sources), ignored=frozenset(names))
    uid = f"core.stamped:{model._meta.label}"
    post_init.connect(_remember_origin, sender=model, weak=False, dispatch_uid=uid)
    pre_save.connect(_before_save, sender=model, weak=False, dispatch_uid=uid)
    post_save.connect(_after_save, sender=model, weak=False, dispatch_uid=uid)
    pre_delete.connect(_before_delete, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(_after_delete, sender=model, weak=False, dispatch_uid=uid)
    if model._meta.auto_created and not isinstance(model._default_manager, StampedManager):
        # The through model Django made for a many-to-many field: its plain manager is
        # replaced (add() bulk-creates through it, and anyone may update() through it).
        model._meta.local_managers = [m for m in model._meta.local_managers if m.name != "objects"]
        StampedManager[Any]().contribute_to_class(model, "objects")
        model._meta._expire_cache()  # type: ignore[attr-defined]  # Django API missing from the stubs


def stamps_track_m2m(field: Any) -> None:
    """Cover a many-to-many field (`Model.field`, its descriptor): its through rows and the
    add/remove/set/clear of either side. Both sides' models must be tracked."""
    m2m_changed.connect(
        _m2m_changed, sender=field.through, weak=False, dispatch_uid=f"core.stamped:{field}"
    )
