"""Writing the database back out in the dataset format.

The dump goes through the same pydantic models the loader validates with, and
leaves out keys that hold their default, so a dump reads like a hand-written
file and loading it gives the same data. Years are written as ROC years, as the
Taipei documents print them, or as AD years for an organization whose years are
not named as ROC years (a council's 2019/20 is written 2019).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import yaml
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Prefetch

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.core.years import YearLabel, YearStyle, to_roc_year
from stratmap.exchange.schema import (
    FORMAT,
    KPI_VALUES,
    RATING_VALUES,
    MapFile,
    OrganizationsFile,
    RatingPolicyIn,
    ReportingIn,
    TargetIn,
    translation_key,
)
from stratmap.kpis.models import (
    Kpi,
    KpiResult,
    KpiTarget,
    LightSet,
    RatingPolicy,
    ScoringPolicy,
    period_of,
    period_order,
)
from stratmap.plans.models import ActionPlan, Outcome
from stratmap.strategy.models import Objective, StrategyMap


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with numbers written as numbers and text left readable."""

    def ignore_aliases(self, data: object) -> bool:
        # A value met twice is written twice: the loader allows few aliases, and people read dumps.
        return True


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value.normalize(), "f")
    if "." not in text:
        return dumper.represent_scalar("tag:yaml.org,2002:int", text)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(Decimal, _decimal)


def _i18n(row: models.Model, language: str, field: str = "", to: str = "") -> dict[str, Any]:
    """The translations of ``row`` as keys of its block (name_en), with ``field`` written as ``to`` (the map's
    tows_title_en as the TOWS block's title_en); each only given when it says something. A translation
    into ``language`` (the organization's own, which no reader is shown) would be refused by the loader."""
    own = translation_key("", language)
    given = {
        key: value
        for key, value in (getattr(row, "i18n", None) or {}).items()
        if value not in (None, "", []) and not key.endswith(own)
    }
    if not field:
        return given
    return {f"{to}{key[len(field) :]}": value for key, value in given.items() if key.startswith(f"{field}_")}


def to_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def dump_organizations(codes: list[str] | None = None) -> str:
    orgs = (
        Organization.objects.select_related("parent", "lead", "report_settings", "reporting_calendar__holidays")
        .prefetch_related("members", "review_steps")
        .order_by("pk")
    )
    if codes:
        orgs = orgs.filter(code__in=codes)
    doc = OrganizationsFile.model_validate(
        {
            "format": FORMAT,
            "organizations": [
                {
                    "code": o.code,
                    "name": o.name,
                    "short_name": o.short_name,
                    **_i18n(o, o.language),
                    "language": o.language,
                    "kind": o.kind,
                    "parent": o.parent.code if o.parent else None,
                    "lead": o.lead.code if o.lead else None,
                    "members": sorted(m.code for m in o.members.all()),
                    "year_start_month": o.year_start_month,
                    "year_label": o.year_label,
                    "light_sets": [_light_set(x) for x in o.light_sets.all()],
                    "rating_policies": [rating_block(x) for x in o.rating_policies.all()],
                    **_report_settings(o),
                    **_review_steps(o),
                    **_reporting(o),
                }
                for o in orgs.prefetch_related("light_sets__levels", "rating_policies")
            ],
            # What every organization shares goes with any of them: their maps may name it.
            "light_sets": [
                _light_set(x) for x in LightSet.objects.filter(organization=None).prefetch_related("levels")
            ],
            "rating_policies": [rating_block(x) for x in RatingPolicy.objects.filter(organization=None)],
        }
    )
    return to_yaml(doc.model_dump(exclude_defaults=True))


def _report_settings(organization: Organization) -> dict[str, Any]:
    """The organization's own wording of its reports as its ``report:`` (none: neutral wording), read through
    the relation so that the exchange layer imports nothing of the reports app."""
    try:
        wording = organization.report_settings
    except ObjectDoesNotExist:
        return {}
    fields = ("cover_title", "cover_revisions", "closing")
    block = {name: getattr(wording, name) for name in fields if getattr(wording, name)}
    return {"report": {**block, **_i18n(wording, organization.language)}}


