"""``stratmap benchmark-reports``: the leadership-camp deck and its PDF, timed, with their peak memory.

Each case runs several times, each time in a fresh child process (forked), so that its
peak resident memory is its own: the figure is the child's maximum RSS, which includes
the Python interpreter and Django already loaded (about 80 MB here), plus the largest of its own
children's (the second process a long PDF is laid out by, ``STRATMAP_REPORT_PROCESSES``): with the
default two, an upper bound of the two together, the pages they share counted in each. The time is the whole
build: reading the database, laying out, and writing the file to memory; the libraries
are loaded before the children are forked, as in a server that has made a report before. Goals: the
theme-D deck in under 3 s, the whole-city deck in under 20 s. Needs the demo data
(``stratmap load --demo``) or any organization and year you name.

The demo has KPIs, plans and results for theme D only, so ``--full-city`` first gives
every other theme of the year's and the next year's map a copy of theme D's objectives,
KPIs, targets, results and plans (codes DC1.1 → AC1.1 …), inside each child's own
transaction, rolled back: not timed, never written. That is the size of a city whose
eight themes report like theme D.

``--language en`` times the reports in English (the organization's own language by default), whose
labels, years and names are looked up in the report's language.
"""

from __future__ import annotations

import copy
import io
import multiprocessing
import resource
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from stratmap.access import SYSTEM
from stratmap.core.commands import progress
from stratmap.core.models import Organization
from stratmap.core.years import YearError, to_ad_year
from stratmap.exchange.dumper import map_document, to_yaml
from stratmap.exchange.loader import load_paths
from stratmap.reports.content import DeckError, report_content, report_language
from stratmap.reports.deck import render_deck
from stratmap.reports.pdf import render_pdf
from stratmap.strategy.models import StrategyMap
from stratmap.text import metrics_source


def _recode(node, old: str, new: str):
    """``node`` with every code starting with theme ``old`` (DC1, DC1.1, DC1.1.1) moved to theme ``new``."""
    if isinstance(node, dict):
        return {key: _recode(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_recode(value, old, new) for value in node]
    if isinstance(node, str) and len(node) > 1 and node[0] == old and node[1] in "CPLF":
        return new + node[1:]
    return node


def full_city_files(org: str, years: list[int], source: str, folder: Path) -> list[Path]:
    """Dataset files of ``org``'s maps in which every theme holds a copy of theme ``source``."""
    paths = []
    for smap in StrategyMap.objects.filter(organization__code=org, year__in=years, in_force=True):
        doc = map_document(smap, access=SYSTEM)
        themes = doc["themes"]
        model = next((t for t in themes if t["code"] == source), None)
        if model is None:
            continue
        for theme in themes:
            if theme["code"] != source:
                objectives = _recode(copy.deepcopy(model["objectives"]), source, theme["code"])
                for objective in objectives:
                    for kpi in objective.get("kpis", []):
                        if kpi.get("lineage"):
                            kpi["lineage"] = f"{kpi['lineage']}-{theme['code'].lower()}"
                theme["objectives"] = objectives
        path = folder / f"{org}-{smap.year}.yaml"
        path.write_text(to_yaml(doc), encoding="utf-8")
        paths.append(path)
    return paths


def _build(org: str, year: int, theme: str | None, kind: str, language: str) -> tuple[float, int, int]:
    """Build one report: (seconds, pages, bytes)."""
    start = time.perf_counter()
    content = report_content(org, year, theme, access=SYSTEM, language=language)
    if kind == "pdf":
        told: list[int] = []
        data = render_pdf(content, progress=lambda done, total: told.append(total))
        pages = told[-1]
    else:
        prs = render_deck(content)
        buffer = io.BytesIO()
        prs.save(buffer)
        data, pages = buffer.getvalue(), len(prs.slides)
    return time.perf_counter() - start, pages, len(data)


def _child(queue, org: str, year: int, theme: str | None, kind: str, language: str, files: list[Path]) -> None:
    try:
        with transaction.atomic():
            if files:
                load_paths(files, replace=True)  # the full city (other themes replaced), rolled back below
            seconds, pages, size = _build(org, year, theme, kind, language)
            transaction.set_rollback(True)
        # The PDF's other processes have stopped: their peak counts (the largest of them; one at most by default).
        peak = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        )
        queue.put((seconds, pages, size, peak))
    except Exception as exc:  # reported by the parent, which has the terminal
        queue.put(f"{type(exc).__name__}: {exc}")


