"""Issue 11 item 6: the scorecard's filters and the "what's due" rules are selectors the pages call."""

from __future__ import annotations

import csv
import datetime
import io

from stratmap.access import SYSTEM, Access
from stratmap.kpis.selectors import due_work, scorecard_rows
from stratmap.strategy.models import StrategyMap


def test_the_scorecard_csv_lists_the_selectors_rows_sorted_by_code_descending(demo, client):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019)
    codes = [row.kpi.code for row in scorecard_rows(access=SYSTEM, smap=smap, sort="-code").rows]
    assert codes == sorted(codes, reverse=True) and len(codes) > 1
    body = client.get("/taipei/108/scorecard.csv?sort=-code").content.decode("utf-8-sig")
    assert [line[2] for line in list(csv.reader(io.StringIO(body)))[1:]] == codes


def test_the_scorecard_selector_keeps_only_the_perspective_asked_for(demo):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2019)
    every = scorecard_rows(access=SYSTEM, smap=smap).rows
    perspective = every[0].score.kpi.perspective
    found = scorecard_rows(access=SYSTEM, smap=smap, perspective=perspective).rows
    assert found and all(row.score.kpi.perspective == perspective for row in found)
    assert len(found) < len(every)


def test_whats_due_flags_a_past_deadline_late_and_one_within_14_days_soon(people):
    smap = StrategyMap.objects.get(organization__code="taipei", year=2020)
    today = datetime.date(2020, 6, 1)
    flags = {}
    for days in (-1, 14, 15):
        StrategyMap.objects.filter(pk=smap.pk).update(results_due=today + datetime.timedelta(days=days))
        rows = [r for r in due_work(access=Access(people["dol"]), today=today).to_enter if r.kpi.code == "DP5.1"]
        flags[days] = (rows[0].late, rows[0].soon)
    assert flags == {-1: (True, False), 14: (False, True), 15: (False, False)}
