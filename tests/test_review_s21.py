"""`stratmap check` reads the files as `stratmap load` does, one map file at a time (review of issues 12 and 13).

Its memory does not grow with the number of files, its errors are the ones load gives, and what compares
a map with another (a bureau's citations with its city's map) still finds a map read after it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stratmap.exchange.loader import check_paths
from tests.conftest import row_counts
from tests.helpers import synthetic_cities, traced_peak, with_a_bad_last_file

pytestmark = pytest.mark.django_db


def peak_of_checking(folders: list[Path]) -> int:
    """The most memory Python held while checking ``folders`` above what it held before, in bytes."""
    return traced_peak(lambda: check_paths(folders))


def test_checking_takes_no_more_memory_for_eight_cities_than_for_the_largest_alone(tmp_path):
    folders = sorted(synthetic_cities(tmp_path, 8, bureaus=2, kpis=8, years=2).iterdir())
    assert len(folders) == 8 and len(list(tmp_path.rglob("*.yaml"))) == 56
    peak_of_checking(folders[:1])  # once before, for what the first check of a process sets up
    alone = {city.name: peak_of_checking([city]) for city in folders}
    together = peak_of_checking(folders)
    # One file at a time and a few codes and counts a map: 1.2 times the largest city alone (every file
    # read before checking took 4.7 times).
    most = max(alone.values())
    assert together < most * 1.3, f"{together / 2**20:.2f} MB for 56 files, {most / 2**20:.2f} MB for 7; {alone}"


def said(command: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as refused:
        err.write(f"CommandError: {refused}\n")
    return out.getvalue(), err.getvalue()


def test_check_names_an_error_in_the_last_file_as_load_does_and_writes_nothing(tmp_path):
    folder = tmp_path
    _, last = with_a_bad_last_file(folder)
    before = row_counts()
    out, err = said("check", str(folder))
    expected = "the code of an organization in the database or in an organizations file"
    error = f"{last}: organization: got 'syn2-b99'; {expected}"
    assert out == ""
    assert err == f"{error}\nCommandError: 1 error(s): the files would not load\n"
    _out, by_load = said("load", str(folder))
    assert by_load.splitlines()[0] == error
    assert row_counts() == before


def test_a_bureaus_citations_are_checked_against_its_citys_map_read_after_it(tmp_path):
    folder = synthetic_cities(tmp_path, 1) / "syn1"
    assert "0 warning(s)" in said("check", str(folder))[0]
    # The city's map of 2024 read after its bureaus' (files are read in order of their names), one of
    # whose KPIs cites a KPI the city's map does not have, and one of whose themes takes over no code of it.
    (folder / "syn1-2024.yaml").rename(folder / "zz-syn1-2024.yaml")
    bureau = folder / "syn1-b01-2024.yaml"
    text = bureau.read_text(encoding="utf-8")
    cited = text.split("      cites: ", 1)[1].split("\n", 1)[0]
    taken = text.split("  takes_over: ", 1)[1].split("\n", 1)[0]
    text = text.replace(f"cites: {cited}\n", "cites: ZZ9.9\n", 1)
    text = text.replace(f"takes_over: {taken}\n", "takes_over: ZZ9\n", 1)
    bureau.write_text(text, encoding="utf-8")
    out, err = said("check", str(folder))
    assert err == ""
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, out
    assert warnings[0].startswith(f"warning: {bureau}: themes[") and warnings[0].endswith(
        "cites ZZ9.9, which the city's 113 map does not have"
    )
    assert warnings[1] == (
        f"warning: {bureau}: themes[0].takes_over: theme A takes over ZZ9, which the city's 113 map does not have"
    )
    assert out.splitlines()[-1] == f"{len(list(folder.glob('*.yaml')))} file(s) checked, 2 warning(s)"
