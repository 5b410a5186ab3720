"""``stratmap worker``: the background worker that makes the report decks.

django-tasks-db's ``db_worker`` under our name, with all its options (``--batch`` to do what is
queued and stop, ``--max-tasks``, ``--interval`` …). Run one next to ``stratmap serve``: it takes the
jobs from the database one at a time, so a storm of requests queues up instead of taking the web
processes' CPU. See docs/deploy.md.
"""

from __future__ import annotations

import os
import signal
from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker


class Command(DatabaseWorker):
    help = "Run the background worker that makes the report decks (django-tasks' db_worker)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--nice",
            type=int,
            default=10,
            help="lower the worker's CPU priority by this much (10), so that pages come first on a shared machine",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # taken out, as db_worker's handle() knows no --nice
        nice: int = options.pop("nice")
        if nice > 0:
            os.nice(nice)  # a deck may wait a second; a page should not
        # db_worker takes over SIGINT/SIGTERM for a graceful stop; give them back when it returns
        # (after --batch), so a process that goes on (a test, a script) is not left with them.
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            super().handle(*args, **options)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
