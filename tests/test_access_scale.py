"""Issue 13: what the access module does for a request is bounded by what the request asks about.

Every page of a logged-in person asks ``stratmap.access`` what the person may read, enter or review. The
answers come from the person's own organizations (found down the tree from its memberships) and from the
maps the page is about, never from every organization, map or KPI of the database. Checked on tiny
synthetic cities (``stratmap.exchange.synthetic``): the people's city and one other, then ten others
(city N is the same whatever the number of cities), the others' current maps unpublished: each page runs
the same queries, each fetching the same rows, and on SQLite each query takes the same number of steps of
SQLite's virtual machine, which a query reading every map or KPI would not. (One other city from the
start, so that the people's rows are not the last of any index in either database: a search that ends at
the end of an index takes a step fewer.)
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client

from stratmap.access import Access
from stratmap.core.models import Membership, Organization
from stratmap.exchange.synthetic import Shape, write
from stratmap.kpis.models import Kpi
from stratmap.strategy.models import StrategyMap

pytestmark = pytest.mark.django_db

TINY = Shape(cities=11, bureaus=2, kpis=4, years=2)
CURRENT = TINY.last_year  # the cycle under way: results in draft, submitted, approved or published
#: The people: (username, organization, role).
PEOPLE = [
    ("editor", "syn1-b01", Membership.Role.EDITOR),
    ("coordinator", "syn1-group-a", Membership.Role.COORDINATOR),
    ("bureau-admin", "syn1-b02", Membership.Role.ADMINISTRATOR),
    ("city-admin", "syn1", Membership.Role.ADMINISTRATOR),
]
#: A query as replayed: its SQL, the rows it fetched and (on SQLite) its virtual machine's steps.
Replayed = tuple[str, int, int]


def load(folder: Path, cities: range) -> None:
    call_command("load", *(str(folder / f"syn{n}") for n in cities), stdout=io.StringIO())


def unpublish_others() -> None:
    """Others' maps of the current cycle unpublished: maps the people may not read, which a rule testing
    every map would have to look into."""
    others = StrategyMap.objects.exclude(organization__code="syn1").exclude(organization__code__startswith="syn1-")
    others.filter(year=CURRENT).update(published=False)


def cited_kpi() -> str:
    """A KPI of the first city's current map that bureau KPIs cite: its page reads theirs too."""
    return (
        Kpi.objects.filter(objective__map__organization__parent__code="syn1", objective__map__year=CURRENT)
        .exclude(cites="")
        .values_list("cites", flat=True)
        .order_by("cites")
        .first()
    ) or "AC1.1"


def addresses() -> list[str]:
    city, bureau = f"/en/syn1/{CURRENT}", f"/en/syn1-b01/{CURRENT}"
    return [f"{city}/kpis/{cited_kpi()}/", f"{city}/", f"{city}/scorecard/", f"{city}/themes/A/", f"{bureau}/"]


@contextmanager
def captured() -> Iterator[list[tuple[str, object]]]:
    """The statements run inside, with their parameters."""
    statements: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        yield statements


def steps_counter():
    """Counts SQLite's virtual machine steps (one call of the handler per step) while installed."""
    counted = [0]

    def step() -> int:
        counted[0] += 1
        return 0  # go on

    return counted, step


def replay(statements: list[tuple[str, object]]) -> list[Replayed]:
    """Each SELECT run again alone: the rows it fetches and, on SQLite, the steps it takes."""
    replayed = []
    raw = connection.connection if connection.vendor == "sqlite" else None
    with connection.cursor() as cursor:
        for sql, params in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            counted, step = steps_counter()
            if isinstance(raw, sqlite3.Connection):
                raw.set_progress_handler(step, 1)
            try:
                cursor.execute(sql, params)
                rows = len(cursor.fetchall())
            finally:
                if isinstance(raw, sqlite3.Connection):
                    raw.set_progress_handler(None, 1)
            replayed.append((sql, rows, counted[0]))
    return replayed


def pages(clients: dict[str, Client]) -> dict[tuple[str, str], list[Replayed]]:
    """Every address as every person, each query replayed."""
    seen = {}
    for person, client in clients.items():
        for address in addresses():
            client.get(address)  # warm: the first request of a session may do more
            with captured() as statements:
                response = client.get(address)
            assert response.status_code == 200, (person, address)
            seen[(person, address)] = replay(statements)
    return seen


def test_an_insiders_pages_read_nothing_more_when_ten_times_the_organizations_and_maps_exist(tmp_path):
    write(tmp_path, TINY)
    load(tmp_path, range(1, 3))
    unpublish_others()
    clients = {}
    for username, organization, role in PEOPLE:
        user = get_user_model().objects.create_user(username)
        Membership.objects.create(user=user, organization=Organization.objects.get(code=organization), role=role)
        clients[username] = Client()
        clients[username].force_login(user)
    alone = pages(clients)
    a_city = StrategyMap.objects.count() // 2

    load(tmp_path, range(3, TINY.cities + 1))
    unpublish_others()
    assert StrategyMap.objects.count() == TINY.cities * a_city
    among_many = pages(clients)

    grew = []
    for (person, address), queries in alone.items():
        more = among_many[(person, address)]
        assert [sql for sql, _rows, _steps in more] == [sql for sql, _rows, _steps in queries], (person, address)
        for (sql, rows, steps), (_sql, rows_before, steps_before) in zip(more, queries, strict=True):
            if (rows, steps) != (rows_before, steps_before):
                grew.append(f"{person} {address}: {rows_before}→{rows} rows, {steps_before}→{steps} steps: {sql[:300]}")
    assert not grew, "\n".join(grew)


def test_the_access_of_an_insider_asks_about_its_own_organizations_in_one_query(tmp_path):
    write(tmp_path, TINY)
    load(tmp_path, range(1, 4))
    user = get_user_model().objects.create_user("editor")
    bureau = Organization.objects.get(code="syn1-b01")
    Membership.objects.create(user=user, organization=bureau, role=Membership.Role.EDITOR)
    access = Access(user)
    with captured() as statements:
        assert access.organizations(Membership.Role.EDITOR) == {bureau.pk}
        assert access.is_administrator("syn1-b01") is False and access.reads_unpublished("syn1-b01") is True
        assert access.reads_unpublished("syn2") is False
    (only,) = replay(statements)
    assert only[1] == 1  # its one membership's organization, which has no descendants