def _review_steps(organization: Organization) -> dict[str, Any]:
    """The organization's review chain as its ``review_steps:`` (none configured: no key, so that loading the
    dump keeps whatever the organization has then)."""
    steps = sorted(organization.review_steps.all(), key=lambda step: step.order)
    if not steps:
        return {}
    blocks = [{"name": s.name, **_i18n(s, organization.language), "role": s.role} for s in steps]
    return {"review_steps": blocks}


def _reporting(organization: Organization) -> dict[str, Any]:
    """The organization's reporting calendar as its ``reporting:`` (none: no key; its values at the defaults
    are left out by the dump)."""
    try:
        calendar = organization.reporting_calendar
    except ObjectDoesNotExist:
        return {}
    names = [name for name in ReportingIn.model_fields if name != "holidays"]
    block = {name: getattr(calendar, name) for name in names}
    return {"reporting": {**block, "holidays": calendar.holidays.code if calendar.holidays else None}}


def _light_set(light_set: LightSet) -> dict:
    return {
        "key": light_set.key,
        "names": light_set.names,
        "levels": [
            {"key": x.key, "symbol": x.symbol, "names": x.names, "colour": x.colour, "role": x.role}
            for x in light_set.levels.all()
        ],
    }


def rating_block(policy: RatingPolicy) -> RatingPolicyIn:
    """A rating policy's row as its block in an organizations file."""
    return RatingPolicyIn.from_row(policy.key, {name: getattr(policy, name) for name in RATING_VALUES})


def _codes(related) -> list[str]:
    return [o.code for o in related.all()]


