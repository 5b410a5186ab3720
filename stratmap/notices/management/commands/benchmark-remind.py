"""``stratmap benchmark-remind [--bureaus N] [--kpis N] [--runs N]``: ``stratmap remind`` for a whole city.

Issue 16's goal: a city of 40 bureaus × 50 KPIs with monthly periods reminded in under 10 s. The command
writes such a city (synthetic: every organization's name says so) inside a transaction it rolls back at the
end, so the database is left as it was: 40 bureaus, each a map of this year with ``--kpis`` monthly KPIs
(their values summed over the year) and two editors, a city with its administrator and a coordinator per
group of five bureaus. Every month before the last is submitted; the last month's results are due today
(``remind`` on the due date of June's, 15 July): each KPI reminds its two editors. Timed, median of
``--runs`` runs, the mail going to Django's memory backend:

- *first*: a run that makes every reminder and mails it (the notifications removed before each run);
- *again*: the same day once more, which must make and mail nothing (the idempotent run cron repeats).
"""

from __future__ import annotations

import datetime
import statistics
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings

from stratmap.core.commands import bounded
from stratmap.core.models import Membership, Organization
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.notices.models import Notification
from stratmap.notices.services import remind
from stratmap.strategy.models import Objective, StrategyMap, Theme

GOAL_SECONDS = 10.0
YEAR = 2031  # a year no real data holds
TODAY = datetime.date(YEAR, 7, 15)  # June's results of a calendar year: due 15 days after 30 June


class Rollback(Exception):
    """Raised at the end of the run so that its transaction writes nothing."""


class Command(BaseCommand):
    help = (
        "Time `stratmap remind` for a synthetic city (40 bureaus × 50 monthly KPIs by default) written in a "
        "transaction that is rolled back: the first run (every reminder made and mailed) and a second the same "
        "day (nothing made or mailed), medians of --runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bureaus", type=bounded(1, 1000), default=40, help="bureaus of the city (40)")
        parser.add_argument("--kpis", type=bounded(1, 500), default=50, help="monthly KPIs of each bureau (50)")
        parser.add_argument("--runs", type=bounded(1, 50), default=3, help="timed runs of each kind (3)")

    def handle(self, *args: Any, bureaus: int, kpis: int, runs: int, **options: Any) -> None:
        try:
            with transaction.atomic(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                people = self._city(bureaus, kpis)
                first, again, made, mailed = [], [], 0, 0
                for _ in range(runs):
                    Notification.objects.all().delete()
                    started = time.perf_counter()
                    report = remind(today=TODAY)
                    first.append(time.perf_counter() - started)
                    made, mailed = report.total, report.emailed
                    started = time.perf_counter()
                    repeat = remind(today=TODAY)
                    again.append(time.perf_counter() - started)
                    assert repeat.total == 0 and repeat.emailed == 0, "a second run made or mailed something"
                raise Rollback
        except Rollback:
            pass
        w = self.stdout.write
        w(
            f"a synthetic city of {bureaus} bureaus × {kpis} monthly KPIs ({bureaus * kpis * 12:,} KPI-months), "
            f"{people} people; remind on {TODAY}: {made:,} notifications made, {mailed:,} emails"
        )
        w(f"first run:  median {statistics.median(first):.2f} s of {runs} ({', '.join(f'{t:.2f}' for t in first)})")
        w(f"second run: median {statistics.median(again):.2f} s of {runs} (made and mailed nothing)")
        verdict = "met" if statistics.median(first) < GOAL_SECONDS else "NOT met"
        w(f"goal: under {GOAL_SECONDS:.0f} s for the first run: {verdict}")

    @staticmethod
    def _city(bureaus: int, kpis: int) -> int:
        """Write the synthetic city; the number of people made."""
        city = Organization.objects.create(
            code="bench-remind-city", name="Synthetic city (benchmark-remind)", kind=Organization.Kind.CITY,
            language="en", year_start_month=1,
        )  # fmt: skip
        orgs = Organization.objects.bulk_create(
            Organization(
                code=f"bench-remind-b{i:03d}", name=f"Synthetic bureau {i} (benchmark-remind)",
                kind=Organization.Kind.BUREAU, parent=city, language="en", year_start_month=1,
            )
            for i in range(bureaus)
        )  # fmt: skip
        groups = orgs[::5]  # a coordinating bureau for each five
        maps = StrategyMap.objects.bulk_create(
            StrategyMap(organization=o, year=YEAR, in_force=True, published=True) for o in orgs
        )
        themes = Theme.objects.bulk_create(
            Theme(map=m, code="A", name="Synthetic theme", order=1, group=groups[i // 5]) for i, m in enumerate(maps)
        )
        objectives = Objective.objects.bulk_create(
            Objective(map=m, theme=t, code="A1", name="Synthetic objective", order=1)
            for m, t in zip(maps, themes, strict=True)
        )
        made = Kpi.objects.bulk_create(
            Kpi(
                objective=o, code=f"A1.{k + 1}", name=f"Synthetic KPI {k + 1}", frequency=Kpi.Frequency.MONTHLY,
                aggregation="sum", order=k + 1,
            )
            for o in objectives
            for k in range(kpis)
        )  # fmt: skip
        Kpi.agencies.through.objects.bulk_create(
            Kpi.agencies.through(kpi_id=kpi.pk, organization_id=orgs[i // kpis].pk) for i, kpi in enumerate(made)
        )
        KpiResult.objects.bulk_create(
            KpiResult(kpi=kpi, year=YEAR, period=f"M{month:02d}", actual=1, status=KpiResult.Status.SUBMITTED)
            for kpi in made
            for month in range(1, 6)
        )
        User = get_user_model()
        password = make_password(None)  # nobody logs in as them
        users = User.objects.bulk_create(
            [User(username=f"bench-remind-{o.code}-{n}", email=f"{o.code}-{n}@example.org", password=password)
             for o in orgs for n in range(2)]
            + [User(username=f"bench-remind-coordinator-{g.code}", email=f"{g.code}-c@example.org", password=password)
               for g in groups]
            + [User(username="bench-remind-office", email="office@example.org", password=password)]
        )  # fmt: skip
        Role = Membership.Role
        memberships = [
            Membership(user=users[2 * i + n], organization=o, role=Role.EDITOR)
            for i, o in enumerate(orgs)
            for n in range(2)
        ]
        memberships += [
            Membership(user=users[2 * len(orgs) + j], organization=g, role=Role.COORDINATOR)
            for j, g in enumerate(groups)
        ]
        memberships.append(Membership(user=users[-1], organization=city, role=Role.ADMINISTRATOR))
        Membership.objects.bulk_create(memberships)
        return len(users)
