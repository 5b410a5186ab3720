"""``stratmap restore PATH [--replace] [--ignore-signature]``: bring back a ``stratmap backup``, all or nothing.

Restoring over live data by mistake would lose it, so restore refuses a database
that already holds anything a backup holds (stratmap data, users, groups) unless
``--replace`` is given; then it deletes that data first. The file is checked
entirely before the database is touched (see :mod:`stratmap.core.backup`):
a stratmap backup, for a schema this stratmap knows, matching its integrity
manifest and signed with this server's SECRET_KEY (``--ignore-signature`` accepts
a file from a server with another key), every object valid for its model.
Deleting and loading happen in one transaction: a restore that fails for any
reason leaves the database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.core.backup import BackupError, restore
from stratmap.core.commands import progress


class Command(BaseCommand):
    help = (
        "Restore a `stratmap backup` file into an empty, migrated database; with --replace, "
        "delete the data already there first. On any error nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--replace", action="store_true", help="delete the data already in the database, then restore"
        )
        parser.add_argument(
            "--ignore-signature",
            action="store_true",
            help="accept a backup signed with another SECRET_KEY (made on another server); "
            "its checksums and every object are still checked",
        )

    def handle(self, *args, path: Path, replace: bool, ignore_signature: bool, **options) -> None:
        try:
            with progress(self.stderr, "reading the backup") as steps:
                done = restore(path, replace=replace, ignore_signature=ignore_signature, progress=steps)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if done.deleted:
            self.stdout.write(f"deleted the {done.deleted} row(s) that were in the database")
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {done.rows} row(s) of {done.models} model(s) from {path} "
                f"(backup made {done.created} by stratmap {done.stratmap})"
            )
        )
