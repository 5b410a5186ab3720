"""The consistency report: oddities in valid dataset files.

These are warnings, not errors. The Taipei documents themselves renumber items,
misprint codes and publish tables that do not add up; such data must load, and
every oddity must be visible. The report works on parsed files only, so it can
run before anything is imported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from stratmap.core.years import TAIPEI_YEARS, YearLabel, YearStyle
from stratmap.exchange.parse import ParsedFile, Ratings
from stratmap.exchange.schema import KpiIn, MapFile, OrganizationsFile, RevisionsIn
from stratmap.kpis.scoring import Method

_PRINTED_DELTA = re.compile(r"\(([+-]\d+)\)")


@dataclass(frozen=True)
class Warning:
    """One oddity: where it is and what is odd about it."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


def _prefix_ok(code: str, parent: str) -> bool:
    return code.startswith(parent + ".")


#: The maps of the files by organization and year.
_Maps = dict[tuple[str, int], MapFile]
#: Each organization's parent (None: a top organization), from the organizations files.
_Parents = dict[str, str | None]


def check_files(
    files: list[ParsedFile], ratings: Ratings | None = None, styles: Mapping[str, YearStyle] | None = None
) -> list[Warning]:
    """Every warning for a set of parsed files, in file order. ``ratings`` are the rating policies a map's
    ``rating`` may name (``loader.known_ratings``: the database's and the files'); the files' alone when
    not given. ``styles``: how the organizations of the database type years; the files' organizations say
    it themselves. A warning names a year as the map's organization types it (108 for Taipei, 2024 for a
    council's 2024/25)."""
    years = dict(styles or {})
    years |= {
        org.code: YearStyle(org.year_start_month, YearLabel(org.year_label))
        for f in files
        if isinstance(f.document, OrganizationsFile)
        for org in f.document.organizations
    }
    if ratings is None:
        ratings = Ratings()
        ratings.add_files(files)
    maps = [(str(f.path), f.document) for f in files if isinstance(f.document, MapFile)]
    parents = {
        org.code: org.parent
        for f in files
        if isinstance(f.document, OrganizationsFile)
        for org in f.document.organizations
    }
    by_key = {(doc.organization, doc.year): doc for _, doc in maps}
    warnings: list[Warning] = []
    for file, doc in maps:
        named = ratings.policy(doc.organization, doc.rating) if doc.rating else None
        monitored = named is not None and named[1].method == Method.DATA_ONLY
        style = years.get(doc.organization, TAIPEI_YEARS)
        warnings += _check_map(file, doc, by_key, parents, style, monitored=monitored)
    return warnings


def _monitoring(kpi: KpiIn, monitored: bool) -> bool:
    """A measure shown but never rated (its own method, or its map's policy): it needs no action plan,
    since there is no target to act towards."""
    return monitored or kpi.method == Method.DATA_ONLY


