"""``stratmap load PATH… | --demo``: validate dataset files and import them, all or nothing."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.exchange.loader import DEMO_DATA, load_paths
from stratmap.exchange.parse import DatasetInvalid


class Command(BaseCommand):
    help = "Validate dataset files (YAML, or folders of them) and import them. On any error nothing is written."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="dataset files or folders")
        parser.add_argument("--demo", action="store_true", help="load the built-in Taipei demo dataset")

    def handle(self, *args, paths: list[Path], demo: bool, **options) -> None:
        if demo:
            paths = [DEMO_DATA, *paths]
        if not paths:
            raise CommandError("give dataset files or folders to load, or --demo")
        started = time.perf_counter()
        try:
            report = load_paths(paths)
        except DatasetInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s); nothing was written") from None
        elapsed = time.perf_counter() - started
        for label in report.replaced:
            self.stdout.write(f"replaced {label}")
        rows = sum(report.rows.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"loaded {report.organizations} organization(s), {len(report.maps)} map(s), "
                f"{rows} row(s) in {elapsed:.2f} s"
            )
        )
