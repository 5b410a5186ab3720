"""Hostile and careless dataset files, and the values no input may store.

Each is refused in bounded time with an error naming the file, the place and the value, and the
database is left exactly as it was; the models refuse the same values, so the admin's forms do too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import translation

from stratmap.core.models import Organization
from stratmap.exchange.loader import LoadRefused, load_paths
from stratmap.exchange.parse import DatasetInvalid
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.plans.models import ActionPlan
from tests.conftest import row_counts
from tests.helpers import GOOD, load_errors, refused, write

ORGS = (Path(__file__).parent.parent / "stratmap/data/taipei/organizations.yaml").read_text(encoding="utf-8")


@pytest.fixture
def baseline(demo):
    return row_counts()


@pytest.fixture
def english():
    """The models' messages in English, as the assertions quote them."""
    with translation.override("en"):
        yield


# --- item 4: a key given twice ----------------------------------------------------------------------


def test_a_key_given_twice_is_refused_naming_the_key_and_both_lines(baseline, tmp_path):
    file, errors = refused(tmp_path, GOOD + "year: 109\n")
    last = len(GOOD.splitlines()) + 1
    assert errors == [
        f"{file}: year: got 'year'; each key once in a mapping: 'year' is on line 3 and again on line {last}"
    ]
    assert row_counts() == baseline


def test_a_key_given_twice_deep_in_the_file_is_named_by_its_path(baseline, tmp_path):
    file, errors = refused(tmp_path, GOOD.replace("name: 失業率", "name: 失業率\n            name: 就業率"))
    assert len(errors) == 1
    assert errors[0].startswith(f"{file}: themes[0].objectives[0].kpis[0].name: got 'name'; ")
    assert "'name' is on line 16 and again on line 17" in errors[0]
    assert row_counts() == baseline


# --- item 11: numbers the database cannot give back --------------------------------------------------


#: Numbers a column cannot hold: what to replace in GOOD, by what, where the error points and what it says.
UNFIT_NUMBERS = [
    pytest.param(
        "2020: 3.8}",
        "2020: 1000000000000}",
        "kpis[0].targets.2020: got 1000000000000",
        "13 digits before the decimal point; at most 12 fit",
        id="target too large",
    ),
    pytest.param(
        "2020: 3.8}",
        "2020: 999999999999.9999}",
        "kpis[0].targets.2020: got 999999999999.9999",
        "16 significant digits; at most 15 are kept exactly",
        id="target with more digits than SQLite gives back",
    ),
    pytest.param(
        "2020: 3.8}",
        "2020: 3.14159}",
        "kpis[0].targets.2020: got 3.14159",
        "5 decimal places; at most 4 are kept",
        id="target too precise",
    ),
    pytest.param(
        "polarity: negative",
        "polarity: negative\n            results: {108: {actual: 1, innovation: 84.1234}}",
        "kpis[0].results.108.innovation: got 84.1234",
        "4 decimal places; at most 3 are kept",
        id="score too precise",
    ),
    pytest.param(
        "polarity: negative",
        "polarity: negative\n            results: {108: {actual: 1, score_reported: 10000}}",
        "kpis[0].results.108.score_reported: got 10000",
        "5 digits before the decimal point; at most 4 fit",
        id="reported score too large",
    ),
    pytest.param(
        "year: 108",
        "year: 108\nscoring: {achievement_weight: 0.12345, innovation_weight: 0.37655}",
        "scoring.achievement_weight: got 0.12345",
        "5 decimal places; at most 4 are kept",
        id="policy weight too precise",
    ),
    pytest.param(
        "polarity: negative",
        "polarity: negative\n            target_type: milestone\n            stages: [1, 100000000000000]",
        "kpis[0].stages[1]: got 100000000000000",
        "15 digits before the decimal point",
        id="stage too large",
    ),
]


