"""``stratmap benchmark-score``: it runs every phase of every rating method and says what it measured.

No timing is asserted: the figures depend on the machine.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command


def test_the_scoring_benchmark_prints_each_methods_figures_and_the_peak_memory(capsys):
    call_command("benchmark-score", count=30, runs=2)
    out = capsys.readouterr().out
    assert "30 KPI-years, 360 monthly values" in out
    assert "5 aggregation rules, 6 target types; one thread, median of 2 run(s)" in out
    seconds = r"\d+\.\d{3} s \(CPU \d+\.\d{3} s\)"  # by the clock, then the process's own CPU time
    assert re.search(rf"^  aggregate {seconds}$", out, re.MULTILINE)
    for method in ("composite", "bands", "data only"):
        figures = rf"^  {method}: score {seconds}, rollups {seconds}; with aggregate {seconds}: .*the goal of 5 s"
        assert re.search(figures, out, re.MULTILINE), f"no figures for {method}:\n{out}"
    assert re.search(rf"all three methods, aggregating once: {seconds}, of which Python's garbage collection CPU", out)
    assert re.search(r"peak memory \(getrusage maxrss, the whole process\): \d+\.\d MiB", out)


@pytest.mark.parametrize("option", ["count", "runs"])
def test_the_scoring_benchmark_refuses_a_count_or_runs_below_one(option):
    with pytest.raises(CommandError, match="--count and --runs must be at least 1"):
        call_command("benchmark-score", **{"count": 10, "runs": 1, option: 0})
