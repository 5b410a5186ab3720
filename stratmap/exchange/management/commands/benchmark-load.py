"""``stratmap benchmark-load``: how long loading the demo dataset takes, and how many queries.

The load runs inside a transaction that is rolled back, so the database is left
as it was. The goal for the whole demo dataset is under 5 seconds.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from stratmap.core.commands import progress
from stratmap.exchange.loader import DEMO_DATA, load_paths


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time loading the built-in demo dataset (rolled back afterwards) and print the figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=3, help="runs to make; the best and worst are printed")

    def handle(self, *args, repeat: int, **options) -> None:
        timings, queries = [], []
        with progress(self.stderr, "loading the demo", repeat) as steps:
            for _ in range(repeat):
                count = [0]

                def counter(execute, sql, params, many, context, count=count):
                    count[0] += 1
                    return execute(sql, params, many, context)

                started = time.perf_counter()
                try:
                    with connection.execute_wrapper(counter), transaction.atomic():
                        report = load_paths([DEMO_DATA])
                        raise _Rollback
                except _Rollback:
                    pass
                timings.append(time.perf_counter() - started)
                queries.append(count[0])
                steps(len(timings), repeat)
        rows = sum(report.rows.values())
        self.stdout.write(
            f"load --demo ({connection.vendor}): {len(report.maps)} maps, {rows} rows, {queries[0]} queries; "
            f"best {min(timings):.3f} s, worst {max(timings):.3f} s over {repeat} run(s)"
        )
