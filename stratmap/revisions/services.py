"""Writes to a map's structure from one year to the next: rolling it over to the next year, and
revising it with reasons. Only administrators do these.

Each revision is a Revision row (which the revisions page and its count table read) and an audit
event of the map, with the reason given. Both are checked against the map's ``version``, the one the
administrator's page showed (:func:`stratmap.strategy.services.map_at_version`): a form opened before
someone else's revision is refused (:class:`~stratmap.strategy.services.StaleMap`) with what changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, TypeAlias, overload

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticError

from stratmap.access import Access
from stratmap.core.audit import record
from stratmap.core.models import AuditEvent
from stratmap.core.years import TAIPEI_YEARS, YearLabel, YearStyle, format_year, to_ad_year, to_roc_year
from stratmap.exchange.dumper import map_document
from stratmap.exchange.loader import write_map
from stratmap.exchange.parse import DatasetInvalid, format_location
from stratmap.exchange.schema import MapFile
from stratmap.kpis.models import Kpi, KpiLineage, KpiResult
from stratmap.plans.models import ActionPlan, PlanTask, TaskProgress
from stratmap.strategy.models import Objective, Revision, StrategyMap
from stratmap.strategy.services import (
    map_at_version,
    map_edited,
    map_for_edit,
    revision_add,
    save_checked,
    valid_code,
)


def rolled_title(*, title: str, year: int, style: YearStyle = TAIPEI_YEARS) -> str:
    """``title`` with the map's year rewritten as ``year + 1``, where it appears as a whole ROC or AD number
    or as the organization's label of it (``2019/20`` → ``2020/21``, ``FY2020`` → ``FY2021``).

    The title is data: a title without its year (or with another number in it) is kept as it is.
    """
    pairs = {style.label(year, "en"): style.label(year + 1, "en")}
    pairs.setdefault(str(year), str(year + 1))
    if style.labels is YearLabel.ROC:
        pairs[str(to_roc_year(year))] = str(to_roc_year(year + 1))
    # One pass, longest first, so that a year once rewritten is not rewritten again (2019/20 → 2020/21, not 2021/21).
    found = "|".join(re.escape(old) for old in sorted(pairs, key=len, reverse=True))
    return re.sub(rf"(?<![0-9])(?:{found})(?![0-9])", lambda m: pairs[m[0]], title)


def _link_lineages(smap: StrategyMap) -> int:
    """Give each KPI of ``smap`` without a lineage one of its own, so that next year's copy shares it.

    Without it the new year's KPI page would show no history. Returns how many were created.
    """
    orphans = list(Kpi.objects.filter(objective__map=smap, lineage=None).order_by("objective__order", "order"))
    taken = set(KpiLineage.objects.filter(organization=smap.organization).values_list("key", flat=True))
    for kpi in orphans:
        base = slugify(f"{kpi.code.replace('.', '-')}-{to_roc_year(smap.year)}")[:90] or "kpi"
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}-{n}"
        taken.add(key)
        lineage = KpiLineage(organization=smap.organization, key=key)
        lineage.full_clean()
        lineage.save()
        kpi.lineage = lineage
        kpi.full_clean()
        kpi.save(update_fields=["lineage"])
    return len(orphans)


def _kpis_of(data: dict) -> Iterator[dict]:
    """The KPI blocks of a map's dataset document, under its objectives across the themes and its themes'."""
    holders = [*data.get("objectives", []), *(o for t in data.get("themes", []) for o in t.get("objectives", []))]
    for holder in holders:
        yield from holder.get("kpis", [])


def _written(data: dict) -> StrategyMap:
    """A map's dataset document (a copy of a map) written as a map, or a ValidationError saying what the dataset
    format no longer accepts in it, nothing written."""
    try:
        return write_map(MapFile.model_validate(data))
    except DatasetInvalid as invalid:
        raise ValidationError([str(e) for e in invalid.errors]) from None
    except PydanticError as invalid:
        raise ValidationError([f"{format_location(e['loc'])}: {e['msg']}" for e in invalid.errors()]) from None


@transaction.atomic
def map_roll_over(*, access: Access, smap: StrategyMap, version: int, year: int | None = None) -> StrategyMap:
    """Next year's map from this one: structure, KPIs, later-year targets and action plans; no results.

    ``version`` is the map's version the administrator read: the copy is of the map they saw, or
    nothing (:class:`StaleMap`).

    Only to the year right after ``smap``'s, and only if the organization has no map of that year
    yet (a gap or a second map of a year would break the year-on-year comparison). The new map is
    in force and unpublished; its title names its own year; each KPI shares its lineage with the one
    it was copied from; its revisions are compared with ``smap``'s year.
    """
    if not access.revises(smap):
        raise PermissionDenied
    smap = map_at_version(smap=smap, version=version)
    next_year = smap.year + 1
    year = year or next_year
    style = smap.organization.year_style
    if StrategyMap.objects.filter(organization=smap.organization, year=next_year).exists():
        raise ValidationError(
            {
                "year": _("%(organization)s already has a map for %(year)s; revise that map instead.")
                % {"organization": smap.organization, "year": format_year(next_year, style=style)}
            }
        )
    if year != next_year:
        raise ValidationError(
            {
                "year": _("A map rolls over only to the year right after its own: %(next)s, not %(year)s.")
                % {"next": format_year(next_year, style=style), "year": format_year(year, style=style)}
            }
        )
    linked = _link_lineages(smap)
    data = map_document(smap, access=access)  # ROC or AD years, as a dataset file has them
    roc = to_roc_year(year)
    data["year"] = roc
    data["title"] = rolled_title(title=data.get("title") or "", year=smap.year, style=style)
    data["version"] = {"label": "", "in_force": True, "published": False}
    data.pop("revisions", None)
    for kpi in _kpis_of(data):
        kpi.pop("results", None)
        # A period's key starts with its year: 113-Q3.
        kpi["targets"] = {
            y: v for y, v in kpi.get("targets", {}).items() if to_ad_year(str(y).partition("-")[0]) >= year
        }
    data["revisions"] = {"compared_to": to_roc_year(smap.year), "theme": smap.revisions_theme or None}
    new = _written(data)
    record(
        user=access.user,
        obj=new,
        action="roll over",
        changes={"from": ("", str(smap)), "title": ("", new.title), "lineages linked": ("", linked or "")},
    )
    return new


#: What a revision adds, deletes, renames or renumbers.
Item: TypeAlias = Objective | Kpi | ActionPlan

LEVELS: dict[str, type[Item]] = {"objective": Objective, "kpi": Kpi, "action_plan": ActionPlan}


#: How each level reaches its map.
MAP_OF = {"objective": "map", "kpi": "objective__map", "action_plan": "kpi__objective__map"}


#: The model field an item hangs from, and the form field that names it.
PARENT_OF = {"objective": "theme", "kpi": "objective", "action_plan": "kpi"}


def _level_name(level: str) -> str:
    return str(Revision.Level(level).label)


def _in_map(smap: StrategyMap, level: str, code: str) -> QuerySet[Item]:
    """The ``level`` items of ``smap`` with this code, under whatever parent."""
    return LEVELS[level].objects.filter(**{MAP_OF[level]: smap, "code": code})


@overload
def _find(smap: StrategyMap, level: Literal["objective"], code: str, field: str) -> Objective: ...
@overload
def _find(smap: StrategyMap, level: Literal["kpi"], code: str, field: str) -> Kpi: ...
@overload
def _find(smap: StrategyMap, level: str, code: str, field: str) -> Item: ...
def _find(smap: StrategyMap, level: str, code: str, field: str) -> Item:
    """The item, or a ValidationError on ``field``, the form field the person must correct."""
    found = _in_map(smap, level, code).first()
    if found is None:
        raise ValidationError(
            {field: _("No %(level)s with the code %(code)s in this map.") % {"level": _level_name(level), "code": code}}
        )
    return found


def _unused(smap: StrategyMap, level: str, code: str, field: str, item: Item | None = None) -> None:
    """Refuse ``code`` if another item of the level uses it anywhere in the map: pages find items by code."""
    other = _in_map(smap, level, code).exclude(pk=item.pk if item is not None else None).first()
    if other is not None:
        raise ValidationError(
            {field: _("The code %(code)s is already used in this map by %(item)s.") % {"code": code, "item": other}}
        )


@transaction.atomic
def map_revise(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    level: str,
    action: str,
    code: str,
    reason: str,
    name: str = "",
    new_code: str = "",
    parent: str = "",
    perspective: str = "",
) -> Revision:
    """Add, delete, rename or renumber an objective, KPI or action plan, recording why.

    - add: ``code`` and ``name``; ``parent`` is the theme (objective, with ``perspective``),
      the objective (KPI) or the KPI (action plan);
    - delete: ``code``; rename: ``code`` and ``name``; change: ``code`` and ``new_code`` (and
      ``name``, if given, renames it in the same revision).

    Errors are keyed by the form field the person must correct. A code is unique among the
    items of its level in the whole map, as the pages look items up by map and code.

    ``version`` is the map's version the administrator read; another one is refused
    (:class:`StaleMap`). Each revision bumps it.
    """
    if not access.revises(smap):
        raise PermissionDenied
    current = map_at_version(smap=smap, version=version)
    if not reason.strip():
        raise ValidationError({"reason": _("Every revision needs its reason.")})
    if level not in LEVELS or action not in Revision.Action.values:
        raise ValidationError(_("Unknown level or action."))
    code, name = code.strip(), name.strip()
    old_name = new_name = ""
    changes: dict[str, tuple[object, object]]
    if action == Revision.Action.ADD:
        valid_code(code, "code")
        if not name:
            raise ValidationError({"name": _("Give the new item's name.")})
        _unused(smap, level, code, "code")
        item = _add(smap, level, code, name, parent.strip(), perspective.strip())
        new_name = name
        changes = {f"{level} {code}": ("", name)}
    else:
        item = _find(smap, level, code, "code")
        old_name = item.name
        if action == Revision.Action.DELETE:
            changes = {f"{level} {code}": (old_name, "—")}
        elif action == Revision.Action.RENAME:
            if not name:
                raise ValidationError({"name": _("Give the new name.")})
            item.name = new_name = name
            save_checked(item, {"name": "name"})
            changes = {f"{level} {code}": (old_name, new_name)}
        else:  # change: a new code
            new_code = new_code.strip()
            if not new_code:
                raise ValidationError({"new_code": _("Give the new code.")})
            valid_code(new_code, "new_code")
            _unused(smap, level, new_code, "new_code", item)
            # A name typed with the new code renames the item too, in the same revision (its
            # old and new names say so), rather than being dropped.
            item.code, item.name = new_code, name or item.name
            new_name = item.name
            save_checked(item, {"code": "new_code", "name": "name"})
            changes = {f"{level} {code}": (code, new_code)}
            if new_name != old_name:
                changes[f"{level} {new_code} name"] = (old_name, new_name)
            code = f"{code} → {new_code}"
    objective_code = _objective_code(item)
    if action == Revision.Action.DELETE:
        item.delete()
    revision = revision_add(
        current=current,
        level=level,
        action=action,
        objective_code=objective_code,
        code=code,
        old_name=old_name,
        new_name=new_name,
        reason=reason,
        code_field="new_code" if action == Revision.Action.CHANGE else "code",
    )
    current.version += 1
    current.full_clean()
    current.save(update_fields=["revisions_compared_to", "version"])
    smap.version, smap.revisions_compared_to = current.version, current.revisions_compared_to
    # The map's event (not the revision's): a stale form is shown the map's events since its version.
    record(user=access.user, obj=current, action="revise", changes=changes, reason=reason)
    return revision


def _objective_code(item: Item) -> str:
    if isinstance(item, Objective):
        return item.code
    if isinstance(item, Kpi):
        return item.objective.code
    return item.kpi.objective.code


def _add(smap: StrategyMap, level: str, code: str, name: str, parent: str, perspective: str) -> Item:
    fields = {"code": "code", "name": "name", PARENT_OF[level]: "parent"}
    item: Item
    if level == "objective":
        theme = smap.themes.filter(code=parent).first()
        if parent and theme is None:
            raise ValidationError({"parent": _("This map has no theme with the code %(code)s.") % {"code": parent}})
        the_perspective = smap.perspectives.filter(code=perspective).first()
        # A map without perspectives takes objectives without one; a map with them, one of them.
        if the_perspective is None and (perspective or smap.perspectives.exists()):
            raise ValidationError(
                {
                    "perspective": _("This map has no perspective with the code %(code)s.") % {"code": perspective}
                    if perspective
                    else _("Give the new objective's perspective code.")
                }
            )
        item = Objective(
            map=smap, theme=theme, perspective=the_perspective, code=code, name=name, order=smap.objectives.count()
        )
        fields["perspective"] = "perspective"
    elif level == "kpi":
        objective = _find(smap, "objective", parent, "parent")
        item = Kpi(objective=objective, code=code, name=name, order=objective.kpis.count())
    else:
        kpi = _find(smap, "kpi", parent, "parent")
        item = ActionPlan(kpi=kpi, code=code, name=name, order=kpi.action_plans.count())
    save_checked(item, fields)
    return item


# --- editions: a draft of a year's map, changed in the editor and published in place of the one in force ---------


@transaction.atomic
def edition_start(*, access: Access, smap: StrategyMap, version: int, label: str, reason: str = "") -> StrategyMap:
    """A draft edition of ``smap`` (the map in force of its year), for its administrators to change in the editor
    and publish in its place: a copy of its texts, structure, KPIs with all their targets, action plans and TOWS,
    through the dataset format as a roll-over is; unpublished and not in force, so that the public, the result
    pages and the reports go on with the edition in force. Results and plan progress stay with the edition in
    force until the draft is published (:func:`edition_publish`)."""
    if not access.revises(smap):
        raise PermissionDenied
    smap = map_at_version(smap=smap, version=version)
    label = label.strip()
    if not label:
        raise ValidationError({"label": _("Name the new edition, as its document does (e.g. “October revision”).")})
    if StrategyMap.objects.filter(organization=smap.organization, year=smap.year, version_label=label).exists():
        raise ValidationError({"label": _("This year's map already has an edition named “%(label)s”.") % {
            "label": label}})  # fmt: skip
    data = map_document(smap, access=access)
    data["version"] = {"label": label, "in_force": False, "published": False, "source": ""}
    for kpi in _kpis_of(data):
        kpi.pop("results", None)
    new = _written(data)
    record(user=access.user, obj=new, action="edition", changes={"edition of": ("", str(smap))}, reason=reason)
    return new


@transaction.atomic
def edition_publish(*, access: Access, smap: StrategyMap, version: int, reason: str = "") -> StrategyMap:
    """Put the draft edition ``smap`` in force and publish it; the edition it replaces is kept (not in force) to
    compare with. The results of the replaced edition's KPIs, with their history, and its action plans' monthly
    progress follow to the draft's KPIs and plans of the same code; what the draft no longer has keeps its
    results on the replaced edition, where they stay readable: nothing people entered is lost."""
    current = map_for_edit(access=access, smap=smap, version=version)
    if current.in_force:
        raise ValidationError(_("This edition is already in force."))
    replaced = (
        StrategyMap.objects.select_for_update()
        .filter(organization_id=current.organization_id, year=current.year, in_force=True)
        .first()
    )
    moved = {"results": 0, "progress": 0}
    if replaced is not None:
        kpis = dict(Kpi.objects.filter(objective__map=current).values_list("code", "pk"))
        for code, old_kpi in Kpi.objects.filter(objective__map=replaced).values_list("code", "pk"):
            if code in kpis:
                moved["results"] += KpiResult.objects.filter(kpi_id=old_kpi).update(kpi_id=kpis[code])
                AuditEvent.objects.filter(kpi_id=old_kpi).update(kpi_id=kpis[code])  # its history goes with it
        # A task's months follow to the task of the same plan code and place (tasks are kept by place, as the
        # dataset's loader keeps them); a task the draft no longer has keeps them on the replaced edition.
        tasks = {
            (code, order): pk
            for code, order, pk in PlanTask.objects.filter(plan__kpi__objective__map=current)
            .order_by("plan_id", "order")
            .values_list("plan__code", "order", "pk")
        }
        old_tasks = PlanTask.objects.filter(plan__kpi__objective__map=replaced).values_list("plan__code", "order", "pk")
        for code, order, old_task in old_tasks:
            if (code, order) in tasks:
                moved["progress"] += TaskProgress.objects.filter(task_id=old_task).update(task_id=tasks[(code, order)])
        replaced.in_force = False
        replaced.save(update_fields=["in_force"])
        record(user=access.user, obj=replaced, action="edition", changes={"in_force": (True, False)}, reason=reason)
    current.in_force, current.published = True, True
    current.save(update_fields=["in_force", "published"])
    changes: dict[str, tuple[object, object]] = {
        "in_force": (False, True),
        "published": (False, True),
        "results moved": ("", moved["results"]),
        "progress moved": ("", moved["progress"]),
    }
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    smap.in_force = smap.published = True
    return current
