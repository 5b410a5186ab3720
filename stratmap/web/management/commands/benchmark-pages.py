"""``stratmap benchmark-pages``: server time and queries of every page type on the demo data.

The demo dataset is loaded inside a transaction that is rolled back, so the
database is left as it was. Goals: every page under 100 ms, the city strategy
map's SVG under 50 ms.
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from stratmap.access import SYSTEM
from stratmap.exchange.loader import DEMO_DATA, load_paths
from stratmap.kpis.presenters import map_spec
from stratmap.strategy import diagram
from stratmap.strategy.models import StrategyMap

PAGES = [
    "/",
    "/taipei/108/",
    "/taipei/108/themes/D/",
    "/taipei/108/scorecard/",
    "/taipei/108/scorecard.csv",
    "/taipei/108/kpis/DP5.1/",
    "/taipei/109/plans/",
    "/taipei-doed/110/tows/",
    "/taipei/110/cascade/",
    "/taipei/109/revisions/",
    "/en/taipei/2019/",
    # The API's lists and details (stratmap/api), as the public reads them.
    "/api/v1/organizations",
    "/api/v1/maps",
    "/api/v1/maps/taipei/108",
    "/api/v1/maps/taipei/108/kpis",
    "/api/v1/maps/taipei/108/kpis/DP5.1",
    "/api/v1/maps/taipei/108/results",
    "/api/v1/maps/taipei/109/plans",
    "/api/v1/maps/taipei/109/plans/DC1.2.1",
    "/api/v1/maps/taipei-doed/110/tows",
    "/api/v1/maps/taipei/109/revisions",
]


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time every page type on the demo data (rolled back afterwards) and print the figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=20, help="requests per page; the median is printed")

    def handle(self, *args, repeat: int, **options) -> None:
        try:
            with transaction.atomic(), override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
                load_paths([DEMO_DATA])
                self.run(repeat)
                raise _Rollback
        except _Rollback:
            pass

    def run(self, repeat: int) -> None:
        client = Client()
        self.stdout.write(f"{'page':40} {'median ms':>10} {'max ms':>8} {'queries':>8}")
        for path in PAGES:
            client.get(path)  # warm up templates and caches
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            self.stdout.write(f"{path:40} {statistics.median(timings):10.1f} {max(timings):8.1f} {len(queries):8d}")
        smap = StrategyMap.objects.select_related("organization").get(organization__code="taipei", year=2019)
        spec = map_spec(smap, access=SYSTEM)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            diagram.render_svg(spec)
            timings.append((time.perf_counter() - started) * 1000)
        self.stdout.write(
            f"city map SVG layout+render ({len(spec.objectives)} objectives): median "
            f"{statistics.median(timings):.1f} ms, max {max(timings):.1f} ms (goal < 50 ms)"
        )
