"""``stratmap report deck|scorecard --org CODE --year YEAR [--theme D] [--period Q3] [--language en] -o FILE``.

- ``deck``: the leadership-camp deck, PowerPoint (``-o deck.pptx``) or PDF (``-o deck.pdf``);
- ``scorecard``: the Excel scorecard workbook (``-o scorecard.xlsx``).

Both are of the year or, with ``--period``, of the year to date at the end of that period (a deck of a
period has no part 2, the next year's map). Either is in ``--language`` (``zh-hant``, ``en``), by default the
organization's own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.access import SYSTEM
from stratmap.core.commands import Steps, output_path, period_option, progress
from stratmap.core.models import Organization
from stratmap.core.years import YearError, to_ad_year
from stratmap.reports.content import report_content, report_language
from stratmap.reports.deck import DeckError, write_deck
from stratmap.reports.pdf import render_pdf
from stratmap.reports.xlsx import ScorecardError, scorecard_workbook

SUFFIXES = {"deck": (".pptx", ".pdf"), "scorecard": (".xlsx",)}


class Command(BaseCommand):
    help = (
        "Write a report: `deck` is the leadership-camp deck of a year's KPI results (.pptx or .pdf), "
        "`scorecard` the Excel scorecard workbook (a sheet per theme and the action plans); either of the "
        "year to date at the end of a period with --period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(SUFFIXES), help="the report to write")
        parser.add_argument("--org", required=True, help="organization code, e.g. taipei")
        parser.add_argument("--year", required=True, help="ROC (108) or AD (2019) year")
        parser.add_argument("--theme", help="deck only: only this theme, e.g. D")
        parser.add_argument(
            "--period",
            help="the year to date at a period of the year: 2024-Q3, 2024-H1, 2024-05 (a month), or Q3",
        )
        parser.add_argument(
            "--language",
            help="the report's language: zh-hant or en (default: the organization's own language)",
        )
        parser.add_argument(
            "-o", "--output", required=True, help="the file to write: deck.pptx, deck.pdf or scorecard.xlsx"
        )

    def handle(self, *args, kind: str, org: str, year: str, theme: str | None, output: str, **options):
        period: str | None = options.get("period")
        path = output_path(output)
        suffix, wanted = path.suffix.lower(), SUFFIXES[kind]
        if suffix not in wanted:
            raise CommandError(f"-o: {output!r} must end in {' or '.join(wanted)} for the {kind} report")
        if kind == "scorecard" and theme:
            raise CommandError("--theme: the scorecard workbook always has every theme, one sheet each")
        try:
            ad_year = to_ad_year(year)
        except YearError as exc:
            raise CommandError(f"--year: {exc}") from None
        try:
            language = report_language(options.get("language"), Organization.objects.filter(code=org).first())
        except DeckError as exc:
            raise CommandError(f"--language: {exc}") from None
        try:
            chosen = period_option(org, ad_year, period) if period else None
            if kind == "deck":
                # A PDF is laid out by processes forked from this one: no thread may draw the bar meanwhile.
                with progress(self.stderr, "reading the data", thread=suffix != ".pdf") as steps:
                    if suffix == ".pdf":
                        told = pages(steps, "laying out pages", "writing the PDF")
                        content = report_content(org, ad_year, theme, access=SYSTEM, period=chosen, language=language)
                        path.write_bytes(render_pdf(content, progress=told))
                    else:
                        told = pages(steps, "drawing slides", "writing the file")
                        write_deck(
                            org, ad_year, theme, path, access=SYSTEM, period=chosen, progress=told, language=language
                        )
            else:
                scorecard_workbook(org, ad_year, access=SYSTEM, period=chosen, language=language).save(path)
        except (DeckError, ScorecardError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"wrote {path}")


def pages(steps: Steps, what: str, then: str) -> Callable[[int, int], None]:
    """A renderer's ``progress(done, total)`` as steps: ``what`` from its first word (0 pages done), ``then``
    once its last page is done."""
    begun = False

    def told(done: int, total: int) -> None:
        nonlocal begun
        if not begun:
            steps.step(what, total)
            begun = True
        steps(done, total)
        if done == total:
            steps.step(then)

    return told
