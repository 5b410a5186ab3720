"""``stratmap backup PATH``: save the whole database in one file that ``stratmap restore`` brings back.

The dataset files (``stratmap dump``) hold maps, not what people did with them:
users, their roles, the KPI results they entered and the audit trail of every
change. A backup holds all of it, so a server can be rebuilt or moved. What is
saved, the file's format and its integrity manifest are described in
:mod:`stratmap.core.backup` and docs/backup.md.

The file is written to a temporary file beside PATH and renamed over it only
when complete, so a failed backup leaves no half file and keeps the old backup.
It holds password hashes: it is created readable by its owner only.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from stratmap.core.backup import backup_document, encode, unapplied_migrations, write_atomically
from stratmap.core.commands import progress


class Command(BaseCommand):
    help = (
        "Save all stratmap data, users and groups with their permissions, and the audit trail "
        "in one JSON file that `stratmap restore` loads, signed with this server's SECRET_KEY. "
        "PATH '-' writes to standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file to write (replaced if it exists), or - for standard output")

    def handle(self, *args, path: str, **options) -> None:
        target = None if path == "-" else Path(path)
        if target is not None and not target.parent.is_dir():
            raise CommandError(f"cannot write {target}: folder {target.parent} does not exist")
        pending = unapplied_migrations()
        if pending:
            raise CommandError(f"the database lacks migration {pending[0]}: run `stratmap migrate` first")
        with progress(self.stderr, "reading the tables") as steps:
            try:
                document = backup_document(progress=steps)
            except DatabaseError as exc:
                raise CommandError(f"cannot read the database: {exc}") from None
            steps.step("writing the backup")
            text = encode(document)
            if target is None:
                out = getattr(self.stdout, "buffer", None)
                if out is not None:
                    out.write(text.encode("utf-8"))
                    out.flush()
                else:
                    self.stdout.write(text, ending="")
                report = self.stderr
            else:
                try:
                    write_atomically(target, text)
                except OSError as exc:
                    raise CommandError(f"cannot write {target}: {exc.strerror or exc}; no backup was written") from None
                report = self.stdout
        counts = document["counts"]
        report.write(
            self.style.SUCCESS(
                f"backed up {sum(counts.values())} row(s) of {len(counts)} model(s) to {target or 'standard output'}"
            )
        )
