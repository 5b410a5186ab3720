"""``stratmap serve``: the production web server, gunicorn running stratmap's WSGI application.

It binds ``STRATMAP_BIND`` (default ``127.0.0.1:8000``: behind a reverse proxy on the same
machine) with ``STRATMAP_WORKERS`` processes, writes the access log to standard output and
errors, with their tracebacks, to standard error. Any other gunicorn setting can be given in
``GUNICORN_CMD_ARGS`` (gunicorn reads it itself). The report decks are made by ``stratmap
worker``, which runs next to it. See docs/deploy.md.
"""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandParser


def default_workers() -> int:
    """gunicorn's advice, (2 × CPUs) + 1, kept to 8: the pages are light now that no deck is made in them."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


class Command(BaseCommand):
    help = "Serve stratmap with gunicorn: STRATMAP_BIND (127.0.0.1:8000), STRATMAP_WORKERS processes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default=os.environ.get("STRATMAP_BIND", "127.0.0.1:8000"), help="address:port (STRATMAP_BIND)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("STRATMAP_WORKERS") or default_workers()),
            help="worker processes (STRATMAP_WORKERS; default (2 × CPUs) + 1, at most 8)",
        )

    def handle(self, *args, bind: str, workers: int, **options) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "stratmap.wsgi:application",
            "--bind", bind,
            "--workers", str(workers),
            "--access-logfile", "-",  # standard output
            "--error-logfile", "-",  # standard error
            "--timeout", "60",
            # gunicorn's control socket lives in the home folder, one per user: two servers on one
            # machine (a smoke test next to the real one) would fight over it, and nothing uses it.
            "--no-control-socket",
        ]  # fmt: skip
        self.stdout.write(f"stratmap: serving http://{bind}/ with {workers} gunicorn workers")
        self.stdout.flush()
        # gunicorn takes this process over: signals (a stop, a reload) reach it directly.
        os.execv(sys.executable, command)