def test_the_largest_number_a_column_holds_loads_and_reads_back(baseline, tmp_path, client):
    largest = GOOD.replace("{108: 3.8, 2020: 3.8}", "{108: 999999999999, 2020: 99999999999.9999}")
    load_paths([write(tmp_path, largest.replace("year: 108", "year: 112"))])
    targets = KpiTarget.objects.filter(
        kpi__objective__map__year=2023, kpi__objective__map__organization__code="taipei"
    ).order_by("year")
    assert [t.value for t in targets] == [Decimal("999999999999"), Decimal("99999999999.9999")]
    assert client.get("/").status_code == 200
    # The map loads published: its page reads the numbers back (not a 500) and shows them.
    response = client.get("/taipei/112/kpis/DC1.1/")
    assert response.status_code == 200
    assert "999,999,999,999" in response.content.decode()


def test_the_models_refuse_a_number_sqlite_would_not_give_back_as_stored(demo, english):
    target = KpiTarget.objects.first()
    target.value = Decimal("999999999999.9999")  # fits 16 digits, 4 places; SQLite reads it back as 10¹²
    with pytest.raises(ValidationError) as caught:
        target.full_clean()
    assert "16 significant digits; at most 15 are kept exactly" in caught.value.message_dict["value"][0]


def test_the_models_refuse_a_stage_their_targets_could_not_hold(demo):
    kpi = Kpi.objects.filter(objective__map__year=2020).first()
    kpi.stages = ["1", "1000000000000"]
    with pytest.raises(ValidationError) as caught:
        kpi.full_clean()
    assert "stages" in caught.value.message_dict


# --- item 12: YAML bombs --------------------------------------------------------------------------------


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


BOMBS = {
    "billion laughs": (billion_laughs(), "an alias bomb"),
    "a million aliases": (
        "format: stratmap/1\nx: &a 1\nperspectives: [" + ",".join(["*a"] * 10**6) + "]\n",
        "at most 100 aliases",
    ),
    "an alias inside itself": ("format: stratmap/1\nperspectives: &a [*a]\n", "a value cannot contain itself"),
    "nesting a thousand deep": ("format: stratmap/1\nnote: " + "[" * 999 + "]" * 999 + "\n", "levels of nesting"),
}


@pytest.mark.parametrize("name", list(BOMBS))
@pytest.mark.parametrize("command", ["load", "check"])
def test_a_yaml_bomb_is_refused_at_once_with_a_short_clear_error(baseline, tmp_path, capsys, name, command):
    text, expected = BOMBS[name]
    if name == "billion laughs":
        assert len(text.encode()) < 500
    file = write(tmp_path, text)
    started = time.perf_counter()
    with pytest.raises(CommandError):
        call_command(command, str(file))
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    # A bomb let through takes minutes and gigabytes; refused, it takes a fraction of a second. The bound is
    # wide so that a busy machine never fails it, and a bomb expanded still does.
    assert elapsed < 10, f"{elapsed:.2f} s"
    assert expected in err and str(file) in err
    assert len(err) < 1000
    assert row_counts() == baseline


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(baseline, tmp_path):
    file = write(tmp_path, "format: stratmap/1\nnote: " + "x" * (11 * 2**20) + "\n")
    (error,) = load_errors(file)
    assert "a file of at most 10 MB" in error
    assert row_counts() == baseline


# --- item 14: control characters and lengths --------------------------------------------------------


#: Texts a column cannot hold, as UNFIT_NUMBERS.
UNFIT_TEXTS = [
    pytest.param(
        "name: 失業率",
        'name: "失業\\x01率"',
        "kpis[0].name: got '失業\\x01率'",
        "contains the control character U+0001 at position 3",
        id="a control character in a name",
    ),
    pytest.param(
        "name: 失業率",
        'name: "失業率\\0"',
        "kpis[0].name: got '失業率\\x00'",
        "contains the control character U+0000 at position 4",
        id="a NUL",
    ),
    pytest.param(
        "name: 失業率",
        "name: " + "長" * 4000,
        "kpis[0].name: got '" + "長" * 80 + "'… (4000 characters)",
        "is 4000 characters long; at most 300 are allowed",
        id="a name longer than its column",
    ),
    pytest.param(
        "{code: C, name: 顧客}",
        "{code: C, name: 顧客, name_en: " + "C" * 101 + "}",
        "perspectives[0].name_en: got 'CCCC",
        "is 101 characters long; at most 100 are allowed",
        id="an English name longer than its column",
    ),
    pytest.param(
        "polarity: negative",
        'polarity: negative\n            note: "' + "註" * 4001 + '"',
        "kpis[0].note: got '",
        "is 4001 characters long; at most 4000 are allowed",
        id="a note over the limit of long texts",
    ),
]


