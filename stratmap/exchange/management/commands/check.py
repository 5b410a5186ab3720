"""``stratmap check PATH…``: the dataset consistency report, without importing.

It refuses what ``load`` would refuse before writing (the files' errors, then what needs the database:
organization codes, rating policies and light sets, each map's ``rating``), reading the database and
writing nothing, so a clean ``check`` means the files load. It reads them as ``load`` does
(``loader.check_paths``): the organizations files, then one map file at a time, so that its memory does
not grow with the number of files.

Without paths this is Django's own ``check`` (system checks, ``--deploy``), so
both live under the one name users expect.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.core.management.commands.check import Command as DjangoCheck
from django.db import DatabaseError

from stratmap.exchange.loader import DEMO_PATHS, check_paths
from stratmap.exchange.parse import DatasetInvalid


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
            files, warnings = check_paths(paths)
        except DatasetInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s): the files would not load") from None
        except DatabaseError as exc:
            raise CommandError(
                f"the database could not be read for the checks that need it ({exc}); run stratmap migrate first"
            ) from None
        for warning in warnings:
            self.stdout.write(f"warning: {warning}")
        self.stdout.write(f"{files} file(s) checked, {len(warnings)} warning(s)")
