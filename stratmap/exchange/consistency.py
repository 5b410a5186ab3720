"""The consistency report: oddities in valid dataset files.

These are warnings, not errors. The Taipei documents themselves renumber items,
misprint codes and publish tables that do not add up; such data must load, and
every oddity must be visible. The report works on parsed files only, so it can
run before anything is imported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from stratmap.core.years import TAIPEI_YEARS, YearLabel, YearStyle
from stratmap.exchange.parse import ParsedFile, Ratings
from stratmap.exchange.schema import KpiIn, MapFile, OrganizationsFile, RevisionsIn
from stratmap.kpis.scoring import Method
from stratmap.strategy.diagram.spec import cycles

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


#: Each organization's parent (None: a top organization), from the organizations files.
_Parents = dict[str, str | None]
#: Objectives, KPIs and action plans per perspective (``_counts``).
_Counts = dict[str, Counter[str]]


@dataclass(frozen=True)
class _Outline:
    """What the report keeps of a map once its file is read: its own warnings, what other maps are compared
    with (its codes, its counts), and what it compares with them (its citations, its themes taken over,
    its revision table), so that a map is compared with one read before or after it without either being
    held."""

    file: str
    organization: str
    year: int
    style: YearStyle
    own: list[Warning]
    kpis: frozenset[str]
    #: Its objectives' and themes' codes.
    codes: frozenset[str]
    #: Its counts, of the whole map ("") and of each theme.
    counts: dict[str, _Counts]
    #: (objective's path, the KPI's place, its code, the code it cites).
    citing: tuple[tuple[str, int, str, str], ...]
    #: (the theme's place, its code, the code it takes over).
    takes_over: tuple[tuple[int, str, str], ...]
    revisions: RevisionsIn | None

    @classmethod
    def of(cls, file: str, doc: MapFile, style: YearStyle, own: list[Warning]) -> _Outline:
        objectives = list(doc.all_objectives())
        themes = {code for _, code, _ in objectives if code}
        return cls(
            file=file,
            organization=doc.organization,
            year=doc.year,
            style=style,
            own=own,
            kpis=frozenset(kpi.code for _, _, o in objectives for kpi in o.kpis),
            codes=frozenset(o.code for _, _, o in objectives) | {t.code for t in doc.themes},
            counts={"": _counts(doc, None)} | {theme: _counts(doc, theme) for theme in themes},
            citing=tuple(
                (path, k, kpi.code, kpi.cites) for path, _, o in objectives for k, kpi in enumerate(o.kpis) if kpi.cites
            ),
            takes_over=tuple(
                (t, theme.code, theme.takes_over) for t, theme in enumerate(doc.themes) if theme.takes_over
            ),
            # The table without its list of changes, which no check reads.
            revisions=doc.revisions.model_copy(update={"changes": []}) if doc.revisions else None,
        )

    def counted(self, theme: str | None) -> _Counts:
        """Its counts of one theme or, without one, of the whole map (none for a theme it does not have)."""
        return self.counts.get(theme or "") or {"objectives": Counter(), "kpis": Counter(), "action_plans": Counter()}


#: The outlines of the maps by organization and year.
_Maps = dict[tuple[str, int], _Outline]


def check_files(
    files: list[ParsedFile], ratings: Ratings | None = None, styles: Mapping[str, YearStyle] | None = None
) -> list[Warning]:
    """Every warning for a set of parsed files, in file order (:class:`Report`, given them all at once).
    ``ratings`` are the rating policies a map's ``rating`` may name (``loader.known_ratings``: the
    database's and the files'); the files' alone when not given."""
    if ratings is None:
        ratings = Ratings()
        ratings.add_files(files)
    report = Report(ratings, styles)
    report.organizations([f.document for f in files if isinstance(f.document, OrganizationsFile)])
    for f in files:
        if isinstance(f.document, MapFile):
            report.map_file(str(f.path), f.document)
    return report.warnings()