def _check_map(
    file: str, doc: MapFile, by_key: _Maps, parents: _Parents, style: YearStyle, *, monitored: bool = False
) -> list[Warning]:
    out: list[Warning] = []

    def warn(path: str, message: str) -> None:
        out.append(Warning(file, path, message))

    def check_code(path: str, what: str, code: str, printed: str, parent: tuple[str, str] | None = None) -> None:
        """Warn of a code that does not start with its parent's (DC1.1 under DC1; ``parent`` is what
        the parent is and its code) and of a code printed otherwise."""
        if parent and not _prefix_ok(code, parent[1]):
            warn(f"{path}.code", f"{what} {code} does not start with its {parent[0]}'s code {parent[1]}")
        if printed and printed != code:
            warn(f"{path}.code", f"{what} {code} is printed as {printed!r}")

    objectives = list(doc.all_objectives())
    themes_with_kpis = {theme for _, theme, o in objectives if o.kpis}
    map_has_plans = any(k.action_plans for _, _, o in objectives for k in o.kpis)
    unscheduled = 0
    for path, theme, objective in objectives:
        check_code(path, "objective", objective.code, objective.printed_code)
        if theme in themes_with_kpis and not objective.kpis:
            warn(path, f"objective {objective.code} has no KPI")
        for k, kpi in enumerate(objective.kpis):
            kpath = f"{path}.kpis[{k}]"
            check_code(kpath, "KPI", kpi.code, kpi.printed_code, ("objective", objective.code))
            if map_has_plans and not kpi.action_plans and not _monitoring(kpi, monitored):
                warn(kpath, f"KPI {kpi.code} has no action plan")
            for year, result in kpi.results.items():
                if result.actual is None and not result.unknown_reason:
                    key = style.typed(year) if isinstance(year, int) else year
                    warn(f"{kpath}.results.{key}", f"KPI {kpi.code} has no actual and no reason why")
            for p, plan in enumerate(kpi.action_plans):
                ppath = f"{kpath}.action_plans[{p}]"
                check_code(ppath, "action plan", plan.code, plan.printed_code, ("KPI", kpi.code))
                if plan.also_printed_as:
                    others = ", ".join(plan.also_printed_as)
                    warn(f"{ppath}.also_printed_as", f"action plan {plan.code} is also printed as {others}")
                unscheduled += sum(1 for task in plan.tasks if task.months is None)
    if unscheduled:
        warn("themes", f"{unscheduled} task(s) have no monthly schedule (months: null)")
    if objectives and not doc.links:
        warn("links", "the map has no cause-and-effect links")
    out += _check_weights(doc, file)
    out += _check_citations(doc, file, by_key, parents, style)
    if doc.revisions:
        out += _check_revision_counts(doc, doc.revisions, file, by_key, style)
    return out


def _plain(value: Decimal) -> str:
    """25, not 25.0000; 12.5 as it is."""
    return format(value.normalize(), "f")


def _check_weights(doc: MapFile, file: str) -> list[Warning]:
    """Objective weights against the total the map declares, and each objective's KPI weights against
    its own weight. Real tables are often partial, so neither is an error."""
    out: list[Warning] = []
    objectives = list(doc.all_objectives())
    if doc.weights_declared is not None:
        weights = [o.weight for _, _, o in objectives if o.weight is not None]
        total = sum(weights, Decimal(0))
        if total != doc.weights_declared:
            missing = len(objectives) - len(weights)
            unweighted = f" ({missing} objective(s) have no weight)" if missing else ""
            side = "less" if total < doc.weights_declared else "more"
            out.append(
                Warning(
                    file,
                    "weights_declared",
                    f"the objectives' weights add up to {_plain(total)}, {side} than the "
                    f"{_plain(doc.weights_declared)} declared{unweighted}",
                )
            )
    for path, _, objective in objectives:
        kpi_weights = [k.weight for k in objective.kpis if k.weight is not None]
        if objective.weight is None or not kpi_weights:
            continue
        total = sum(kpi_weights, Decimal(0))
        if total > objective.weight:
            out.append(
                Warning(
                    file,
                    f"{path}.weight",
                    f"the weights of objective {objective.code}'s KPIs add up to {_plain(total)}, "
                    f"more than its own weight {_plain(objective.weight)}",
                )
            )
    return out


