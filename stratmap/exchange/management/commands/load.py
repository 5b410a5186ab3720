"""``stratmap load PATH… | --demo [--replace]``: validate dataset files and import them, all or nothing.

Loading merges into what is there and never silently removes anything: see
stratmap.exchange.loader and docs/dataset-format.md.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.exchange.loader import DEMO_PATHS, LoadRefused, LoadWouldLose, load_paths
from stratmap.exchange.parse import DatasetInvalid


class Command(BaseCommand):
    help = (
        "Validate dataset files (YAML, or folders of them) and import them, merging into the maps already "
        "there. On any error nothing is written. What the files lack is kept, and a load that would remove "
        "something or overwrite a result changed in the app is refused unless --replace is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="dataset files or folders")
        parser.add_argument(
            "--demo", action="store_true", help="load the built-in demo datasets: Taipei's and an invented council's"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="make each map match its file: remove what the file lacks (results the file does not "
            "mention are still kept) and overwrite results changed in the app; each is recorded in the audit trail",
        )

    def handle(self, *args, paths: list[Path], demo: bool, replace: bool, **options) -> None:
        if demo:
            paths = [*DEMO_PATHS, *paths]
        if not paths:
            raise CommandError("give dataset files or folders to load, or --demo")
        started = time.perf_counter()
        try:
            report = load_paths(paths, replace=replace)
        except LoadWouldLose as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} thing(s) in the database would be lost; nothing was written. "
                "Add them to the files, or give --replace to remove or overwrite them (audited)"
            ) from None
        except DatasetInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s); nothing was written") from None
        except LoadRefused as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - started
        for label in report.updated:
            self.stdout.write(f"merged into {label}")
        for line in report.removed:
            self.stdout.write(line)
        if report.kept_results:
            self.stdout.write(f"kept {report.kept_results} result(s) the files do not mention")
        rows, changed = sum(report.rows.values()), sum(report.changed.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"loaded {report.organizations} organization(s), {len(report.maps)} map(s): "
                f"{rows} row(s) created, {changed} changed, {len(report.removed)} removed or overwritten "
                f"in {elapsed:.2f} s"
            )
        )