class Report:
    """The consistency report of files read one at a time, the organizations files first (as the loader
    reads them, ``loader.check_paths``): a map's own warnings when it is read, the comparisons with
    another map (the city's of its year, its own of the year its revision table is compared with) at the
    end, from the maps' outlines, in file order either way.

    ``ratings`` are the rating policies a map's ``rating`` may name (the database's and the files');
    ``styles`` how the organizations of the database type years, the files' organizations saying it
    themselves. A warning names a year as the map's organization types it (108 for Taipei, 2024 for a
    council's 2024/25)."""

    def __init__(self, ratings: Ratings, styles: Mapping[str, YearStyle] | None = None):
        self.ratings = ratings
        self.years = dict(styles or {})
        self.parents: _Parents = {}
        self.outlines: list[_Outline] = []

    def organizations(self, documents: Iterable[OrganizationsFile]) -> None:
        for doc in documents:
            for org in doc.organizations:
                self.years[org.code] = YearStyle(org.year_start_month, YearLabel(org.year_label))
                self.parents[org.code] = org.parent

    def map_file(self, file: str, doc: MapFile) -> None:
        named = self.ratings.policy(doc.organization, doc.rating) if doc.rating else None
        monitored = named is not None and named[1].method == Method.DATA_ONLY
        style = self.years.get(doc.organization, TAIPEI_YEARS)
        self.outlines.append(_Outline.of(file, doc, style, _check_map(file, doc, style, monitored=monitored)))

    def warnings(self) -> list[Warning]:
        by_key = {(outline.organization, outline.year): outline for outline in self.outlines}
        warnings: list[Warning] = []
        for outline in self.outlines:
            warnings += outline.own
            warnings += _check_citations(outline, by_key, self.parents)
            if outline.revisions:
                warnings += _check_revision_counts(outline, outline.revisions, by_key)
        return warnings


def _monitoring(kpi: KpiIn, monitored: bool) -> bool:
    """A measure shown but never rated (its own method, or its map's policy): it needs no action plan,
    since there is no target to act towards."""
    return monitored or kpi.method == Method.DATA_ONLY


def _check_map(file: str, doc: MapFile, style: YearStyle, *, monitored: bool = False) -> list[Warning]:
    """The warnings of a map of its own: codes, KPIs without an action plan or an actual, tasks without
    months, links, weights."""
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
    for group in cycles((link.source, link.target) for link in doc.links):
        warn(
            "links", f"the links of {', '.join(group)} go round in a cycle of cause and effect (allowed; is it meant?)"
        )
    out += _check_weights(doc, file)
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


def _check_citations(outline: _Outline, by_key: _Maps, parents: _Parents) -> list[Warning]:
    """Bureau KPIs cite city KPIs (府級KPI：DC3.2) and bureau themes take over city codes."""
    out: list[Warning] = []
    file = outline.file
    parent = parents.get(outline.organization)
    city = by_key.get((parent, outline.year)) if parent else None
    year = outline.style.typed(outline.year)
    if outline.citing:
        city_kpis = city.kpis if city else frozenset()
        if not city_kpis:
            out.append(
                Warning(
                    file,
                    "themes",
                    f"{len(outline.citing)} KPI(s) cite city KPIs, but the dataset has no KPIs of "
                    f"{parent or 'the parent organization'} for {year}, so the citations cannot be checked",
                )
            )
        else:
            for path, k, code, cites in outline.citing:
                if cites not in city_kpis:
                    out.append(
                        Warning(
                            file,
                            f"{path}.kpis[{k}].cites",
                            f"KPI {code} cites {cites}, which the city's {year} map does not have",
                        )
                    )
    if city:
        for t, theme, takes_over in outline.takes_over:
            if takes_over not in city.codes:
                out.append(
                    Warning(
                        file,
                        f"themes[{t}].takes_over",
                        f"theme {theme} takes over {takes_over}, which the city's {year} map does not have",
                    )
                )
    return out


def _counts(doc: MapFile, theme: str | None) -> _Counts:
    """Objectives, KPIs and action plans per perspective, of one theme or the whole map."""
    counts: _Counts = {"objectives": Counter(), "kpis": Counter(), "action_plans": Counter()}
    for _, code, objective in doc.all_objectives():
        if theme and code != theme:
            continue
        p = objective.perspective or ""  # objectives outside perspectives are counted under none
        counts["objectives"][p] += 1
        counts["kpis"][p] += len(objective.kpis)
        counts["action_plans"][p] += sum(len(k.action_plans) for k in objective.kpis)
    return counts


def _check_revision_counts(outline: _Outline, revisions: RevisionsIn, by_key: _Maps) -> list[Warning]:
    """The published 修訂前/修訂後 table (``revisions``, the map's) against itself and against the maps it
    describes."""
    out: list[Warning] = []
    file, style = outline.file, outline.style
    rows = {row.perspective: (i, row) for i, row in enumerate(revisions.counts)}
    after_actual = outline.counted(revisions.theme)
    before_year = revisions.compared_to
    before = by_key.get((outline.organization, before_year)) if before_year else None
    before_actual = before.counted(revisions.theme) if before else None
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