def map_document(smap: StrategyMap, *, access: Access) -> dict:
    """The dataset-format document of one map version, as plain data, with the results ``access`` sees
    (the ``dump`` command passes ``Access.everything()``)."""
    access.require(smap)
    kpis = Kpi.objects.select_related("lineage").prefetch_related(
        "agencies",
        "tags",
        "targets",
        Prefetch("results", queryset=access.results(KpiResult.objects.all())),
        Prefetch(
            "action_plans",
            queryset=ActionPlan.objects.prefetch_related("agencies", "tasks", "outcomes").order_by("order"),
        ),
    )
    objectives = (
        smap.objectives.select_related("perspective", "theme")
        .prefetch_related(
            Prefetch("kpis", queryset=kpis.order_by("order")),
            Prefetch("outcomes", queryset=Outcome.objects.filter(plan=None).order_by("order"), to_attr="own_outcomes"),
        )
        .order_by("order")
    )
    by_theme: dict[int | None, list] = defaultdict(list)
    own = smap.organization.language
    for objective in objectives:
        by_theme[objective.theme_id].append(_objective(objective, smap.organization.year_style, own))
    tows: dict[str, object] | None = None
    if smap.has_tows:
        entries = defaultdict(list)
        for e in smap.tows_entries.order_by("kind", "order").prefetch_related(
            Prefetch("objectives", Objective.objects.order_by("order"))
        ):
            entries[e.kind].append(e)
        tows = {"title": smap.tows_title, **_i18n(smap, own, "tows_title", "title")}
        for kind in ("s", "w", "o", "t"):
            tows[kind] = [{"code": e.code, "text": e.text, **_i18n(e, own, "text", "text")} for e in entries[kind]]
        for kind in ("so", "wo", "st", "wt"):
            items = entries[kind]
            tows[kind] = {
                "title": items[0].heading if items else "",
                **(_i18n(items[0], own, "heading", "title") if items else {}),
                "items": [
                    {
                        "code": e.code,
                        "text": e.text,
                        **_i18n(e, own, "text", "text"),
                        "objectives": [o.code for o in e.objectives.all()],
                    }
                    for e in items
                ],
            }
    revisions = None
    counts = list(smap.revision_counts.order_by("order"))
    changes = list(smap.revisions.prefetch_related("agencies").order_by("order"))
    if counts or changes or smap.revisions_compared_to or smap.revisions_note or smap.revisions_theme:
        revisions = {
            "compared_to": smap.revisions_compared_to,
            "theme": smap.revisions_theme or None,
            "note": smap.revisions_note,
            "counts": [
                {
                    "perspective": row.perspective,
                    **{
                        level: {part: getattr(row, f"{level}_{part}") for part in ("before", "after", "printed")}
                        for level in ("objectives", "kpis", "action_plans")
                    },
                }
                for row in counts
            ],
            "changes": [
                {
                    "level": c.level,
                    "action": c.action,
                    "objective": c.objective_code or None,
                    "code": c.code,
                    "old_name": c.old_name,
                    "new_name": c.new_name,
                    "reason": c.reason,
                    "printed_action": c.printed_action,
                    "agencies": _codes(c.agencies),
                    "agencies_printed": c.agencies_printed,
                }
                for c in changes
            ],
        }
    doc = MapFile.model_validate(
        {
            "format": FORMAT,
            "organization": smap.organization.code,
            "year": smap.year,
            "version": {
                "label": smap.version_label,
                **_i18n(smap, own, "version_label", "label"),
                "date": smap.version_date,
                "in_force": smap.in_force,
                "published": smap.published,
                "source": smap.source,
            },
            "title": smap.title,
            "occasion": smap.occasion,
            "mission": smap.mission,
            "vision": smap.vision,
            "values": smap.values,
            "note": smap.note,
            **{
                key: value
                for key, value in _i18n(smap, own).items()
                if not key.startswith(("tows_title_", "version_label_"))  # the TOWS block's, the version's
            },
            "translations": smap.translation_notes or {},
            "scoring": _scoring(smap),
            "rating": _rating(smap),
            "construction_steps": smap.construction_steps,
            "thrusts": [
                {"code": t.code, "name": t.name, "strategies": t.strategies, **_i18n(t, own)}
                for t in smap.thrusts.order_by("order")
            ],
            "tows": tows,
            "weights_declared": smap.weights_declared,
            "perspectives": [
                {"code": p.code, "name": p.name, **_i18n(p, own)} for p in smap.perspectives.order_by("order")
            ],
            "objectives": by_theme[None],
            "themes": [
                {
                    "code": t.code,
                    "name": t.name,
                    **_i18n(t, own),
                    "group": t.group.code if t.group else None,
                    "takes_over": t.takes_over or None,
                    "takes_over_printed": t.takes_over_printed,
                    "note": t.note,
                    "weight": t.weight,
                    "objectives": by_theme[t.pk],
                }
                for t in smap.themes.select_related("group").order_by("order")
            ],
            "links": [
                {"from": link.source.code, "to": link.target.code, "note": link.note, **_i18n(link, own)}
                for link in smap.links.select_related("source", "target").order_by("pk")
            ],
            "revisions": revisions,
        }
    )
    data = doc.model_dump(exclude_defaults=True, by_alias=True)
    return _roc_years(data, roc=smap.organization.year_label == YearLabel.ROC)


def _scoring(smap: StrategyMap) -> dict | None:
    try:
        policy = smap.scoring_policy
    except ScoringPolicy.DoesNotExist:
        return None
    if policy.rating_policy_id is not None:
        return None  # rated by a named policy: the row's own values are not used
    return {name: getattr(policy, name) for name in ScoringPolicy.FIELDS}


def _rating(smap: StrategyMap) -> str | None:
    """The key of the map's named rating policy, if it has one."""
    try:
        policy = smap.scoring_policy
    except ScoringPolicy.DoesNotExist:
        return None
    return policy.rating_policy.key if policy.rating_policy is not None else None


def _roc_years(data: dict, *, roc: bool = True) -> dict:
    """Write years as ROC years (108), as the documents print them; AD years (2019, the year a fiscal
    year starts in) for an organization whose years are not named as ROC years."""
    year: Callable[[int], int] = to_roc_year if roc else int
    data["year"] = year(data["year"])
    if "revisions" in data and data["revisions"].get("compared_to"):
        data["revisions"]["compared_to"] = year(data["revisions"]["compared_to"])
    for holder in [*data.get("objectives", []), *(o for t in data.get("themes", []) for o in t.get("objectives", []))]:
        for kpi in holder.get("kpis", []):
            for key in ("targets", "results"):
                if key in kpi:
                    kpi[key] = {_year_key(y, year): _plain_target(v) for y, v in kpi[key].items()}
    return data