class Command(BaseCommand):
    help = "Time the leadership-camp deck (PowerPoint and PDF) for one theme and for the whole organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="taipei")
        parser.add_argument("--year", default="108", help="ROC (108) or AD (2019) year")
        parser.add_argument("--theme", default="D", help="the theme of the one-theme deck")
        parser.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")
        parser.add_argument(
            "--language", help="the reports' language: zh-hant or en (default: the organization's own language)"
        )
        parser.add_argument(
            "--full-city", action="store_true", help="give every theme a copy of --theme's data first (rolled back)"
        )

    def handle(
        self, *args, org: str, year: str, theme: str, runs: int, full_city: bool, language: str | None, **options
    ) -> None:
        try:
            ad_year = to_ad_year(year)
        except YearError as exc:
            raise CommandError(f"--year: {exc}") from None
        try:
            language = report_language(language, Organization.objects.filter(code=org).first())
        except DeckError as exc:
            raise CommandError(f"--language: {exc}") from None
        with tempfile.TemporaryDirectory() as folder:
            files = full_city_files(org, [ad_year, ad_year + 1], theme, Path(folder)) if full_city else []
            self._run(org, year, ad_year, theme, runs, files, language)

    def _run(self, org: str, year: str, ad_year: int, theme: str, runs: int, files: list[Path], language: str) -> None:
        cases = [
            (f"theme {theme} deck (.pptx)", theme, "pptx", 3.0),
            ("whole-organization deck (.pptx)", None, "pptx", 20.0),
            (f"theme {theme} deck (.pdf)", theme, "pdf", None),
            ("whole-organization deck (.pdf)", None, "pdf", None),
        ]
        import weasyprint  # noqa: F401 -- loaded once here, as in a running server, not in every child

        metrics_source(), metrics_source(bold=True)  # the font's metrics, read once here likewise

        context = multiprocessing.get_context("fork")
        filled = f", every theme filled like {theme}" if files else ""
        lines = [f"{org} {year} in {language}{filled}, median of {runs} runs, each in a fresh process"]
        # The figures are written once every case has run, under the progress a terminal shows meanwhile.
        with progress(self.stderr, cases[0][0], runs, thread=False) as steps:  # the runs are forked
            for number, (label, case_theme, kind, goal) in enumerate(cases):
                if number:
                    steps.step(label, runs)
                results = []
                for _ in range(runs):
                    connections.close_all()  # the child opens its own connection
                    queue = context.Queue()
                    child = context.Process(
                        target=_child, args=(queue, org, ad_year, case_theme, kind, language, files)
                    )
                    child.start()
                    outcome = queue.get()
                    child.join()
                    if isinstance(outcome, str):
                        raise CommandError(f"{label}: {outcome}")
                    results.append(outcome)
                    steps(len(results), runs)
                seconds = statistics.median(r[0] for r in results)
                _s, pages, size, _rss = results[0]
                rss = max(r[3] for r in results) / 1024
                verdict = "" if goal is None else (f"  goal < {goal:g} s: " + ("met" if seconds < goal else "MISSED"))
                lines.append(
                    f"{label:34} {seconds:6.2f} s  {pages:3} pages  {size / 1024:7.0f} KiB  peak RSS {rss:5.0f} MiB"
                    f"{verdict}"
                )
        for line in lines:
            self.stdout.write(line)