def _check_citations(doc: MapFile, file: str, by_key: _Maps, parents: _Parents, style: YearStyle) -> list[Warning]:
    """Bureau KPIs cite city KPIs (府級KPI：DC3.2) and bureau themes take over city codes."""
    out: list[Warning] = []
    parent = parents.get(doc.organization)
    city = by_key.get((parent, doc.year)) if parent else None
    year = style.typed(doc.year)
    citing = [(p, k, kpi) for p, _, o in doc.all_objectives() for k, kpi in enumerate(o.kpis) if kpi.cites]
    if citing:
        city_kpis = {kpi.code for _, _, o in city.all_objectives() for kpi in o.kpis} if city else set()
        if not city_kpis:
            out.append(
                Warning(
                    file,
                    "themes",
                    f"{len(citing)} KPI(s) cite city KPIs, but the dataset has no KPIs of "
                    f"{parent or 'the parent organization'} for {year}, so the citations cannot be checked",
                )
            )
        else:
            for path, k, kpi in citing:
                if kpi.cites not in city_kpis:
                    out.append(
                        Warning(
                            file,
                            f"{path}.kpis[{k}].cites",
                            f"KPI {kpi.code} cites {kpi.cites}, which the city's {year} map does not have",
                        )
                    )
    if city:
        city_codes = {o.code for _, _, o in city.all_objectives()} | {t.code for t in city.themes}
        for t, theme in enumerate(doc.themes):
            if theme.takes_over and theme.takes_over not in city_codes:
                out.append(
                    Warning(
                        file,
                        f"themes[{t}].takes_over",
                        f"theme {theme.code} takes over {theme.takes_over}, which the city's {year} map does not have",
                    )
                )
    return out


def _counts(doc: MapFile, theme: str | None) -> dict[str, Counter[str]]:
    """Objectives, KPIs and action plans per perspective, of one theme or the whole map."""
    counts: dict[str, Counter[str]] = {"objectives": Counter(), "kpis": Counter(), "action_plans": Counter()}
    for _, code, objective in doc.all_objectives():
        if theme and code != theme:
            continue
        p = objective.perspective or ""  # objectives outside perspectives are counted under none
        counts["objectives"][p] += 1
        counts["kpis"][p] += len(objective.kpis)
        counts["action_plans"][p] += sum(len(k.action_plans) for k in objective.kpis)
    return counts


def _check_revision_counts(
    doc: MapFile, revisions: RevisionsIn, file: str, by_key: _Maps, style: YearStyle
) -> list[Warning]:
    """The published 修訂前/修訂後 table (``revisions``, the map's) against itself and against the maps it
    describes."""
    out: list[Warning] = []
    rows = {row.perspective: (i, row) for i, row in enumerate(revisions.counts)}
    after_actual = _counts(doc, revisions.theme)
    before_year = revisions.compared_to
    before_doc = by_key.get((doc.organization, before_year)) if before_year else None
    before_actual = _counts(before_doc, revisions.theme) if before_doc else None
    levels = ("objectives", "kpis", "action_plans")
    for perspective, (i, row) in rows.items():
        for level in levels:
            cell = getattr(row, level)
            path = f"revisions.counts[{i}].{level}"
            match = _PRINTED_DELTA.search(cell.printed)
            if match and None not in (cell.before, cell.after):
                delta = int(match.group(1))
                if cell.before + delta != cell.after:
                    out.append(
                        Warning(
                            file,
                            path,
                            f"printed {cell.printed!r}: {cell.before} {delta:+d} is "
                            f"{cell.before + delta}, not {cell.after}",
                        )
                    )
            if perspective == "total":
                continue
            actual = after_actual[level][perspective]
            if cell.after is not None and cell.after != actual:
                out.append(
                    Warning(file, f"{path}.after", f"the table says {cell.after} after revision, the map has {actual}")
                )
            if (
                before_actual is not None
                and before_year is not None  # set whenever before_actual is: the map of that year
                and cell.before is not None
                and cell.before != before_actual[level][perspective]
            ):
                out.append(
                    Warning(
                        file,
                        f"{path}.before",
                        f"the table says {cell.before} before revision, the "
                        f"{style.typed(before_year)} map has {before_actual[level][perspective]}",
                    )
                )
    if "total" in rows:
        i, total = rows["total"]
        for level in levels:
            for part in ("before", "after"):
                stated = getattr(getattr(total, level), part)
                summed = sum(getattr(getattr(row, level), part) or 0 for p, (_, row) in rows.items() if p != "total")
                if stated is not None and stated != summed:
                    out.append(
                        Warning(
                            file,
                            f"revisions.counts[{i}].{level}.{part}",
                            f"the total says {stated}, the rows add up to {summed}",
                        )
                    )
    return out
