"""``stratmap dump --org CODE --year YEAR``: write a map in the dataset format."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from pydantic import ValidationError as PydanticError

from stratmap.access import SYSTEM
from stratmap.core.commands import org_and_year, output_path, write_output
from stratmap.exchange.dumper import dump_map, dump_organizations
from stratmap.exchange.parse import format_location
from stratmap.strategy.models import StrategyMap


class Command(BaseCommand):
    help = "Write an organization's map for a year (or the organizations) in the dataset format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="organization code, e.g. taipei")
        parser.add_argument("--year", help="ROC (108) or AD (2019) year")
        parser.add_argument("--map-version", dest="map_version", help="version label (default: the version in force)")
        parser.add_argument("--organizations", action="store_true", help="dump the organizations instead")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    def handle(
        self,
        *args,
        org: str | None,
        year: str | None,
        map_version: str | None,
        organizations: bool,
        output: Path | None,
        **options,
    ) -> None:
        if output is not None:
            output = output_path(output)
        if organizations:
            text = dump_organizations()
        else:
            if not org or not year:
                raise CommandError("give --org and --year (or --organizations)")
            ad_year = org_and_year(org, year)
            try:
                text = dump_map(org, ad_year, map_version, access=SYSTEM)
            except StrategyMap.DoesNotExist:
                what = f"version {map_version!r}" if map_version is not None else "map in force"
                raise CommandError(f"{org} has no {what} for {year}") from None
            except PydanticError as exc:
                # Data saved before today's rules (a control character, an over-long name): say where.
                problems = "; ".join(f"{format_location(e['loc'])}: {e['msg']}" for e in exc.errors()[:10])
                raise CommandError(
                    f"{org} {year} holds values the dataset format refuses; correct them first: {problems}"
                ) from None
        if output:
            write_output(output, text)
        else:
            self.stdout.write(text, ending="")
