"""What changed in a map from one year to the next: added, deleted, renamed and renumbered objectives,
KPIs and action plans. Every read takes the reader's :class:`~stratmap.access.Access`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from stratmap.access import Access
from stratmap.kpis.models import Kpi
from stratmap.plans.models import ActionPlan
from stratmap.strategy.models import Objective, StrategyMap


@dataclass
class Change:
    """A difference between two years of a map, found by comparing them."""

    level: str  # objective | kpi | action_plan
    action: str  # add | delete | rename | change
    code: str
    old: str = ""
    new: str = ""
    detail: str = ""


@dataclass
class MapDiff:
    before: StrategyMap | None
    after: StrategyMap
    theme: str
    changes: list[Change] = field(default_factory=list)
    counts: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # perspective → level → (b, a)
    compared_plans: bool = True


def _items(smap: StrategyMap, theme: str) -> dict[str, dict]:
    """Objectives, KPIs and plans of a map (one theme, or all): three queries."""
    objectives = smap.objectives.select_related("perspective", "theme")
    kpis = Kpi.objects.filter(objective__map=smap).select_related("objective__perspective", "lineage")
    plans = ActionPlan.objects.filter(kpi__objective__map=smap).select_related("kpi__objective__perspective")
    if theme:
        objectives = objectives.filter(theme__code=theme)
        kpis = kpis.filter(objective__theme__code=theme)
        plans = plans.filter(kpi__objective__theme__code=theme)
    return {
        "objective": {o.code: o for o in objectives},
        "kpi": {k.code: k for k in kpis},
        "action_plan": {p.code: p for p in plans},
    }


def _perspective(item) -> str:
    """The code of the item's perspective; "" for an objective outside the perspectives (and its KPIs, plans)."""
    if isinstance(item, Objective):
        objective = item
    elif isinstance(item, Kpi):
        objective = item.objective
    else:
        objective = item.kpi.objective
    return objective.perspective.code if objective.perspective else ""


def map_diff(*, after: StrategyMap, before: StrategyMap | None, theme: str = "", access: Access) -> MapDiff:
    """What was added, deleted, renamed or changed from ``before`` to ``after``.

    KPIs are matched by lineage first (the MICE KPI is DP3.4 in 108 and DP3.3 in
    109: a change of code, not a deletion and an addition), then by code.
    """
    access.require(after, before)
    diff = MapDiff(before, after, theme)
    new = _items(after, theme)
    old = _items(before, theme) if before else {"objective": {}, "kpi": {}, "action_plan": {}}
    diff.compared_plans = bool(old["action_plan"]) or before is None
    renumbered = _recorded_code_changes(after)
    for level in ("objective", "kpi", "action_plan"):
        if level == "action_plan" and not diff.compared_plans:
            continue
        olds, news = dict(old[level]), dict(new[level])
        if level == "kpi":
            by_lineage = {k.lineage_id: k for k in olds.values() if k.lineage_id}
            for code, kpi in list(news.items()):
                match = by_lineage.get(kpi.lineage_id) if kpi.lineage_id else None
                if match is not None and match.code != code:
                    diff.changes.append(Change(level, "change", code, match.code, code, "code"))
                    olds.pop(match.code, None)
                    news.pop(code)
                    _compare(diff, level, match, kpi)
        # A change of code recorded through the revise page is the same item renumbered, not a deletion and an
        # addition (objectives and plans have no lineage, and a KPI's may be missing).
        for old_code, new_code in renumbered.get(level, {}).items():
            if old_code in olds and new_code in news:
                diff.changes.append(Change(level, "change", new_code, old_code, new_code, "code"))
                _compare(diff, level, olds.pop(old_code), news.pop(new_code))
        for code in sorted(set(olds) - set(news)):
            diff.changes.append(Change(level, "delete", code, olds[code].name))
        for code in sorted(set(news) - set(olds)):
            diff.changes.append(Change(level, "add", code, new=news[code].name))
        for code in sorted(set(olds) & set(news)):
            _compare(diff, level, olds[code], news[code])
    for level in ("objective", "kpi", "action_plan"):
        b = Counter(_perspective(x) for x in old[level].values())
        a = Counter(_perspective(x) for x in new[level].values())
        for p in set(a) | set(b):
            diff.counts.setdefault(p, {})[level] = (b[p], a[p])
    return diff


def _recorded_code_changes(smap: StrategyMap) -> dict[str, dict[str, str]]:
    """level → {code before → code after} from the map's recorded changes of code ("BC1.1 → BC1.2"), chains followed."""
    renumbered: dict[str, dict[str, str]] = {}
    for level, code in smap.revisions.filter(action="change").order_by("order").values_list("level", "code"):
        parts = [part.strip() for part in code.split("→")]
        if len(parts) != 2 or not all(parts):
            continue
        first, then = parts
        codes = renumbered.setdefault(level, {})
        earlier = next((k for k, v in codes.items() if v == first), first)
        codes[earlier] = then
    return renumbered


def _compare(diff: MapDiff, level: str, old, new) -> None:
    if old.name != new.name:
        diff.changes.append(Change(level, "rename", new.code, old.name, new.name))
    if level == "kpi":
        for attribute in ("unit", "polarity", "frequency"):
            if getattr(old, attribute) != getattr(new, attribute):
                diff.changes.append(
                    Change(level, "change", new.code, getattr(old, attribute), getattr(new, attribute), attribute)
                )