# Numbers (item 11) and texts are refused alike.
@pytest.mark.parametrize(("old", "new", "path", "expected"), UNFIT_NUMBERS + UNFIT_TEXTS)
def test_a_value_its_column_cannot_hold_is_refused(baseline, tmp_path, old, new, path, expected):
    assert old in GOOD
    file, errors = refused(tmp_path, GOOD.replace(old, new, 1))
    assert any(e.startswith(f"{file}: ") and path in e and expected in e for e in errors), errors
    assert row_counts() == baseline


def test_an_organization_name_with_a_control_character_is_refused_in_the_admin(demo, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only"))
    response = client.post(
        "/admin/core/organization/add/", {"code": "bad-org", "name": "壞\x01名", "kind": "bureau"}, follow=True
    )
    assert response.status_code == 200
    assert "U+0001" in response.content.decode()
    assert not Organization.objects.filter(code="bad-org").exists()


def test_the_models_refuse_control_characters_and_over_long_texts(demo):
    result = KpiResult.objects.first()
    result.situation_analysis = "a\x00b"
    result.note = "長" * 4001
    with pytest.raises(ValidationError) as caught:
        result.full_clean()
    assert set(caught.value.message_dict) == {"situation_analysis", "note"}
    assert "U+0000" in caught.value.message_dict["situation_analysis"][0]


# --- item 15: codes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        pytest.param("- code: DC1.1", "- code: DC1/1", "kpis[0].code: got 'DC1/1'", id="a KPI code with a slash"),
        pytest.param(
            "- code: DC1\n", "- code: DC 1\n", "objectives[0].code: got 'DC 1'", id="an objective code with a space"
        ),
        pytest.param(
            "{code: C, name: 顧客}", "{code: C/, name: 顧客}", "perspectives[0].code", id="a perspective code"
        ),
        pytest.param("- code: D\n", "- code: D?x\n", "themes[0].code: got 'D?x'", id="a theme code"),
    ],
)
def test_a_code_that_would_break_a_url_is_refused(baseline, tmp_path, old, new, path):
    assert old in GOOD
    _, errors = refused(tmp_path, GOOD.replace(old, new, 1))
    assert any(path in e and "is not a code: use letters, digits and . _ -" in e for e in errors), errors
    assert row_counts() == baseline


def test_a_kpi_code_used_twice_in_a_map_is_refused_naming_both_places(baseline, tmp_path):
    text = GOOD.replace(
        "        perspective: P\n", "        perspective: P\n        kpis: [{code: DC1.1, name: 另一個}]\n"
    )
    file, errors = refused(tmp_path, text)
    assert errors == [
        f"{file}: themes[0].objectives[1].kpis[0].code: got 'DC1.1'; "
        "a unique KPI code; themes[0].objectives[0].kpis[0].code has it already"
    ]
    assert row_counts() == baseline


def test_the_models_refuse_a_kpi_or_plan_code_used_elsewhere_in_the_map(demo, english):
    kpi = Kpi.objects.select_related("objective").get(objective__map__year=2020, code="DP5.1")
    other = kpi.objective.map.objectives.exclude(pk=kpi.objective_id).first()
    clash = Kpi(objective=other, code="DP5.1", name="同代碼", order=99)
    with pytest.raises(ValidationError) as caught:
        clash.full_clean()
    assert "already used in this map by DP5.1" in caught.value.message_dict["code"][0]
    plan = ActionPlan.objects.filter(kpi__objective__map__year=2020).exclude(kpi=kpi).first()
    copy = ActionPlan(kpi=kpi, code=plan.code, name="同代碼", order=99)
    with pytest.raises(ValidationError) as caught:
        copy.full_clean()
    assert f"already used in this map by {plan.code}" in caught.value.message_dict["code"][0]
    bad = Kpi(objective=other, code="DP5/9", name="斜線", order=99)
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "is not a code" in caught.value.message_dict["code"][0]


