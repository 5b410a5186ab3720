"""``stratmap benchmark-scale --cities N``: load N synthetic cities into the current database and time its pages.

Issue 13's benchmark, which its other parts are measured with. It writes N cities shaped like Taipei's
(:mod:`stratmap.exchange.synthetic`: a city map of 8 themes and 40 bureaus' maps of 30–60 KPIs each, for
10 years: about 20,000 KPI-years and 120,000 plan tasks a city), loads them as ``stratmap load FOLDER``
does, and prints the load's wall and CPU time and the process's peak memory. Then, for each page type,
as the public, an administrator of the first city or an editor of its first bureau, it asks Django's
test client for the page (once to warm up, then ``--runs`` times) and prints the median server time, the
query count, the peak memory Python allocated during the request (tracemalloc, on a run of its own since
tracing slows it) and the time the SELECTs of the first request take alone (captured, then executed again
with a cursor, their rows fetched: median of ``--runs``): the SQL of the rows the page shows, as the request
that renders it asks for them (the later requests may be given the page kept for their reader,
:mod:`stratmap.web.pagecache`), with the ratio of the page to them: what a page costs above fetching.
A page that fails is a row of the table ("500: …"), not the end of the run.

The synthetic data stays in the database: the command refuses one that holds organizations already
unless ``--force``; ``--loaded`` writes and loads nothing and times the pages of the cities an earlier run
left (given the same sizes). The two people it logs in as are made for the run and removed after it. Figures are
printed, never asserted: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.utils import override_settings
from django.utils import translation

from stratmap.core.commands import bounded
from stratmap.core.models import Membership, Organization
from stratmap.exchange.synthetic import Shape, bureau_code, city_code, write
from stratmap.kpis.models import Kpi
from stratmap.strategy.models import StrategyMap

#: Page type → the roles that ask for it (the public, an administrator of the first city, an editor of
#: its first bureau) and its address, made from the maps measured.
ROLES: dict[str, tuple[str, ...]] = {
    "home": ("public", "admin"),
    "due": ("admin", "editor"),
    "map": ("public", "admin"),
    "scorecard": ("public", "admin"),
    "kpi": ("public", "admin"),
    "plans": ("public", "admin"),
    "cascade": ("public", "admin"),
    "theme": ("public", "admin"),
    "workbook": ("admin", "editor"),
    "scorecard.xlsx": ("public", "admin"),
}
PAGES = tuple(ROLES)
USERS = {"admin": "benchmark-scale-admin", "editor": "benchmark-scale-editor"}


def page_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in ROLES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{value!r}: expected page types among {', '.join(PAGES)}, comma-separated")
    return names


def peak_rss_mb() -> float:
    """The process's peak resident set so far (Linux gives KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


@dataclass
class Row:
    page: str
    role: str
    url: str
    status: str = ""
    first_ms: float | None = None
    median_ms: float | None = None
    queries: int | None = None
    peak_mb: float | None = None
    raw_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.median_ms is None or not self.raw_ms:
            return None
        return self.median_ms / self.raw_ms


Statement = tuple[str, Any]


def _get(client: Client, url: str) -> HttpResponseBase:
    response = client.get(url)
    if response.streaming:  # a download sent in parts is made while it is read
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response


def _status(response: HttpResponseBase) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} → {response.get('Location', '')}"
    return str(response.status_code)


