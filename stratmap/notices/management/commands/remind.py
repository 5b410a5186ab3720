"""``stratmap remind [--today YYYY-MM-DD] [--no-mail]``: make and send what is due now (issue 16 item 2).

Run it from cron (say every hour) or the background worker; it is idempotent: run twice, it makes and sends
nothing the second time (:mod:`stratmap.notices.services`)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from stratmap.notices.services import remind


def day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today {value!r}: expected a date as YYYY-MM-DD, e.g. 2024-10-08") from None


class Command(BaseCommand):
    help = (
        "Make the notifications due today (reminders before, on and after a result's due date, escalation to the "
        "theme coordinator and the evaluation office, review notices, early warnings, the weekly digest) and email "
        "those not yet emailed. Run twice, it sends nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=day, default=None, help="the day to remind as of, YYYY-MM-DD (default: today)"
        )
        parser.add_argument(
            "--no-mail", action="store_true", help="make the notifications in the app, email none of them"
        )

    def handle(self, *args, today: datetime.date | None, no_mail: bool, **options) -> None:
        report = remind(today=today or timezone.localdate(), send=not no_mail)
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.made.items())) or "none"
        self.stdout.write(f"made {report.total} notification(s) ({kinds}); emailed {report.emailed}")
