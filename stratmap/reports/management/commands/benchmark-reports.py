"""``stratmap benchmark-reports``: the leadership-camp deck and its PDF, timed, with their peak memory.

Each case runs several times, each time in a fresh child process (forked), so that its
peak resident memory is its own: the figure is the child's maximum RSS, which includes
the Python interpreter and Django already loaded (about 80 MB here). The time is the whole
build: reading the database, laying out, and writing the file to memory. Goals: the
theme-D deck in under 3 s, the whole-city deck in under 20 s. Needs the demo data
(``stratmap load --demo``) or any organization and year you name.
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import statistics
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from stratmap.core.years import YearError, to_ad_year
from stratmap.reports.content import DeckError, report_content
from stratmap.reports.deck import render_deck
from stratmap.reports.pdf import render_pdf


def _build(org: str, year: int, theme: str | None, kind: str) -> tuple[float, int, int]:
    """Build one report: (seconds, pages, bytes)."""
    start = time.perf_counter()
    content = report_content(org, year, theme)
    if kind == "pdf":
        data = render_pdf(content)
        pages = data.count(b"/Type /Page\n") or data.count(b"/Type /Page")
    else:
        prs = render_deck(content)
        buffer = io.BytesIO()
        prs.save(buffer)
        data, pages = buffer.getvalue(), len(prs.slides)
    return time.perf_counter() - start, pages, len(data)


def _child(queue, org: str, year: int, theme: str | None, kind: str) -> None:
    try:
        seconds, pages, size = _build(org, year, theme, kind)
        queue.put((seconds, pages, size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    except Exception as exc:  # reported by the parent, which has the terminal
        queue.put(exc)


class Command(BaseCommand):
    help = "Time the leadership-camp deck (PowerPoint and PDF) for one theme and for the whole organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="taipei")
        parser.add_argument("--year", default="108", help="ROC (108) or AD (2019) year")
        parser.add_argument("--theme", default="D", help="the theme of the one-theme deck")
        parser.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")

    def handle(self, *args, org: str, year: str, theme: str, runs: int, **options) -> None:
        try:
            ad_year = to_ad_year(year)
        except YearError as exc:
            raise CommandError(f"--year: {exc}") from None
        cases = [
            (f"theme {theme} deck (.pptx)", theme, "pptx", 3.0),
            ("whole-organization deck (.pptx)", None, "pptx", 20.0),
            (f"theme {theme} deck (.pdf)", theme, "pdf", None),
            ("whole-organization deck (.pdf)", None, "pdf", None),
        ]
        context = multiprocessing.get_context("fork")
        self.stdout.write(f"{org} {year}, median of {runs} runs, each in a fresh process")
        for label, case_theme, kind, goal in cases:
            results = []
            for _ in range(runs):
                connections.close_all()  # the child opens its own connection
                queue = context.Queue()
                child = context.Process(target=_child, args=(queue, org, ad_year, case_theme, kind))
                child.start()
                outcome = queue.get()
                child.join()
                if isinstance(outcome, DeckError):
                    raise CommandError(str(outcome))
                if isinstance(outcome, Exception):
                    raise outcome
                results.append(outcome)
            seconds = statistics.median(r[0] for r in results)
            _s, pages, size, _rss = results[0]
            rss = max(r[3] for r in results) / 1024
            verdict = "" if goal is None else (f"  goal < {goal:g} s: " + ("met" if seconds < goal else "MISSED"))
            self.stdout.write(
                f"{label:34} {seconds:6.2f} s  {pages:3} pages  {size / 1024:7.0f} KiB  peak RSS {rss:5.0f} MiB"
                f"{verdict}"
            )
