"""``stratmap check PATH…``: the dataset consistency report, without importing.

Without paths this is Django's own ``check`` (system checks, ``--deploy``), so
both live under the one name users expect.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.core.management.commands.check import Command as DjangoCheck

from stratmap.exchange.consistency import check_files
from stratmap.exchange.loader import DEMO_PATHS
from stratmap.exchange.parse import DatasetInvalid, parse_paths


class Command(DjangoCheck):
    help = (
        "With dataset files or folders (or --demo): print a consistency report of their oddities "
        "without importing. Otherwise: Django's system checks."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--demo",
            action="store_true",
            help="report on the built-in demo datasets (Taipei's and an invented council's)",
        )

    def handle(self, *args, **options):
        paths = [Path(a) for a in args if Path(a).exists() or a.endswith((".yaml", ".yml"))]
        if not (paths or options["demo"]):
            return super().handle(*args, **options)
        if options["demo"]:
            paths[:0] = DEMO_PATHS
        try:
            files = parse_paths(paths)
        except DatasetInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s): the files would not load") from None
        warnings = check_files(files)
        for warning in warnings:
            self.stdout.write(f"warning: {warning}")
        self.stdout.write(f"{len(files)} file(s) checked, {len(warnings)} warning(s)")