# --- item 16: what used to be tracebacks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "path", "expected"),
    [
        pytest.param(
            "agencies: [taipei-dol, taipei-dol]",
            "kpis[0].agencies: got ['taipei-dol', 'taipei-dol']",
            "'taipei-dol' is given twice (at [0] and [1]); give each once",
            id="an agency twice",
        ),
        pytest.param(
            "tags: [市政, 市政]",
            "kpis[0].tags: got ['市政', '市政']",
            "'市政' is given twice (at [0] and [1]); give each once",
            id="a tag twice",
        ),
    ],
)
def test_an_agency_or_tag_given_twice_is_an_error_not_a_traceback(baseline, tmp_path, new, path, expected):
    file, errors = refused(tmp_path, GOOD.replace("polarity: negative", f"polarity: negative\n            {new}"))
    assert any(e.startswith(f"{file}: ") and path in e and expected in e for e in errors), errors
    assert row_counts() == baseline


def test_an_integer_of_five_thousand_digits_is_an_error_not_a_traceback(baseline, tmp_path):
    file, errors = refused(tmp_path, GOOD.replace("2020: 3.8}", "2020: " + "9" * 5000 + "}"))
    assert errors == [
        f"{file}: line 18, column 39: got 'an integer of 5000 digits: no number in a dataset has more than 16'; "
        "valid YAML"
    ]
    assert row_counts() == baseline


@contextmanager
def another_writer_holds_the_database() -> Iterator[None]:
    """Another connection is in the middle of a write; ours gives up waiting after 0.1 s, not 20 s."""
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        try:
            with transaction.atomic():
                Organization.objects.create(code="holder", name="另一個寫入", kind="bureau")
                holding.set()
                release.wait(10)
                transaction.set_rollback(True)
        finally:
            connection.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 100")
        yield
    finally:
        release.set()
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_a_load_while_another_write_holds_the_database_is_refused_and_writes_nothing(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL queues concurrent loads on its row locks; only SQLite answers 'database is locked'")
    files = [write(tmp_path, ORGS, "orgs.yaml"), write(tmp_path, GOOD)]
    before = row_counts()
    with another_writer_holds_the_database():
        with pytest.raises(LoadRefused, match="another load or write is in progress, try again"):
            load_paths(files)
    assert row_counts() == before
    with another_writer_holds_the_database():
        with pytest.raises(CommandError, match="another load or write is in progress, try again"):
            call_command("load", *map(str, files))
    assert row_counts() == before
    load_paths(files)  # once the other write is done, the same load goes through
    assert Kpi.objects.filter(code="DC1.1").exists()


# --- item 34: commands writing files -----------------------------------------------------------------


def test_dump_to_a_folder_that_does_not_exist_says_so(demo):
    with pytest.raises(
        CommandError, match=r"cannot write /nonexistent/dir/x\.yaml: the folder /nonexistent/dir does not exist"
    ):
        call_command("dump", org="taipei", year="109", output="/nonexistent/dir/x.yaml")


def test_dump_to_a_folder_instead_of_a_file_says_so(demo, tmp_path):
    with pytest.raises(CommandError, match="it is a folder; give a file name"):
        call_command("dump", organizations=True, output=str(tmp_path))


def test_a_report_to_a_folder_that_does_not_exist_says_so(demo):
    with pytest.raises(CommandError, match=r"cannot write /nonexistent/dir/s\.xlsx: the folder /nonexistent/dir"):
        call_command("report", "scorecard", org="taipei", year="108", output="/nonexistent/dir/s.xlsx")


def test_an_unchanged_dataset_file_still_loads(baseline, tmp_path):
    """The rules above refuse nothing the Taipei documents hold: the demo loads again as it is."""
    from stratmap.exchange.loader import DEMO_DATA

    report = load_paths([DEMO_DATA])
    assert len(report.maps) == 4 and not report.removed
    assert row_counts() == baseline


def test_errors_are_capped_per_file(baseline, tmp_path):
    text = GOOD.replace("polarity: negative", "polarity: negative\n            tags: [" + ",".join(["[1]"] * 500) + "]")
    errors = load_errors(write(tmp_path, text))
    assert len(errors) == 101 and "400 more errors" in errors[-1]
    with pytest.raises(DatasetInvalid):
        load_paths([write(tmp_path, text)])
