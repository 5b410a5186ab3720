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

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandParser

from stratmap.settings import _whole_number


def default_workers() -> int:
    """gunicorn's advice, (2 × CPUs) + 1, kept to 8: the pages are light now that no deck is made in them."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


class Command(BaseCommand):
    help = "Serve stratmap with gunicorn: STRATMAP_BIND (127.0.0.1:8000), STRATMAP_WORKERS processes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default=os.environ.get("STRATMAP_BIND", "127.0.0.1:8000"), help="address:port (STRATMAP_BIND)"
        )
        try:
            workers = _whole_number("STRATMAP_WORKERS", default_workers())
        except ImproperlyConfigured as error:
            # The parser's error is one line naming the variable (a CommandError when called from
            # code), not a traceback: the parser is built before Django catches a command's errors.
            parser.error(str(error))
        if workers < 1:
            parser.error("STRATMAP_WORKERS=0: gunicorn needs at least one worker (see docs/deploy.md)")
        parser.add_argument(
            "--workers",
            type=int,
            default=workers,
            help="worker processes (STRATMAP_WORKERS; default (2 × CPUs) + 1, at most 8)",
        )

    def handle(self, *args, bind: str, workers: int, **options) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "stratmap.wsgi:application",
            "--bind", bind,
            "--workers", str(workers),
            "--access-logfile", "-",  # standard output
            "--error-logfile", "-",  # standard error
            # gunicorn's control socket lives in the home folder, one per user: two servers on one
            # machine (a smoke test next to the real one) would fight over it, and nothing uses it.
            "--no-control-socket",
        ]  # fmt: skip
        self.stdout.write(f"stratmap: serving http://{bind}/ with {workers} gunicorn workers")
        self.stdout.flush()
        # Our defaults go first in GUNICORN_CMD_ARGS, so that the site's own settings there come after
        # and win (gunicorn lets its command line override that variable, not the other way round).
        os.environ["GUNICORN_CMD_ARGS"] = f"--timeout 60 {os.environ.get('GUNICORN_CMD_ARGS', '')}".strip()
        # gunicorn takes this process over: signals (a stop, a reload) reach it directly.
        os.execv(sys.executable, command)
