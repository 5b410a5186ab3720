"""Writes made in the administration, whatever the model: permitted, validated, audited, versioned.

The administration edits maps and what they hold (perspectives, themes, objectives, KPIs, targets,
action plans …), organizations, memberships and users with Django's forms. They save through
:class:`AdminWrite` (via :class:`stratmap.core.admin_audit.AuditedAdmin`), so that an edit there is
what an edit anywhere is:

- **permission**: the person administers each *owner* of the object, the map or organization it
  belongs to, before and after the change (an object moved to another map needs both); an object
  without an owner (a tag, a user) is a superuser's;
- **validation**: ``full_clean()`` before each save;
- **audit**: one :func:`~stratmap.core.audit.record` per changed object, an event per changed field
  with its old and new value and the reason given; a deletion keeps the values the object held and
  what was deleted with it;
- **versions**: each map touched gets its ``version`` bumped once per write, with an event *on the
  map* naming each object that changed in it. That event is what :func:`~stratmap.core.audit.changes_since`
  finds for the map, so a form opened on version N of a map (:func:`owner_check`) is refused with
  everything changed on the map since, whether in the administration, by a revision or a roll-over.

This module knows no domain model: owners are any model with an organization, and those with a
``version`` field (maps) are versioned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, cast

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _
from modeltrans.conf import get_default_language  # type: ignore[import-untyped]
from modeltrans.fields import TranslatedVirtualField  # type: ignore[import-untyped]

from stratmap.access import Access
from stratmap.core.audit import Stale, as_text, changes_since, check_reason, record
from stratmap.core.models import AuditEvent

CREATE, CHANGE, DELETE = "admin-create", "admin-change", "admin-delete"
#: Never copied into the trail: a password hash is a secret, and a login's time is not an edit.
UNRECORDED = frozenset({"password", "last_login"})
#: The trail's column for a field name (AuditEvent.field).
FIELD_LENGTH = 60


class StaleOwner(Stale):
    """Someone changed the map after this person opened the form; nothing was written."""

    def __init__(self, owner: models.Model, version: object):
        self.owner = owner
        super().__init__(
            _("Someone else changed this map after you opened this page; nothing was saved."),
            changes_since(owner, version),
        )


def is_versioned(*, owner: models.Model | None) -> bool:
    """Whether ``owner`` carries a version a form checks (a map does; an organization does not)."""
    return owner is not None and any(f.name == "version" for f in owner._meta.concrete_fields)


class Versioned(Protocol):
    """An owner that carries a version (a map), as this module sees it: by the field's name."""

    version: int


def versioned(owner: models.Model) -> Versioned:
    """``owner`` with its ``version``, for an owner :func:`is_versioned` accepted."""
    # This module knows no domain model, so no class says that the owner has the field: is_versioned
    # found it among the owner's concrete fields, which is what every caller asks first.
    return cast(Versioned, owner)


def version_of(*, owner: models.Model | None) -> int | None:
    """The version ``owner`` is at, or None for an owner without one (an organization, no owner)."""
    return versioned(owner).version if owner is not None and is_versioned(owner=owner) else None


@transaction.atomic
def owner_check(*, owner: models.Model, version: object) -> models.Model:
    """``owner`` locked until the caller's transaction ends, if it is still at ``version``;
    else :class:`StaleOwner` with what changed since. A version that is not a number is stale."""
    current = type(owner)._base_manager.select_for_update().get(pk=owner.pk)
    if not isinstance(version, int) or isinstance(version, bool) or version != versioned(current).version:
        raise StaleOwner(current, version)
    return current


def _text(value: object) -> str:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return as_text(value)


def snapshot(*, obj: models.Model, related: bool = True) -> dict[str, str]:
    """What the trail compares: each editable field of ``obj`` as text (a related object by its name,
    a many-to-many field, unless not ``related``, as the sorted names it holds)."""
    values: dict[str, str] = {}
    for f in obj._meta.concrete_fields:
        if f.primary_key or not f.editable or f.name in UNRECORDED:
            continue
        try:
            value = getattr(obj, f.name)
        except ObjectDoesNotExist:  # a required relation not set yet
            value = None
        values[f.name] = _text(value)
    for f in obj._meta.private_fields:
        # each translation (name_en), kept in the i18n column, which is not edited as a whole
        if isinstance(f, TranslatedVirtualField) and f.language not in (None, get_default_language()):
            values[f.name] = _text(getattr(obj, f.name) or "")
    if related and obj.pk is not None:
        for f in obj._meta.many_to_many:
            values[f.name] = ", ".join(sorted(str(o) for o in getattr(obj, f.name).all()))
    return values


def _stored(obj: models.Model) -> models.Model | None:
    if obj.pk is None:
        return None
    return type(obj)._base_manager.filter(pk=obj.pk).first()


def _summary(changes: dict[str, tuple[str, str]], side: int) -> str:
    return "; ".join(f"{name}: {values[side]}" for name, values in changes.items() if values[side])