def _year_key(key: int | str, year: Callable[[int], int]) -> int | str:
    """A year, or a period's key with its year written the same way (113-Q3 beside 113)."""
    if isinstance(key, int):
        return year(key)
    head, _, tail = key.partition("-")
    return f"{year(int(head))}-{tail}"


def _plain_target(value: object) -> object:
    """A target with only a value is written as the bare number."""
    if isinstance(value, dict) and set(value) == {"value"}:
        return value["value"]
    return value


def _objective(o, style: YearStyle, own: str) -> dict:
    return {
        "code": o.code,
        "printed_code": o.printed_code,
        "name": o.name,
        "perspective": o.perspective.code if o.perspective else None,
        "weight": o.weight,
        "ksf": o.ksf,
        "goal": o.goal,
        "key_works": o.key_works,
        "note": o.note,
        **_i18n(o, own),
        "outcomes": [_outcome(x, own) for x in o.own_outcomes],
        "kpis": [_kpi(k, style, own) for k in o.kpis.all()],
    }


def _outcome(o: Outcome, own: str) -> dict:
    return {"text": o.text, "quantity": o.quantity, "unit": o.unit, **_i18n(o, own)}


def _key(row: KpiTarget | KpiResult, style: YearStyle) -> int | str:
    """A target's or result's key in the file: its year, or its period's key ("2024-Q3", "2025-01")."""
    return style.period_key(period_of(row.year, row.period, style)) if row.period else row.year


def _kpi(k: Kpi, style: YearStyle, own: str) -> dict:
    def order(row: KpiTarget | KpiResult) -> tuple:
        return (row.year, period_order(row.period, style))

    return {
        **{name: getattr(k, name) for name in KPI_VALUES},
        **_i18n(k, own),
        "cites": k.cites or None,
        "agencies": _codes(k.agencies),
        "tags": [t.name for t in k.tags.all()],
        "lineage": k.lineage.key if k.lineage else None,
        "targets": {
            _key(t, style): {name: getattr(t, name) for name in TargetIn.model_fields}
            for t in sorted(k.targets.all(), key=order)
        },
        "results": {
            _key(r, style): {
                "actual": r.actual,
                "printed": r.printed,
                "unknown_reason": r.unknown_reason,
                "rate_reported": r.rate_reported,
                "innovation": r.innovation,
                "innovation_note": r.innovation_note,
                "challenge": r.challenge,
                "challenge_note": r.challenge_note,
                "contribution": r.contribution,
                "contribution_note": r.contribution_note,
                "score_reported": r.score_reported,
                "light_reported": r.light_reported or None,
                "situation_analysis": r.situation_analysis,
                "countermeasures": r.countermeasures,
                "note": r.note,
                "unknown_kind": r.unknown_kind or None,
                "status": r.status,
                "review_comment": r.review_comment,
            }
            for r in sorted(k.results.all(), key=order)
        },
        "action_plans": [
            {
                "code": p.code,
                "printed_code": p.printed_code,
                "also_printed_as": p.also_printed_as,
                "name": p.name,
                "agencies": _codes(p.agencies),
                "agencies_printed": p.agencies_printed,
                "note": p.note,
                **_i18n(p, own),
                "tasks": [{"name": t.name, "months": t.months, **_i18n(t, own)} for t in p.tasks.all()],
                "outcomes": [_outcome(x, own) for x in p.outcomes.all()],
            }
            for p in k.action_plans.all()
        ],
    }


def dump_map(organization: str, year: int, version: str | None = None, *, access: Access) -> str:
    """The YAML of an organization's map for a year: the version in force unless one is named."""
    maps = access.maps().select_related("organization").filter(organization__code=organization, year=year)
    smap = maps.get(version_label=version) if version is not None else maps.get(in_force=True)
    return to_yaml(map_document(smap, access=access))
