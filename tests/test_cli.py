"""The `stratmap` command: ours and Django's under one name."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_the_console_command_passes_django_commands_through(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-m", "stratmap.cli", "migrate", "--plan"], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, run.stderr
    assert "strategy.0001_initial" in run.stdout


@pytest.mark.parametrize("year", ["109", "2020"])
def test_dump_takes_an_roc_or_an_ad_year(demo, year, capsys):
    call_command("dump", org="taipei", year=year)
    assert yaml.safe_load(capsys.readouterr().out)["year"] == 109


def test_dump_says_what_is_wrong_with_its_arguments(demo):
    with pytest.raises(CommandError, match="no organization with code 'nowhere'"):
        call_command("dump", org="nowhere", year="109")
    with pytest.raises(CommandError, match="out of range"):
        call_command("dump", org="taipei", year="3000")
    with pytest.raises(CommandError, match="taipei has no map in force for 105"):
        call_command("dump", org="taipei", year="105")


def test_load_needs_something_to_load(db):
    with pytest.raises(CommandError, match="--demo"):
        call_command("load")


@pytest.mark.login_throttle  # the real authentication backends, as deployed
def test_check_without_paths_is_djangos_system_check(db, capsys):
    call_command("check")
    assert "System check identified no issues" in capsys.readouterr().out


def test_the_load_benchmark_prints_its_figures_and_leaves_the_database_as_it_was(db, capsys):
    from stratmap.strategy.models import StrategyMap

    call_command("benchmark-load", repeat=1)
    out = capsys.readouterr().out
    assert "4 maps" in out and " s" in out and "queries" in out
    assert not StrategyMap.objects.exists()
