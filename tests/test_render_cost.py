"""Issue 13 item 3: the long pages' rendering does not grow with their rows beyond a few template nodes a row.

A scorecard row, an action plan or a task used to cost the template engine tens of nodes (a filter or a tag a
cell, an included template a plan): most of a city's page. Their cells are now worked out once in Python
(``stratmap.web.rows``); these tests count what the template engine renders, as more rows are shown."""

from __future__ import annotations

import re
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.db import connection
from django.db.models import Model
from django.template.base import Node
from django.test.utils import CaptureQueriesContext

from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.plans.models import ActionPlan, Outcome, PlanTask, TaskProgress


@contextmanager
def counting_nodes():
    """The number of template nodes rendered inside the block (``counted[0]``)."""
    counted = [0]
    render = Node.render_annotated

    def counting(self, context):
        counted[0] += 1
        return render(self, context)

    with mock.patch.object(Node, "render_annotated", counting):
        yield counted


def rendered(client, url: str) -> tuple[str, int, int]:
    """The page's HTML, the template nodes rendered and the templates rendered (an included one counts)."""
    with counting_nodes() as counted:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), counted[0], len(response.templates)


def test_a_scorecard_row_costs_the_template_engine_at_most_three_nodes(demo, client):
    every, every_nodes, _ = rendered(client, "/en/taipei/2019/scorecard/")
    some, some_nodes, _ = rendered(client, "/en/taipei/2019/scorecard/?light=excellent")
    rows, fewer = every.count('<tr class="light-row-'), some.count('<tr class="light-row-')
    assert rows - fewer >= 10
    assert every_nodes - some_nodes <= 3 * (rows - fewer)


def add_plans(kpi: Kpi, count: int) -> list[str]:
    """``count`` more action plans for ``kpi``, each with three tasks, an outcome and a month of progress."""
    codes = []
    for n in range(count):
        plan = ActionPlan.objects.create(kpi=kpi, code=f"{kpi.code}.{90 + n}", name=f"Added plan {n}", order=90 + n)
        for order, months in enumerate(([1, 2], [3], None)):
            task = PlanTask.objects.create(plan=plan, name=f"Task {order}", months=months, order=order)
        Outcome.objects.create(objective=kpi.objective, plan=plan, text="An outcome", order=1)
        TaskProgress.objects.create(task=task, month=2, done="done", note="on time", status="published")
        codes.append(plan.code)
    return codes


def test_more_action_plans_cost_the_plans_and_kpi_pages_no_more_template_nodes(demo, people, client):
    client.force_login(people["admin"])  # who sees the links to update each plan's progress
    kpi = Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=2020, code="DP5.1")
    pages = ["/en/taipei/2020/plans/", "/en/taipei/2020/kpis/DP5.1/"]
    before = [rendered(client, url) for url in pages]
    added = add_plans(kpi, 10)
    after = [rendered(client, url) for url in pages]
    for (_, nodes, templates), (html, more_nodes, more_templates) in zip(before, after, strict=True):
        assert all(f'id="plan-{code}"' in html for code in added)  # the plans are shown …
        assert html.count('<td class="month on">') >= 30  # … with their months
        assert (more_nodes, more_templates) == (nodes, templates)  # … at no cost to the template engine


@contextmanager
def counting_instances():
    """The number of model instances made inside the block (``counted[0]``): rows read, or made in Python."""
    counted = [0]
    init = Model.__init__

    def counting(self, *args, **kwargs):
        counted[0] += 1
        init(self, *args, **kwargs)

    with mock.patch.object(Model, "__init__", counting):
        yield counted


def add_kpis(count: int) -> list[str]:
    """``count`` more KPIs on Taipei's 108 objective DC1, each with an agency, a target and a published result."""
    model = Kpi.objects.select_related("objective").get(
        objective__map__organization__code="taipei", objective__map__year=2019, code="DC1.1"
    )
    agency = Organization.objects.get(code="taipei-dol")
    codes = []
    for n in range(count):
        kpi = Kpi.objects.create(objective=model.objective, code=f"DC1.{90 + n}", name=f"Added KPI {n}", order=90 + n)
        kpi.agencies.add(agency)
        KpiTarget.objects.create(kpi=kpi, year=2019, value=Decimal(10 + n))
        KpiResult.objects.create(kpi=kpi, year=2019, actual=Decimal(12 + n), status=KpiResult.Status.PUBLISHED)
        codes.append(kpi.code)
    return codes


def test_a_scorecard_row_costs_at_most_three_model_instances(demo, client):
    # The KPI, its target and its result: its objective, theme and perspective are shared with the other KPIs
    # of its objective, and its agencies are read as codes. Seven a row were most of a city's scorecard.
    url = "/taipei/108/scorecard/"
    with counting_instances() as before:
        assert client.get(url).status_code == 200
    added = add_kpis(10)
    with counting_instances() as after:
        html = client.get(url).content.decode()
    assert all(f">{code}</a>" in html for code in added)
    assert after[0] - before[0] <= 3 * len(added)


def test_the_kpi_page_reads_its_targets_and_results_once_for_its_score_and_its_history(demo, client):
    # The history reads every year's rows of the KPI's lineage, this year's among them, which score it.
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/taipei/109/kpis/DP5.1/")
    assert response.status_code == 200
    assert "DP5.1" in response.content.decode()
    # (not the data's version, which asks each table for its highest id: web.pagecache)
    reads = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT (SELECT MAX(")]
    assert sum(bool(re.search(r'FROM "kpis_kpitarget"', sql)) for sql in reads) == 1
    assert sum(bool(re.search(r'FROM "kpis_kpiresult"', sql)) for sql in reads) == 1
