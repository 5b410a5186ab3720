"""Writes to map structure: rolling a map over to the next year, and revising it with reasons.

Only administrators do these. Each revision is a Revision row (which the revisions
page and its count table read) and an audit event, with the reason given.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from stratmap.core.access import Access
from stratmap.core.audit import record
from stratmap.core.years import to_roc_year
from stratmap.exchange.dumper import map_document
from stratmap.exchange.loader import write_map
from stratmap.exchange.schema import MapFile
from stratmap.kpis.models import Kpi
from stratmap.plans.models import ActionPlan
from stratmap.strategy.models import Objective, Revision, StrategyMap


@transaction.atomic
def map_roll_over(*, access: Access, smap: StrategyMap, year: int | None = None) -> StrategyMap:
    """Next year's map from this one: structure, KPIs, later-year targets and action plans; no results.

    The new map is in force and unpublished; its revisions are compared with ``smap``'s year.
    """
    if not access.is_administrator:
        raise PermissionDenied
    year = year or smap.year + 1
    if year <= smap.year:
        raise ValidationError({"year": _("Roll over to a later year.")})
    if StrategyMap.objects.filter(organization=smap.organization, year=year).exists():
        raise ValidationError({"year": _("This organization already has a map for that year.")})
    data = map_document(smap)  # ROC years, as a dataset file has them
    roc = to_roc_year(year)
    data["year"] = roc
    data["version"] = {"label": "", "in_force": True, "published": False}
    data.pop("revisions", None)
    for holder in [*data.get("objectives", []), *(o for t in data.get("themes", []) for o in t.get("objectives", []))]:
        for kpi in holder.get("kpis", []):
            kpi.pop("results", None)
            kpi["targets"] = {y: v for y, v in kpi.get("targets", {}).items() if y >= roc}
    data["revisions"] = {"compared_to": to_roc_year(smap.year), "theme": smap.revisions_theme or None}
    new = write_map(MapFile.model_validate(data))
    record(user=access.user, obj=new, action="roll over", changes={"from": ("", str(smap))})
    return new


LEVELS = {"objective": Objective, "kpi": Kpi, "action_plan": ActionPlan}
#: How each level reaches its map.
MAP_OF = {"objective": "map", "kpi": "objective__map", "action_plan": "kpi__objective__map"}


def _find(smap: StrategyMap, level: str, code: str):
    found = LEVELS[level].objects.filter(**{MAP_OF[level]: smap, "code": code}).first()
    if found is None:
        raise ValidationError(
            {"code": _("No %(level)s with the code %(code)s in this map.") % {"level": level, "code": code}}
        )
    return found


@transaction.atomic
def map_revise(
    *,
    access: Access,
    smap: StrategyMap,
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
    - delete: ``code``; rename: ``code`` and ``name``; change: ``code`` and ``new_code``.
    """
    if not access.is_administrator:
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Every revision needs its reason.")})
    if level not in LEVELS or action not in Revision.Action.values:
        raise ValidationError(_("Unknown level or action."))
    old_name = new_name = ""
    if action == Revision.Action.ADD:
        if not name.strip():
            raise ValidationError({"name": _("Give the new item's name.")})
        if LEVELS[level].objects.filter(**{MAP_OF[level]: smap, "code": code}).exists():
            raise ValidationError({"code": _("This code is already used in this map.")})
        item = _add(smap, level, code, name, parent, perspective)
        new_name = name
    else:
        item = _find(smap, level, code)
        old_name = item.name
    objective_code = _objective_code(item)
    if action != Revision.Action.ADD:
        if action == Revision.Action.DELETE:
            item.delete()
        elif action == Revision.Action.RENAME:
            if not name.strip():
                raise ValidationError({"name": _("Give the new name.")})
            item.name = new_name = name
            item.save(update_fields=["name"])
        else:  # change: a new code
            if not new_code.strip():
                raise ValidationError({"new_code": _("Give the new code.")})
            item.code, new_name = new_code, item.name
            item.save(update_fields=["code"])
            code = f"{code} → {new_code}"
    revision = Revision.objects.create(
        map=smap,
        order=smap.revisions.count(),
        level=level,
        action=action,
        objective_code=objective_code,
        code=code,
        old_name=old_name,
        new_name=new_name,
        reason=reason,
    )
    if smap.revisions_compared_to is None:
        smap.revisions_compared_to = smap.year - 1
        smap.save(update_fields=["revisions_compared_to"])
    record(
        user=access.user,
        obj=revision,
        action="revise",
        changes={f"{level} {code}": (old_name, new_name or "—")},
        reason=reason,
    )
    return revision


def _objective_code(item) -> str:
    if isinstance(item, Objective):
        return item.code
    if isinstance(item, Kpi):
        return item.objective.code
    return item.kpi.objective.code


def _add(smap: StrategyMap, level: str, code: str, name: str, parent: str, perspective: str):
    if level == "objective":
        theme = smap.themes.filter(code=parent).first()
        the_perspective = smap.perspectives.filter(code=perspective).first()
        if the_perspective is None or (parent and theme is None):
            raise ValidationError({"parent": _("Give the objective's theme and perspective codes.")})
        return Objective.objects.create(
            map=smap, theme=theme, perspective=the_perspective, code=code, name=name, order=smap.objectives.count()
        )
    if level == "kpi":
        objective = _find(smap, "objective", parent)
        return Kpi.objects.create(objective=objective, code=code, name=name, order=objective.kpis.count())
    kpi = _find(smap, "kpi", parent)
    return ActionPlan.objects.create(kpi=kpi, code=code, name=name, order=kpi.action_plans.count())