def _replay(statements: list[Statement]) -> float:
    """Seconds the SELECTs take again on their own, each row fetched."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()
    return time.perf_counter() - started


class Command(BaseCommand):
    help = (
        "Write and load N synthetic cities into the current database (refused if it holds data, unless "
        "--force), print the load's time and memory, then each page type's median server time, queries, "
        "peak memory and ratio to its raw SQL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Shape()
        parser.add_argument("--cities", type=bounded(1, 999), default=1, help="synthetic cities to load (1)")
        parser.add_argument(
            "--bureaus", type=bounded(1, 99), default=defaults.bureaus, help="bureaus of each city (40)"
        )
        parser.add_argument(
            "--kpis",
            type=bounded(2, 400),
            default=defaults.kpis,
            help="the most KPIs a bureau's map holds; each holds from half of it (60: 30–60)",
        )
        parser.add_argument("--years", type=bounded(1, 50), default=defaults.years, help="years of maps (10)")
        parser.add_argument("--seed", type=int, default=defaults.seed, help="the generator's seed (13)")
        parser.add_argument(
            "--pages",
            type=page_names,
            default=list(PAGES),
            help=f"page types to time, comma-separated (all: {','.join(PAGES)})",
        )
        parser.add_argument("--runs", type=bounded(1, 1000), default=5, help="timed requests per page (5)")
        parser.add_argument(
            "--keep", type=Path, metavar="DIR", help="write the dataset files to DIR (new or empty) and keep them"
        )
        parser.add_argument(
            "--force", action="store_true", help="load into a database that holds data already (they stay)"
        )
        parser.add_argument(
            "--loaded",
            action="store_true",
            help="write and load nothing: time the pages of the cities an earlier run loaded (the same sizes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        shape = Shape(
            cities=options["cities"],
            bureaus=options["bureaus"],
            kpis=options["kpis"],
            years=options["years"],
            seed=options["seed"],
        )
        if problems := shape.problems():
            raise CommandError("; ".join(problems))
        if options["loaded"]:
            # Loading twenty cities takes many minutes; the pages are timed again after a change without it.
            self._check_loaded(shape)
            self.stdout.write(f"database: {connection.vendor} {connection.settings_dict['NAME']}; pages only")
            self._table(self._pages(shape, options["pages"], options["runs"]), options["runs"])
            return
        keep: Path | None = options["keep"]
        if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise CommandError(f"--keep {keep}: not an empty folder; the dataset files go to a new or empty one")
        self._check_empty(options["force"])
        self.stdout.write(
            f"database: {connection.vendor} {connection.settings_dict['NAME']}; {shape.cities} synthetic "
            f"{'city' if shape.cities == 1 else 'cities'} of {shape.bureaus} bureaus, up to {shape.kpis} KPIs a "
            f"bureau map, {shape.years} years, seed {shape.seed}"
        )
        folder = keep or Path(tempfile.mkdtemp(prefix="stratmap-scale-"))
        try:
            written = write(folder, shape)
            self.stdout.write(f"written in {written.seconds:.1f} s: {written}; loading …")
            self._load(folder)
        finally:
            if keep is None:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                self.stdout.write(f"the dataset files are kept in {keep}")
        rows = self._pages(shape, options["pages"], options["runs"])
        self._table(rows, options["runs"])

    # --- the database and the load ----------------------------------------------------------------

    def _check_empty(self, force: bool) -> None:
        try:
            organizations = Organization.objects.count()
        except DatabaseError as error:
            raise CommandError(f"the database cannot be read ({error}); run `stratmap migrate` on it first") from None
        if organizations and not force:
            raise CommandError(
                f"the database ({connection.vendor} {connection.settings_dict['NAME']}) holds {organizations} "
                "organization(s) already, and benchmark-scale loads synthetic cities into it and leaves them "
                "there: run it on a scratch database (e.g. DATABASE_URL=sqlite:////tmp/stratmap-scale.sqlite3, "
                "then `stratmap migrate`), or give --force to add them anyway"
            )

    def _check_loaded(self, shape: Shape) -> None:
        wanted = {city_code(1), bureau_code(1, 1)}
        missing = sorted(wanted - set(Organization.objects.filter(code__in=wanted).values_list("code", flat=True)))
        if missing:
            raise CommandError(
                f"--loaded: the database holds no synthetic {', '.join(missing)}; load the cities first "
                "(`stratmap benchmark-scale --cities N` without --loaded)"
            )

    def _load(self, folder: Path) -> None:
        before = peak_rss_mb()
        out, err = io.StringIO(), io.StringIO()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            call_command("load", str(folder), stdout=out, stderr=err)
        except CommandError as error:
            raise CommandError(f"the synthetic cities did not load: {error}\n{err.getvalue()[:2000]}") from None
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        said = out.getvalue().strip().splitlines()
        peak = peak_rss_mb()
        self.stdout.write(
            f"load: {wall:.1f} s by the clock, {cpu:.1f} s CPU (this process); peak memory (getrusage maxrss) "
            f"{peak:.0f} MB, {peak - before:.0f} MB above the {before:.0f} MB before the load"
        )
        if said:
            self.stdout.write(f"  stratmap load said: {said[-1]}")

    # --- the pages --------------------------------------------------------------------------------

    def _people(self, city: str, bureau: str) -> dict[str, Any]:
        orgs = {o.code: o for o in Organization.objects.filter(code__in=(city, bureau))}
        people = {}
        for role, organization, membership in (
            ("admin", city, Membership.Role.ADMINISTRATOR),
            ("editor", bureau, Membership.Role.EDITOR),
        ):
            user, _created = get_user_model().objects.get_or_create(username=USERS[role])
            user.set_unusable_password()
            user.save()
            Membership.objects.get_or_create(user=user, organization=orgs[organization], role=membership)
            people[role] = user
        return people

    def _addresses(self, shape: Shape) -> tuple[dict[str, str], str]:
        """Each page type's address, on the first city's map of the last year whose results are all
        published (the year before the current cycle), and what was chosen, said in a line."""
        city, bureau = city_code(1), bureau_code(1, 1)
        year = shape.last_year - 1 if shape.years > 1 else shape.last_year
        maps = {
            m.organization.code: m
            for m in StrategyMap.objects.select_related("organization").filter(
                organization__code__in=(city, bureau), year=year, in_force=True
            )
        }
        if city not in maps or bureau not in maps:
            raise CommandError(f"the maps of {city} and {bureau} for {year} are not in the database after the load")
        cited = (
            Kpi.objects.filter(objective__map__organization__parent__code=city, objective__map__year=year)
            .exclude(cites="")
            .values("cites")
            .annotate(n=Count("id"))
            .order_by("-n", "cites")
            .first()
        )
        kpi, citing = (cited["cites"], cited["n"]) if cited else ("AC1.1", 0)
        # The addresses without a language prefix are the default language's, and so are their years.
        with translation.override(settings.LANGUAGE_CODE):
            base, own = f"/{city}/{maps[city].url_year}", f"/{bureau}/{maps[bureau].url_year}"
        addresses = {
            "home": "/",
            "due": "/due/",
            "map": f"{base}/",
            "scorecard": f"{base}/scorecard/",
            "kpi": f"{base}/kpis/{kpi}/",
            "plans": f"{base}/plans/",
            "cascade": f"{base}/cascade/",
            "theme": f"{base}/themes/A/",
            "workbook": f"{own}/workbook.xlsx?agency={bureau}",
            "scorecard.xlsx": f"{base}/scorecard.xlsx",
        }
        said = (
            f"pages of {city}'s map of {year} (the last year with every result published): KPI {kpi} "
            f"(cited by {citing} bureau KPIs), theme A; the workbook of {bureau}'s map; as the public, "
            f"an administrator of {city} and an editor of {bureau}"
        )
        return addresses, said

    def _pages(self, shape: Shape, pages: list[str], runs: int) -> list[Row]:
        addresses, said = self._addresses(shape)
        self.stdout.write(said)
        people = self._people(city_code(1), bureau_code(1, 1))
        clients = {"public": Client()}
        for role, user in people.items():
            clients[role] = Client()
            clients[role].force_login(user)
        rows = []
        try:
            with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
                for page in pages:
                    for role in ROLES[page]:
                        row = Row(page, role, addresses[page])
                        try:
                            self._measure(clients[role], row, runs)
                        except Exception as error:  # a benchmark reports a failing page and goes on
                            message = (str(error).splitlines() or [""])[0][:80]
                            row.status = f"500: {type(error).__name__}: {message}"
                        rows.append(row)
                        if self.stderr.isatty():  # progress on a terminal only
                            self.stderr.write(f"  {page} as {role}: {row.status} ({row.median_ms or 0:.0f} ms)")
        finally:
            for role in people:
                clients[role].logout()
            get_user_model().objects.filter(username__in=USERS.values()).delete()
        return rows

    @staticmethod
    def _measure(client: Client, row: Row, runs: int) -> None:
        statements: list[tuple[str, Any, bool]] = []

        def capture(execute, sql, params, many, context):
            statements.append((sql, params, many))
            return execute(sql, params, many, context)

        # The first request warms templates and caches (shown apart) and renders the page: its SELECTs fetch
        # the rows the page shows, whether later requests are given the page kept for their reader or not.
        started = time.perf_counter()
        with connection.execute_wrapper(capture):
            response = _get(client, row.url)
        row.first_ms = (time.perf_counter() - started) * 1000
        selects = [
            (sql, params)
            for sql, params, many in statements
            if not many and sql.lstrip()[:6].upper() in ("SELECT", "WITH")
        ]
        if response.status_code != 200:
            row.status = _status(response)
            return
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = _get(client, row.url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                row.status = _status(response)
                return
        row.median_ms = statistics.median(timings)

        statements.clear()
        with connection.execute_wrapper(capture):
            _get(client, row.url)
        row.queries = len(statements)

        tracemalloc.start()
        try:
            _get(client, row.url)
            row.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()

        row.raw_ms = statistics.median(_replay(selects) for _ in range(runs)) * 1000
        row.status = "200"

    def _table(self, rows: list[Row], runs: int) -> None:
        def figure(value: float | int | None, digits: int = 1) -> str:
            if value is None:
                return "–"
            return str(value) if isinstance(value, int) else f"{value:.{digits}f}"

        w = self.stdout.write
        w("")
        w(
            f"median of {runs} run(s) after one to warm up (first ms); peak MB: what Python allocated during "
            "the request (tracemalloc); raw SQL ms: the SELECTs of the page's first request (which renders it: "
            "the later ones may be given the page kept for their reader, see web.pagecache) executed again with a "
            "cursor and their rows fetched (median)"
        )
        header = (
            f"{'page':<15} {'as':<7} {'status':<7} {'first ms':>9} {'median ms':>10} {'queries':>8} "
            f"{'peak MB':>8} {'raw SQL ms':>11} {'page/raw':>9}  address"
        )
        w(header)
        w("-" * len(header))
        for row in rows:
            ratio = row.ratio
            line = (
                f"{row.page:<15} {row.role:<7} {row.status if row.status == '200' else 'error':<7} "
                f"{figure(row.first_ms):>9} {figure(row.median_ms):>10} {figure(row.queries):>8} "
                f"{figure(row.peak_mb):>8} {figure(row.raw_ms, 2):>11} "
                f"{(figure(ratio) + '×') if ratio is not None else '–':>9}  {row.url}"
            )
            w(line)
            if row.status != "200":
                w(f"{'':<15} {'':<7} {row.status}")
        w(f"peak memory of the whole process (getrusage maxrss): {peak_rss_mb():.0f} MB")
