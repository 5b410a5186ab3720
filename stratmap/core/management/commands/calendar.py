"""``stratmap calendar load FILE [--organization CODE] [--reason TEXT]``: load or replace a holiday calendar
(days off and make-up working days) from a file, all or nothing, audited; see :mod:`stratmap.core.calendars`."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.access import SYSTEM
from stratmap.core.calendars import CalendarFileInvalid, calendar_load, read_calendar_file
from stratmap.core.models import Organization


class Command(BaseCommand):
    help = (
        "Load a holiday calendar (its days off and make-up working days) from a YAML file, replacing the days "
        "of the calendar of that code: all or nothing, each change in the audit trail. "
        "Files: stratmap/data/calendars/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load"], help="load: load or replace a calendar from FILE")
        parser.add_argument("file", type=Path, help="the calendar file (YAML)")
        parser.add_argument(
            "--organization",
            metavar="CODE",
            default=None,
            help="the organization whose own calendar this is (default: a national calendar, of no organization)",
        )
        parser.add_argument(
            "--reason", default="loaded from a file", help="why, kept in the audit trail with the change"
        )

    def handle(self, *args, action: str, file: Path, organization: str | None, reason: str, **options) -> None:
        owner = None
        if organization is not None:
            owner = Organization.objects.filter(code=organization).first()
            if owner is None:
                raise CommandError(f"--organization {organization!r}: no organization has that code")
        try:
            data = read_calendar_file(file)
            done = calendar_load(access=SYSTEM, data=data, reason=reason, organization=owner)
        except CalendarFileInvalid as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} error(s); nothing was written") from None
        except (ValidationError, PermissionDenied) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"{file}: {text}; nothing was written") from None
        verb = "created" if done.created else "replaced the days of"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} calendar {done.calendar.code} ({done.calendar.name}): {done.added} day(s) added, "
                f"{done.changed} changed, {done.removed} removed"
            )
        )
