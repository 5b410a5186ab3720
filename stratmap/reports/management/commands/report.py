"""``stratmap report deck --org CODE --year YEAR [--theme D] -o deck.pptx``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.core.years import YearError, to_ad_year
from stratmap.reports.deck import DeckError, write_deck


class Command(BaseCommand):
    help = "Write a report: `deck` is the leadership-camp PowerPoint deck of a year's KPI results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["deck"], help="the report to write")
        parser.add_argument("--org", required=True, help="organization code, e.g. taipei")
        parser.add_argument("--year", required=True, help="ROC (108) or AD (2019) year")
        parser.add_argument("--theme", help="only this theme, e.g. D")
        parser.add_argument("-o", "--output", required=True, help="the file to write, e.g. deck.pptx")

    def handle(self, *args, kind: str, org: str, year: str, theme: str | None, output: str, **options):
        path = Path(output)
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            raise CommandError("-o: PDF output is not supported yet; write a .pptx file")
        if suffix != ".pptx":
            raise CommandError(f"-o: {output!r} must end in .pptx")
        try:
            ad_year = to_ad_year(year)
        except YearError as exc:
            raise CommandError(f"--year: {exc}") from None
        try:
            write_deck(org, ad_year, theme, path)
        except DeckError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"wrote {path}")
