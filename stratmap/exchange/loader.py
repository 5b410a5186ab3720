"""Importing dataset files into the database, all or nothing.

``load_paths`` parses every file first, then checks what spans files and the
database (organization codes), and only then writes, in one transaction. Loading
a map replaces the same organization's map of the same year and version, so
loading a file twice updates rather than duplicates. Writes are set-based: a
fixed number of queries per kind of row, whatever the size of the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from stratmap.core.models import Organization
from stratmap.exchange.parse import DatasetError, DatasetInvalid, ParsedFile, parse_paths
from stratmap.exchange.schema import MapFile, OrganizationsFile, TargetIn
from stratmap.kpis.models import Kpi, KpiLineage, KpiResult, KpiTarget, ScoringPolicy, Tag
from stratmap.plans.models import ActionPlan, Outcome, PlanTask
from stratmap.strategy.models import (
    Objective,
    ObjectiveLink,
    Perspective,
    PolicyThrust,
    Revision,
    RevisionCount,
    StrategyMap,
    Theme,
    TowsEntry,
)

DEMO_DATA = Path(__file__).resolve().parent.parent / "data" / "taipei"


@dataclass
class LoadReport:
    organizations: int = 0
    maps: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def _org_references(parsed: ParsedFile) -> Iterator[tuple[str, str]]:
    """Every (path, organization code) a file refers to."""
    doc = parsed.document
    if isinstance(doc, OrganizationsFile):
        for i, org in enumerate(doc.organizations):
            for key in ("parent", "lead"):
                if getattr(org, key):
                    yield f"organizations[{i}].{key}", getattr(org, key)
            for m, code in enumerate(org.members):
                yield f"organizations[{i}].members[{m}]", code
        return
    yield "organization", doc.organization
    for t, theme in enumerate(doc.themes):
        if theme.group:
            yield f"themes[{t}].group", theme.group
    for opath, _, objective in doc.all_objectives():
        for k, kpi in enumerate(objective.kpis):
            for a, code in enumerate(kpi.agencies):
                yield f"{opath}.kpis[{k}].agencies[{a}]", code
            for p, plan in enumerate(kpi.action_plans):
                for a, code in enumerate(plan.agencies):
                    yield f"{opath}.kpis[{k}].action_plans[{p}].agencies[{a}]", code
    if doc.revisions:
        for c, change in enumerate(doc.revisions.changes):
            for a, code in enumerate(change.agencies):
                yield f"revisions.changes[{c}].agencies[{a}]", code


def validate_references(files: list[ParsedFile]) -> list[DatasetError]:
    """Errors for organization codes that neither the files nor the database define,
    and for two files that define the same map version."""
    defined = {org.code for f in files if isinstance(f.document, OrganizationsFile) for org in f.document.organizations}
    wanted = {code for f in files for _, code in _org_references(f)} - defined
    known = defined | set(Organization.objects.filter(code__in=wanted).values_list("code", flat=True))
    errors = [
        DatasetError(str(f.path), path, code, "the code of an organization in the database or in an organizations file")
        for f in files
        for path, code in _org_references(f)
        if code not in known
    ]
    seen: dict[tuple, str] = {}
    for f in files:
        if isinstance(f.document, MapFile):
            key = (f.document.organization, f.document.year, f.document.version.label)
            if key in seen:
                errors.append(
                    DatasetError(str(f.path), "version.label", key[2], f"a version not also given in {seen[key]}")
                )
            seen[key] = str(f.path)
    return errors


def load_paths(paths: Iterable[Path]) -> LoadReport:
    """Validate and import; raise DatasetInvalid (nothing written) on any error."""
    files = parse_paths(paths)
    errors = validate_references(files)
    if errors:
        raise DatasetInvalid(errors)
    report = LoadReport()
    with transaction.atomic():
        org_files = [f.document for f in files if isinstance(f.document, OrganizationsFile)]
        for doc in org_files:
            report.organizations += _load_organizations(doc)
        orgs = {o.code: o for o in Organization.objects.all()}
        for f in files:
            if isinstance(f.document, MapFile):
                _MapWriter(f.document, orgs, report).write()
    return report


def _load_organizations(doc: OrganizationsFile) -> int:
    existing = {o.code: o for o in Organization.objects.filter(code__in=[o.code for o in doc.organizations])}
    for item in doc.organizations:
        org = existing.get(item.code) or Organization(code=item.code)
        org.name, org.short_name, org.name_en, org.kind = item.name, item.short_name, item.name_en, item.kind
        org.save()
        existing[item.code] = org
    every = {o.code: o for o in Organization.objects.all()}
    for item in doc.organizations:
        org = every[item.code]
        org.parent = every.get(item.parent) if item.parent else None
        org.lead = every.get(item.lead) if item.lead else None
        org.save(update_fields=["parent", "lead"])
        org.members.set([every[m] for m in item.members])
    return len(doc.organizations)


def _target(value: object) -> TargetIn:
    return value if isinstance(value, TargetIn) else TargetIn(value=value)


class _MapWriter:
    """Writes one map file: deletes the version it replaces, then bulk-creates every row."""

    def __init__(self, doc: MapFile, orgs: dict[str, Organization], report: LoadReport):
        self.doc, self.orgs, self.report = doc, orgs, report

    def _count(self, name: str, n: int) -> None:
        self.report.rows[name] = self.report.rows.get(name, 0) + n

    def _bulk(self, model, rows: list) -> list:
        created = model.objects.bulk_create(rows)
        self._count(model._meta.model_name, len(created))
        return created

    def _through(self, relation, pairs: list[tuple[int, int]]) -> None:
        """Bulk-create the rows of an M2M ``relation`` (e.g. ``Kpi.agencies``) from (owner id, target id)."""
        through = relation.through
        owner, target = relation.field.m2m_field_name(), relation.field.m2m_reverse_field_name()
        through.objects.bulk_create([through(**{f"{owner}_id": a, f"{target}_id": b}) for a, b in pairs])

    def write(self) -> None:
        doc, org = self.doc, self.orgs[self.doc.organization]
        old = StrategyMap.objects.filter(organization=org, year=doc.year, version_label=doc.version.label)
        if old.exists():
            self.report.replaced.append(f"{org.code} {doc.year} {doc.version.label}".strip())
            old.delete()
        if doc.version.in_force:
            StrategyMap.objects.filter(organization=org, year=doc.year, in_force=True).update(in_force=False)
        tows = doc.tows
        smap = StrategyMap.objects.create(
            organization=org,
            year=doc.year,
            version_label=doc.version.label,
            version_date=doc.version.date,
            in_force=doc.version.in_force,
            published=doc.version.published,
            source=doc.version.source,
            title=doc.title,
            mission=doc.mission,
            vision=doc.vision,
            values=doc.values,
            construction_steps=[s.model_dump() for s in doc.construction_steps],
            has_tows=tows is not None,
            tows_title=tows.title if tows else "",
            revisions_compared_to=doc.revisions.compared_to if doc.revisions else None,
            revisions_theme=(doc.revisions.theme or "") if doc.revisions else "",
            revisions_note=doc.revisions.note if doc.revisions else "",
            note=doc.note,
        )
        self.report.maps.append(f"{org.code} {doc.year} {doc.version.label}".strip())
        if doc.scoring:
            ScoringPolicy.objects.create(map=smap, **doc.scoring.model_dump())
        perspectives = {
            p.code: p
            for p in self._bulk(
                Perspective,
                [
                    Perspective(map=smap, code=p.code, name=p.name, name_en=p.name_en, order=i)
                    for i, p in enumerate(doc.perspectives)
                ],
            )
        }
        themes = self._bulk(
            Theme,
            [
                Theme(
                    map=smap,
                    code=t.code,
                    name=t.name,
                    name_en=t.name_en,
                    order=i,
                    group=self.orgs[t.group] if t.group else None,
                    takes_over=t.takes_over or "",
                    takes_over_printed=t.takes_over_printed,
                    note=t.note,
                )
                for i, t in enumerate(doc.themes)
            ],
        )
        placed = [(None, o) for o in doc.objectives] + [
            (theme, o) for theme, t in zip(themes, doc.themes, strict=True) for o in t.objectives
        ]
        objectives = self._bulk(
            Objective,
            [
                Objective(
                    map=smap,
                    theme=theme,
                    perspective=perspectives[o.perspective],
                    code=o.code,
                    printed_code=o.printed_code,
                    name=o.name,
                    ksf=o.ksf,
                    goal=o.goal,
                    key_works=o.key_works,
                    order=i,
                    note=o.note,
                )
                for i, (theme, o) in enumerate(placed)
            ],
        )
        by_code = {o.code: o for o in objectives}
        self._bulk(
            ObjectiveLink,
            [
                ObjectiveLink(map=smap, source=by_code[link.source], target=by_code[link.target], note=link.note)
                for link in doc.links
            ],
        )
        self._write_kpis(org, list(zip(objectives, (o for _, o in placed), strict=True)))
        self._write_tows(smap)
        self._bulk(
            PolicyThrust,
            [
                PolicyThrust(map=smap, code=t.code, name=t.name, name_en=t.name_en, strategies=t.strategies, order=i)
                for i, t in enumerate(doc.thrusts)
            ],
        )
        self._write_revisions(smap)

    def _write_kpis(self, org: Organization, objectives: list) -> None:
        items = [(obj, k) for obj, spec in objectives for k in spec.kpis]
        lineage_keys = {k.lineage for _, k in items if k.lineage}
        lineages = {lin.key: lin for lin in KpiLineage.objects.filter(organization=org, key__in=lineage_keys)}
        missing = [KpiLineage(organization=org, key=key) for key in sorted(lineage_keys - set(lineages))]
        lineages |= {lin.key: lin for lin in self._bulk(KpiLineage, missing)}
        tag_names = {t for _, k in items for t in k.tags}
        tags = {t.name: t for t in Tag.objects.filter(name__in=tag_names)}
        tags |= {t.name: t for t in self._bulk(Tag, [Tag(name=n) for n in sorted(tag_names - set(tags))])}

        kpis = self._bulk(
            Kpi,
            [
                Kpi(
                    objective=obj,
                    code=k.code,
                    printed_code=k.printed_code,
                    name=k.name,
                    unit=k.unit,
                    polarity=k.polarity,
                    frequency=k.frequency,
                    data_source=k.data_source,
                    release=k.release,
                    agencies_printed=k.agencies_printed,
                    cites=k.cites or "",
                    cites_printed=k.cites_printed,
                    weight=k.weight,
                    target_type=k.target_type,
                    stages=[str(v) for v in k.stages],
                    lineage=lineages[k.lineage] if k.lineage else None,
                    order=i,
                    note=k.note,
                )
                for i, (obj, k) in enumerate(items)
            ],
        )
        pairs = list(zip(kpis, (k for _, k in items), strict=True))
        self._through(Kpi.agencies, [(kpi.pk, self.orgs[a].pk) for kpi, k in pairs for a in k.agencies])
        self._through(Kpi.tags, [(kpi.pk, tags[t].pk) for kpi, k in pairs for t in k.tags])
        self._bulk(
            KpiTarget,
            [
                KpiTarget(kpi=kpi, year=year, value=t.value, printed=t.printed, note=t.note)
                for kpi, k in pairs
                for year, t in ((y, _target(v)) for y, v in k.targets.items())
            ],
        )
        self._bulk(
            KpiResult,
            [
                KpiResult(
                    kpi=kpi,
                    year=year,
                    **{
                        **r.model_dump(),
                        "light_reported": r.light_reported or "",
                        "unknown_kind": r.unknown_kind or "",
                    },
                )
                for kpi, k in pairs
                for year, r in k.results.items()
            ],
        )
        plan_items = [(kpi, p) for kpi, k in pairs for p in k.action_plans]
        plans = self._bulk(
            ActionPlan,
            [
                ActionPlan(
                    kpi=kpi,
                    code=p.code,
                    printed_code=p.printed_code,
                    also_printed_as=p.also_printed_as,
                    name=p.name,
                    agencies_printed=p.agencies_printed,
                    order=i,
                    note=p.note,
                )
                for i, (kpi, p) in enumerate(plan_items)
            ],
        )
        plan_pairs = list(zip(plans, (p for _, p in plan_items), strict=True))
        self._through(ActionPlan.agencies, [(plan.pk, self.orgs[a].pk) for plan, p in plan_pairs for a in p.agencies])
        self._bulk(
            PlanTask,
            [
                PlanTask(plan=plan, name=t.name, months=t.months, order=i)
                for plan, p in plan_pairs
                for i, t in enumerate(p.tasks)
            ],
        )
        outcomes = [
            Outcome(objective=obj, text=o.text, quantity=o.quantity, unit=o.unit, order=i)
            for obj, spec in objectives
            for i, o in enumerate(spec.outcomes)
        ] + [
            Outcome(objective=plan.kpi.objective, plan=plan, text=o.text, quantity=o.quantity, unit=o.unit, order=i)
            for plan, p in plan_pairs
            for i, o in enumerate(p.outcomes)
        ]
        self._bulk(Outcome, outcomes)

    def _write_tows(self, smap: StrategyMap) -> None:
        tows = self.doc.tows
        if not tows:
            return
        rows = []
        for kind in ("s", "w", "o", "t"):
            rows += [
                TowsEntry(map=smap, kind=kind, code=item.code, text=item.text, order=i)
                for i, item in enumerate(getattr(tows, kind))
            ]
        for kind in ("so", "wo", "st", "wt"):
            quadrant = getattr(tows, kind)
            rows += [
                TowsEntry(map=smap, kind=kind, heading=quadrant.title, code=item.code, text=item.text, order=i)
                for i, item in enumerate(quadrant.items)
            ]
        self._bulk(TowsEntry, rows)

    def _write_revisions(self, smap: StrategyMap) -> None:
        revisions = self.doc.revisions
        if not revisions:
            return
        self._bulk(
            RevisionCount,
            [
                RevisionCount(
                    map=smap,
                    perspective=row.perspective,
                    order=i,
                    **{
                        f"{level}_{part}": getattr(getattr(row, level), part)
                        for level in ("objectives", "kpis", "action_plans")
                        for part in ("before", "after", "printed")
                    },
                )
                for i, row in enumerate(revisions.counts)
            ],
        )
        changes = self._bulk(
            Revision,
            [
                Revision(
                    map=smap,
                    order=i,
                    level=c.level,
                    action=c.action,
                    objective_code=c.objective or "",
                    code=c.code,
                    old_name=c.old_name,
                    new_name=c.new_name,
                    reason=c.reason,
                    printed_action=c.printed_action,
                    agencies_printed=c.agencies_printed,
                )
                for i, c in enumerate(revisions.changes)
            ],
        )
        self._through(
            Revision.agencies,
            [(rev.pk, self.orgs[a].pk) for rev, c in zip(changes, revisions.changes, strict=True) for a in c.agencies],
        )


def write_map(doc: MapFile) -> StrategyMap:
    """Write one validated map document (its organizations already exist); returns the new map.

    Used by the roll-over, which copies a map through the dataset format so that a
    copy and a load can never disagree about what a map holds.
    """
    orgs = {o.code: o for o in Organization.objects.all()}
    errors = validate_references([ParsedFile(Path("(roll-over)"), doc)])
    if errors:
        raise DatasetInvalid(errors)
    report = LoadReport()
    _MapWriter(doc, orgs, report).write()
    return StrategyMap.objects.get(organization__code=doc.organization, year=doc.year, version_label=doc.version.label)
