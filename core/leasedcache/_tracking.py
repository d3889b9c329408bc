"""Every write path of a tracked model announces what it changes (core.leasedcache._announce).

A model whose rows a cached answer depends on is *tracked*: `track(Model, announces=…)`
names which dependencies a row touches (`(Topic.USER, "user_id")`: the user the row's
`user_id` names), and its default manager is a `TrackedManager` (declared on the model, so
its declaration shows that its writes have a side effect). Then every way a row can change
announces them — before the write (`announce_pending`, refused when Redis cannot take it)
and again on commit (`announce_committed`):

- `save()` (services, the admin's forms, get_or_create/update_or_create, management commands,
  the directory import): pre_save/post_save, with the row's values now *and* as loaded
  (post_init), so moving a key to another user announces both users;
- `delete()` of a row or a queryset, and every cascade (deleting a user or a project): the
  signal receivers make Django's collector send pre_delete/post_delete for each row (it
  sends none for through rows: their querysets announce in `TrackedQuerySet.delete`, and a
  cascade reaching them starts at a membership or project, which announces the same);
- `QuerySet.update()`, `bulk_create()`, `bulk_update()` (TrackedQuerySet), the admin's
  actions included; `update()` locks the rows it is about to change and announces them (and
  any new value of a dependency field) before changing exactly those rows;
- a many-to-many field's `add/remove/set/clear`, from either side (m2m_changed), and the
  auto-created through model itself (tracked and given a TrackedManager like any other).

Writes of `ignored` fields only (a user's last_login, a key's re-encryption) announce
nothing, so sign-in and rotation of the encryption key do not need Redis. Raw SQL is not
covered: no code writes these tables with it; data migrations invalidate everything
(post_migrate). This decides nothing; it only announces changes.
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

from core.leasedcache._announce import announce_committed, announce_pending
from core.leasedcache._config import announcing
from core.leasedcache._names import WILDCARD, Topic, dependency

_M = TypeVar("_M", bound=models.Model)
_ORIGIN = "_tracked_origin"
_PENDING = "_tracked_names"


@dataclass(frozen=True)
class Tracking:
    announces: tuple[tuple[Topic, str], ...]  # (topic, attname)
    ignored: frozenset[str]  # field names and attnames no cache depends on

    def keys(self, row: Any) -> set[str]:
        """The names a model instance announces (its loaded values: never a query)."""
        values = row.__dict__
        return {dependency(k, values[a]) for k, a in self.announces if values.get(a) is not None}

    def origin_keys(self, row: Any) -> set[str]:
        origin: dict[str, Any] = row.__dict__.get(_ORIGIN) or {}
        return {dependency(k, origin[a]) for k, a in self.announces if origin.get(a) is not None}

    def all_ignored(self, fields: Iterable[str]) -> bool:
        return all(name in self.ignored for name in fields)


_TRACKED: dict[type[models.Model], Tracking] = {}


def tracked_models() -> Mapping[type[models.Model], Tracking]:
    """Every tracked model and what its writes announce."""
    return dict(_TRACKED)


def tracking_of(model: type[models.Model]) -> Tracking | None:
    return _TRACKED.get(model)


def _on_commit(keys: set[str], using: str | None) -> None:
    if keys:
        transaction.on_commit(partial(announce_committed, sorted(keys)), using=using)


class TrackedQuerySet(models.QuerySet[_M]):
    """Bulk writes of a tracked model announce what they change (delete: the signals)."""

    def _tracking(self, fields: Iterable[str] | None) -> Tracking | None:
        """The model's tracking, None when nothing is to be announced (`fields`: the fields the
        write changes; None: whole rows)."""
        tracking = _TRACKED.get(self.model)
        if tracking is None or not announcing():
            return None
        if fields is not None and tracking.all_ignored(fields):
            return None
        return tracking

    def _locked_keys(self, tracking: Tracking) -> tuple[list[Any], set[str]]:
        """Lock the rows this queryset names now; their pks and the names they announce."""
        attnames = [a for _, a in tracking.announces]
        rows = list(self.select_for_update(of=("self",)).values_list("pk", *attnames))
        keys = {
            dependency(kind, row[i + 1])
            for row in rows
            for i, (kind, _) in enumerate(tracking.announces)
            if row[i + 1] is not None
        }
        return [row[0] for row in rows], keys

    def delete(self) -> tuple[int, dict[str, int]]:
        """Rows of an auto-created through model: Django's collector sends no delete signals
        for them, so they are announced here (other models' rows: by the signals)."""
        tracking = self._tracking(None)
        if tracking is None or not self.model._meta.auto_created:
            return super().delete()
        with transaction.atomic(using=self.db):
            pks, keys = self._locked_keys(tracking)
            announce_pending(keys)
            deleted = self.model._base_manager.using(self.db).filter(pk__in=pks).delete()
            _on_commit(keys, self.db)
        return deleted

    def update(self, **kwargs: Any) -> int:
        tracking = self._tracking(kwargs)
        if tracking is None:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks, keys = self._locked_keys(tracking)
            keys |= _new_value_keys(self.model, tracking, kwargs)
            announce_pending(keys)
            base = self.model._base_manager.using(self.db)
            changed = base.filter(pk__in=pks).update(**kwargs)
            _on_commit(keys, self.db)
        return changed

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        objs = list(objs)
        tracking = self._tracking(None)
        if tracking is None:
            return super().bulk_create(objs, *args, **kwargs)
        keys = set().union(*(tracking.keys(o) for o in objs))
        with transaction.atomic(using=self.db):
            announce_pending(keys)
            created = super().bulk_create(objs, *args, **kwargs)
            _on_commit(keys, self.db)
        return created

    def bulk_update(self, objs: Iterable[_M], fields: Iterable[str], *args: Any, **kw: Any) -> int:
        objs, fields = list(objs), list(fields)
        tracking = self._tracking(fields)
        if tracking is None:
            return super().bulk_update(objs, fields, *args, **kw)
        keys = set().union(*(tracking.keys(o) | tracking.origin_keys(o) for o in objs))
        with transaction.atomic(using=self.db):
            announce_pending(keys)
            changed = super().bulk_update(objs, fields, *args, **kw)
            _on_commit(keys, self.db)
        return changed


class TrackedManager(models.Manager[_M]):
    # Manager.get_queryset builds this class (with the router's hints).
    _queryset_class = TrackedQuerySet


def _new_value_keys(model: type[models.Model], tracking: Tracking, kwargs: Any) -> set[str]:
    """Names of the values an update() writes into dependency fields; the wildcard when a
    value is an expression (its rows cannot be named before the write)."""
    by_attname = {a: k for k, a in tracking.announces}
    keys: set[str] = set()
    for name, value in kwargs.items():
        kind = by_attname.get(getattr(model._meta.get_field(name), "attname", name))
        if kind is None or value is None:
            continue
        if isinstance(value, models.Model):
            keys.add(dependency(kind, value.pk))
        elif isinstance(value, int | str):
            keys.add(dependency(kind, value))
        else:
            keys.add(WILDCARD)
    return keys


# --- Row-level receivers ------------------------------------------------------------------


def _remember_origin(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    tracking = _TRACKED[sender]
    values = instance.__dict__
    values[_ORIGIN] = {a: values.get(a) for _, a in tracking.announces}


def _before_save(
    sender: type[models.Model], instance: models.Model, update_fields: Any = None, **_: Any
) -> None:
    tracking = _TRACKED[sender]
    if not announcing() or (update_fields is not None and tracking.all_ignored(update_fields)):
        return
    keys = tracking.keys(instance) | tracking.origin_keys(instance)
    announce_pending(keys)
    instance.__dict__[_PENDING] = keys


def _after_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    _on_commit(instance.__dict__.pop(_PENDING, set()), kwargs.get("using"))
    _remember_origin(sender, instance)


def _before_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    if not announcing():
        return
    tracking = _TRACKED[sender]
    keys = tracking.keys(instance) | tracking.origin_keys(instance)
    announce_pending(keys)
    instance.__dict__[_PENDING] = keys


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    _on_commit(instance.__dict__.pop(_PENDING, set()), kwargs.get("using"))


def _m2m_changed(instance: models.Model, action: str, using: str | None, **_: Any) -> None:
    """Either side of a tracked many-to-many: the names of the instance whose set changes."""
    tracking = _TRACKED.get(type(instance))
    if tracking is None or not announcing():
        return
    if action.startswith("pre_"):
        keys = tracking.keys(instance)
        announce_pending(keys)
        instance.__dict__[_PENDING + "_m2m"] = keys
    elif action.startswith("post_"):
        _on_commit(instance.__dict__.pop(_PENDING + "_m2m", set()), using)


def track(
    model: type[models.Model],
    *,
    announces: Iterable[tuple[Topic, str]],
    ignored: Iterable[str] = (),
    watched: Iterable[str] | None = None,
) -> None:
    """Track `model`: its writes announce the names `announces` gives ((topic, attname) pairs),
    unless they write `ignored` fields only (or, with `watched`, none of those). Its default
    manager must be a TrackedManager (tests/architecture/test_cached_readers.py checks every
    model a cached reader reads); an auto-created through model gets one here. Tracked again
    (a second reader reads it): the names add up, and only fields neither ignores are ignored."""
    names = set(ignored)
    if watched is not None:
        keep = set(watched)
        names |= {f.name for f in model._meta.concrete_fields if f.name not in keep}
    for field in model._meta.concrete_fields:
        if field.name in names or field.attname in names:
            names |= {field.name, field.attname}
    announced = tuple(announces)
    before = _TRACKED.get(model)
    if before is not None:
        announced = before.announces + tuple(a for a in announced if a not in before.announces)
        names &= before.ignored
    _TRACKED[model] = Tracking(announces=announced, ignored=frozenset(names))
    uid = f"core.leasedcache:{model._meta.label}"
    post_init.connect(_remember_origin, sender=model, weak=False, dispatch_uid=uid)
    pre_save.connect(_before_save, sender=model, weak=False, dispatch_uid=uid)
    post_save.connect(_after_save, sender=model, weak=False, dispatch_uid=uid)
    pre_delete.connect(_before_delete, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(_after_delete, sender=model, weak=False, dispatch_uid=uid)
    if model._meta.auto_created and not isinstance(model._default_manager, TrackedManager):
        # The through model Django made for a many-to-many field: its plain manager is
        # replaced (add() bulk-creates through it, and anyone may update() through it).
        model._meta.local_managers = [m for m in model._meta.local_managers if m.name != "objects"]
        TrackedManager[Any]().contribute_to_class(model, "objects")
        model._meta._expire_cache()  # type: ignore[attr-defined]  # Django API missing from the stubs


def track_m2m(field: Any) -> None:
    """Track a many-to-many field (`Model.field`, its descriptor): its through rows and the
    add/remove/set/clear of either side. Both sides' models must be tracked."""
    m2m_changed.connect(
        _m2m_changed, sender=field.through, weak=False, dispatch_uid=f"core.leasedcache:{field}"
    )