@dataclass
class _Change:
    obj: models.Model
    action: str
    owners: list[models.Model | None]  # None: an object of no organization's (a superuser's)
    kpi: models.Model | None
    before: dict[str, str]
    after: dict[str, str] | None = None  # a deletion's is known at once; a save's after the m2m
    pk: int | None = None


@dataclass
class AdminWrite:
    """One save (or deletion) in the administration, with its inlines: all of it or nothing.

    ``save`` and ``delete`` each object, then ``finish`` once: it audits each object that changed,
    bumps each map touched and records on it what changed. Call it all inside one transaction
    (the admin's views are).
    """

    access: Access
    reason: str
    _changes: list[_Change] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reason = check_reason(self.reason.strip())

    def _permit(self, owners: Iterable[models.Model | None]) -> None:
        for owner in owners:
            if owner is None:
                if not self.access.is_superuser:
                    raise PermissionDenied
            elif not self.access.is_administrator(owner):
                raise PermissionDenied

    def save(
        self,
        obj: models.Model,
        *,
        owner: models.Model | None,
        stored_owner: models.Model | None = None,
        kpi: models.Model | None = None,
    ) -> None:
        """Validate and save ``obj``; its many-to-many fields may be saved after, before :meth:`finish`.

        ``owner`` is the map or organization ``obj`` belongs to; ``stored_owner`` the one it belonged
        to before this change (when it moves); ``kpi`` the KPI whose history shows the change.
        """
        stored = _stored(obj)
        owners = [owner] if stored_owner is None or stored_owner == owner else [stored_owner, owner]
        self._permit(owners)
        obj.full_clean()
        before = snapshot(obj=stored) if stored is not None else {}
        obj.save()
        self._changes.append(_Change(obj, CHANGE if stored is not None else CREATE, owners, kpi, before))

    def delete(self, obj: models.Model, *, owner: models.Model | None, kpi: models.Model | None = None) -> None:
        """Delete ``obj`` (and what the database deletes with it), keeping in the trail what it held."""
        self._permit([owner])
        before = snapshot(obj=obj)
        pk = obj.pk
        _count, deleted = obj.delete()
        obj.pk = pk  # the trail names what was deleted
        others = {label: n for label, n in deleted.items() if label != obj._meta.label and n}
        if deleted.get(obj._meta.label, 0) > 1:
            others[obj._meta.label] = deleted[obj._meta.label] - 1
        after = {name: "" for name in before}
        if others:
            before["deleted with it"] = ", ".join(f"{label} × {n}" for label, n in sorted(others.items()))
            after["deleted with it"] = ""
        # A deleted KPI's own history cannot point at it any more.
        self._changes.append(_Change(obj, DELETE, [owner], None if kpi is obj else kpi, before, after, pk))

    def finish(self) -> list[AuditEvent]:
        """Audit what changed and bump each map it changed; nothing is recorded for a save that changed nothing."""
        created = {(type(c.obj), c.obj.pk) for c in self._changes if c.action == CREATE}
        deleted = {(type(c.obj), c.pk) for c in self._changes if c.action == DELETE}
        on_owner: dict[tuple[type, int], tuple[models.Model, dict[str, tuple[str, str]]]] = {}
        pending: list[tuple[_Change, dict[str, tuple[str, str]]]] = []
        for change in self._changes:
            after = change.after if change.after is not None else snapshot(obj=change.obj)
            names = [*change.before, *(n for n in after if n not in change.before)]
            diff = {n: (change.before.get(n, ""), after.get(n, "")) for n in names}
            diff = {n: values for n, values in diff.items() if values[0] != values[1]}
            if not diff and change.action != CREATE:
                continue
            pending.append((change, diff))
            for owner in change.owners:
                if owner is not None and is_versioned(owner=owner) and (type(owner), owner.pk) not in deleted | created:
                    on_owner.setdefault((type(owner), owner.pk), (owner, {}))
        # Bump first: each event then carries the version its change gave the map.
        for key, (owner, _lines) in on_owner.items():
            current = type(owner)._base_manager.select_for_update().get(pk=owner.pk)
            versioned(current).version += 1
            current.full_clean()
            current.save(update_fields=["version"])
            versioned(owner).version = versioned(current).version
            on_owner[key] = (current, _lines)
        events: list[AuditEvent] = []
        for change, diff in pending:
            key = (type(change.obj), change.obj.pk)
            if key in on_owner:
                # The map itself: its fields go into the map's own event, below.
                on_owner[key][1].update(diff)
                continue
            events += record(
                user=self.access.user,
                obj=change.obj,
                action=change.action,
                changes=diff or None,
                reason=self.reason,
                kpi=change.kpi,
            )
            label = f"{change.obj._meta.verbose_name} {change.obj}"[:FIELD_LENGTH]
            for owner in change.owners:
                if owner is not None and (type(owner), owner.pk) in on_owner:
                    on_owner[(type(owner), owner.pk)][1][label] = (_summary(diff, 0), _summary(diff, 1))
        for owner, lines in on_owner.values():
            events += record(user=self.access.user, obj=owner, action=CHANGE, changes=lines, reason=self.reason)
        self._changes.clear()
        return events
