"""The loader reads and writes one file at a time, inside one transaction (issue 13, items 2 and 5).

Its memory is one file's worth whatever the number of files, an error in the last file still leaves
nothing written, and ``stratmap load`` shows its progress on a terminal only.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from stratmap.exchange import loader, synthetic
from stratmap.exchange.loader import load_paths
from stratmap.exchange.parse import DatasetInvalid
from stratmap.kpis.models import Kpi
from stratmap.plans.models import PlanTask
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import synthetic_cities, traced_peak, with_a_bad_last_file

pytestmark = pytest.mark.django_db


def peak_of_loading(folders: list[Path]) -> int:
    """The most memory Python held while loading ``folders`` above what it held before, in bytes; the
    load rolled back afterwards."""

    def load_and_roll_back() -> None:
        with transaction.atomic():
            load_paths(folders)
            transaction.set_rollback(True)

    return traced_peak(load_and_roll_back)


def test_memory_does_not_grow_with_the_number_of_files(tmp_path):
    folders = sorted(synthetic_cities(tmp_path, 8, bureaus=2, kpis=8, years=2).iterdir())
    assert len(folders) == 8 and len(list(tmp_path.rglob("*.yaml"))) == 56
    peak_of_loading(folders[:1])  # once before, for what the first load of a process sets up
    alone = {city.name: peak_of_loading([city]) for city in folders}
    together = peak_of_loading(folders)
    assert not StrategyMap.objects.exists()  # each rolled back
    # Eight cities at once take about what the most demanding of them takes alone, one file at a time: 1.2
    # times as much, for their organizations (the loader holding every file's objects took 1.8 times).
    most = max(alone.values())
    assert together < most * 1.3, f"{together / 2**20:.2f} MB for 56 files, {most / 2**20:.2f} MB for 7; {alone}"


def test_an_error_in_the_last_file_leaves_nothing_written(tmp_path):
    folder = tmp_path
    files, last = with_a_bad_last_file(folder)
    before = row_counts()
    done: list[Path] = []
    with pytest.raises(DatasetInvalid) as refused:
        load_paths([folder], progress=done.append)
    assert [str(e) for e in refused.value.errors] == [
        f"{last}: organization: got 'syn2-b99'; the code of an organization in the database or in an organizations file"
    ]
    assert sorted(done) == files  # every file was read and checked, for its errors, before the roll-back
    assert row_counts() == before
    with pytest.raises(CommandError, match="1 error"):
        call_command("load", str(folder), stdout=io.StringIO(), stderr=io.StringIO())
    assert row_counts() == before


def test_a_database_error_in_the_last_file_leaves_nothing_written(tmp_path, monkeypatch):
    """All or nothing holds for what only the write finds, after the other files are written."""
    from stratmap.exchange import loader

    folder = synthetic_cities(tmp_path, 1)
    last = sorted(folder.rglob("*.yaml"))[-1]
    write = loader._MapWriter.write

    def fail_on_the_last(self):
        if self.source == str(last):
            assert Kpi.objects.exists()  # the files before it are written
            raise RuntimeError("disk full")
        return write(self)

    monkeypatch.setattr(loader._MapWriter, "write", fail_on_the_last)
    before = row_counts()
    with pytest.raises(RuntimeError, match="disk full"):
        load_paths([folder])
    assert row_counts() == before


def test_a_task_without_a_name_is_still_refused_though_tasks_are_written_as_plain_rows(tmp_path):
    """The schema takes an empty text; the task's column needs one, as ``full_clean`` said before."""
    folder = synthetic_cities(tmp_path, 1)
    last = sorted(folder.rglob("*.yaml"))[-1]
    text = last.read_text(encoding="utf-8")
    tasks = "        tasks:\n        - name: "
    assert tasks in text
    last.write_text(text.replace(tasks, tasks + "''\n        - name: ", 1), encoding="utf-8")  # a task before the first
    before = row_counts()
    with pytest.raises(DatasetInvalid) as refused:
        load_paths([folder])
    (error,) = refused.value.errors
    assert error.file == str(last) and error.value == "", str(error)
    assert row_counts() == before


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_and_not_in_a_file_or_a_pipe(tmp_path):
    folder = synthetic_cities(tmp_path, 1)
    files = len(list(folder.rglob("*.yaml")))
    shown = Terminal()
    call_command("load", str(folder), stdout=shown)
    assert f"{files}/{files} files" in shown.getvalue()
    assert "left" in shown.getvalue()
    assert "loaded 11 organization(s), 9 map(s)" in shown.getvalue()
    quiet = io.StringIO()
    call_command("load", str(folder), stdout=quiet)  # again: merged, nothing changed
    assert "files" not in quiet.getvalue() and "\x1b" not in quiet.getvalue()
    assert quiet.getvalue().splitlines()[-1].startswith("loaded 11 organization(s), 9 map(s): 0 row(s) created")


def test_an_organizations_file_that_reads_like_a_map_file_is_still_loaded_first(tmp_path):
    """Files are ordered by a glance at their text (organizations files first); one that misleads the
    glance is found when it is read, and the load starts again with it first."""
    folder = synthetic_cities(tmp_path, 1)
    organizations = folder / "syn1" / "organizations.yaml"
    text = organizations.read_text(encoding="utf-8")
    assert text.count("\norganizations:") == 1 and text.count("name: 合成市1（合成資料）,") == 1
    # A quoted key hides it from the glance, and a quoted name going on at the start of a line makes it
    # look like a map file's ``organization:``.
    text = text.replace("\norganizations:", '\n"organizations":')
    text = text.replace("name: 合成市1（合成資料）,", 'name: "合成市1\norganization: 合成資料",')
    organizations.write_text(text, encoding="utf-8")
    organizations.rename(folder / "syn1" / "zz-organizations.yaml")  # read after every map file
    report = load_paths([folder])
    assert report.organizations == 11 and len(report.maps) == 9  # the city, 2 bureaus, 8 theme groups
    assert StrategyMap.objects.filter(organization__name="合成市1 organization: 合成資料").count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_big_load_leaves_postgresqls_statistics_up_to_date(transactional_db, tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "ANALYZE_AFTER", 0)  # a small load stands for a big one
    synthetic.write(tmp_path, synthetic.Shape(cities=1, bureaus=2, kpis=6, years=2))
    call_command("load", str(tmp_path), stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'plans_plantask'")
        (estimated,) = cursor.fetchone()
    assert estimated == PlanTask.objects.count() > 0
