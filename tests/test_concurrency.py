"""Ten people saving the same thing at the same moment: one save wins, the nine others are told
someone was first (409), and nobody gets a server error or loses an update.

The clients are threads, each with its own database connection, posting to the real pages at
once. The test runs on whatever the settings say: SQLite by default (a file, so that every
connection shares it; see DATABASES["default"]["TEST"]) and PostgreSQL with DATABASE_URL.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client

from stratmap.core.models import AuditEvent
from stratmap.kpis.models import KpiResult
from stratmap.plans.models import ActionPlan

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 10
ROUNDS = 4
RESULT = "/taipei/109/kpis/DP5.1/result/"
PROGRESS = "/taipei/109/plans/DP5.1.1/progress/"


def race(clients: list[Client], path: str, payloads: list[dict]) -> list[object]:
    """Post each payload with its client, all released at the same instant; the status codes, or the errors."""
    start = threading.Barrier(len(clients), timeout=60)
    outcomes: list[object] = [None] * len(clients)

    def post(index: int) -> None:
        try:
            start.wait()
            outcomes[index] = clients[index].post(path, payloads[index]).status_code
        except Exception as error:  # a server error in the view: the test client raises it
            outcomes[index] = f"{type(error).__name__}: {error}"
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def logged_in(user, count: int = CLIENTS) -> list[Client]:
    clients = []
    for _ in range(count):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def test_ten_racing_saves_of_one_result_save_once_a_round_and_refuse_the_rest(people):
    clients = logged_in(people["dol"])
    for round_ in range(ROUNDS):
        result = KpiResult.objects.filter(kpi__code="DP5.1", year=2020).first()
        version = result.version if result else 0  # the first round races the first entry
        # 5.75 is the target of this negative KPI: every value meets it, so none needs an explanation.
        values = [f"5.{round_}{i}" for i in range(CLIENTS)]
        payloads = [{"actual": v, "innovation": "90", "challenge": "90", "contribution": "90", "version": version}
                    for v in values]  # fmt: skip
        outcomes = race(clients, RESULT, payloads)
        assert sorted(outcomes, key=str) == [302] + [409] * (CLIENTS - 1), f"round {round_}: {outcomes}"
        winner = values[outcomes.index(302)]
        stored = KpiResult.objects.get(kpi__code="DP5.1", year=2020)
        assert stored.actual == Decimal(winner) and stored.version == version + 1
    # Every saved value is in the trail, once, in order: nothing was overwritten unseen.
    trail = AuditEvent.objects.filter(kpi__code="DP5.1", field="actual").order_by("pk")
    assert [e.object_version for e in trail] == list(range(1, ROUNDS + 1))
    assert Decimal(trail.last().new) == stored.actual


def test_ten_racing_first_records_of_a_plans_progress_save_once_and_refuse_the_rest(people):
    clients = logged_in(people["dol"])
    plan = ActionPlan.objects.get(code="DP5.1.1", kpi__objective__map__year=2020)
    task = plan.tasks.order_by("order").first()  # progress is per task and month since issue 16
    assert not task.progress.exists()
    cell = f"{task.pk}-1"
    for round_ in range(ROUNDS):
        found = task.progress.filter(month=1).first()
        version = found.version if found else 0
        notes = [f"第 {round_} 輪 第 {i} 位" for i in range(CLIENTS)]
        payloads = [{f"version-{cell}": version, f"planned-{cell}": "on", f"note-{cell}": note} for note in notes]
        outcomes = race(clients, PROGRESS, payloads)
        assert sorted(outcomes, key=str) == [302] + [409] * (CLIENTS - 1), f"round {round_}: {outcomes}"
        row = task.progress.get(month=1)
        assert row.version == version + 1
        assert row.note == notes[outcomes.index(302)]
