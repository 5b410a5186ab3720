"""Translated data (issue 14, item 1, the data layer): every text a person reads may carry translations,
kept with django-modeltrans in each row's ``i18n``; the dataset format writes them as ``<field>_<language>``
keys beside the field, the loader and the dumper carry them, the administration edits them beside the
field, and ``stratmap.core.names`` shows the reader's language or the original, with its language."""

from __future__ import annotations

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from stratmap.access import SYSTEM
from stratmap.core import names
from stratmap.core.models import AuditEvent, Organization
from stratmap.exchange.dumper import dump_map, dump_organizations
from stratmap.exchange.loader import load_paths
from stratmap.exchange.schema import LANGUAGES
from stratmap.kpis.models import Kpi
from stratmap.plans.models import ActionPlan, PlanTask
from stratmap.strategy.models import Perspective, PolicyThrust, StrategyMap, Theme
from tests.helpers import GOOD, admin_url, form_data, load_errors, write

pytestmark = pytest.mark.django_db

#: The demo's Taipei map of 108 with English beside its Chinese, as a translator would give it.
TRANSLATED = (
    GOOD.replace("year: 108\n", "year: 108\ntitle: 臺北市政府108年度策略地圖\ntitle_en: Taipei strategy map 2019\n")
    .replace("  - {code: C, name: 顧客}", "  - {code: C, name: 顧客, name_en: Customer}")
    .replace("    name: 優化產業勞動\n", "    name: 優化產業勞動\n    name_en: Better industry and work\n")
    .replace("        name: 促進充分就業\n", "        name: 促進充分就業\n        name_en: Full employment\n")
    .replace(
        "            name: 失業率\n",
        "            name: 失業率\n            name_en: Unemployment rate\n"
        "            unit: '%'\n            unit_en: per cent\n",
    )
    + "translations: {en: \"the stratmap project's translation, not the city's\"}\n"
)


def taipei_108_kpi() -> Kpi:
    return Kpi.objects.select_related("objective__map__organization").get(
        code="DC1.1",
        objective__map__organization__code="taipei",
        objective__map__year=2019,
        objective__map__in_force=True,
    )


def test_the_dataset_formats_languages_are_the_sites():
    assert LANGUAGES == tuple(code for code, _ in settings.LANGUAGES)


def test_a_translation_in_a_dataset_is_shown_in_english_and_the_original_in_chinese_with_its_language(demo, tmp_path):
    load_paths([write(tmp_path, TRANSLATED)])
    kpi = taipei_108_kpi()
    assert names.shown(kpi, language="en") == names.Shown("Unemployment rate", "en")
    assert names.shown(kpi, language="zh-hant") == names.Shown("失業率", "zh-hant")
    assert names.shown(kpi, "unit", language="en").text == "per cent"
    smap = kpi.objective.map
    assert names.shown(smap, "title", language="en").text == "Taipei strategy map 2019"
    assert smap.translation_notes == {"en": "the stratmap project's translation, not the city's"}
    theme = Theme.objects.select_related("map__organization").get(map=smap, code="D")
    assert names.local_name(theme, language="en") == "Better industry and work"


def test_an_english_organizations_object_read_in_chinese_falls_back_to_english_marked_en(demo):
    # the council writes in English: its KPIs have no Chinese, its themes an invented one
    kpi = Kpi.objects.select_related("objective__map__organization").get(
        code="H1.1",
        objective__map__organization__code="ashcombe",
        objective__map__year=2024,
        objective__map__in_force=True,
    )
    shown = names.shown(kpi, language="zh-hant")
    assert shown.language == "en" and shown.text == kpi.name and kpi.name.isascii()
    # the caller who knows the organization's language says so, and nothing is read for it
    bare = Kpi.objects.get(pk=kpi.pk)
    assert names.shown(bare, language="zh-hant", original="en").language == "en"
    theme = Theme.objects.select_related("map__organization").get(map=kpi.objective.map, code="H")
    assert theme.name == "Homes and Communities"
    assert names.shown(theme, language="zh-hant") == names.Shown("住宅與社區", "zh-hant")
    assert names.shown(theme, language="en") == names.Shown("Homes and Communities", "en")
    council = Organization.objects.get(code="ashcombe")
    assert council.language == "en"
    assert names.local_name(council, language="en") == "Ashcombe District Council"
    assert names.local_name(council, language="zh-hant") == "艾施康區議會"


#: The last migrations with the hand-made English name columns.
BEFORE = [("core", "0004_fiscal_years"), ("strategy", "0005_map_occasion")]


def migrated_to(targets: list[tuple[str, str]]):
    """The database migrated to ``targets``; the models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_old_english_names_become_translations_when_the_database_is_migrated_and_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrated_to(BEFORE)
    try:
        city = old.get_model("core", "Organization").objects.create(
            code="city", name="臺北市政府", name_en="Taipei City Government", kind="city"
        )
        smap = old.get_model("strategy", "StrategyMap").objects.create(organization=city, year=2019)
        perspectives = old.get_model("strategy", "Perspective").objects
        perspectives.create(map=smap, code="C", name="顧客", name_en="Customer", order=0)
        perspectives.create(map=smap, code="F", name="財務", name_en="", order=1)
        old.get_model("strategy", "Theme").objects.create(
            map=smap, code="D", name="優化產業勞動", name_en="Work", order=0
        )
        old.get_model("strategy", "PolicyThrust").objects.create(map=smap, name="創新創業", name_en="Startups", order=0)
        migrated_to(latest)
        assert Organization.objects.get(code="city").name_en == "Taipei City Government"
        customer, finance = Perspective.objects.filter(map__organization__code="city").order_by("order")
        assert (customer.name, customer.name_en, finance.i18n) == ("顧客", "Customer", None)
        assert Theme.objects.get(map__organization__code="city").name_en == "Work"
        assert PolicyThrust.objects.get(map__organization__code="city").name_en == "Startups"
        # and back: the columns hold the English names again
        back = migrated_to(BEFORE)
        assert back.get_model("core", "Organization").objects.get(code="city").name_en == "Taipei City Government"
        assert sorted(back.get_model("strategy", "Perspective").objects.values_list("name_en", flat=True)) == [
            "",
            "Customer",
        ]
    finally:
        migrated_to(latest)


def test_the_demos_english_names_are_translations_after_loading(demo):
    customer = Perspective.objects.get(map__organization__code="taipei", map__year=2019, code="C")
    assert customer.name_en and customer.i18n == {"name_en": customer.name_en}
    assert Organization.objects.get(code="taipei").name_en == "Taipei City Government"


def test_an_unknown_language_suffix_is_refused_naming_the_file_the_item_and_the_key(demo, tmp_path):
    path = write(tmp_path, GOOD.replace("  - {code: C, name: 顧客}", "  - {code: C, name: 顧客, name_fr: Client}"))
    errors = load_errors(path)
    assert len(errors) == 1
    assert str(path) in errors[0] and "perspectives[0].name_fr" in errors[0]
    assert "'fr' is not one" in errors[0] and "name_en" in errors[0]


def test_a_translation_into_the_organizations_own_language_is_refused_naming_the_file_the_item_and_the_key(
    demo, tmp_path
):
    path = write(
        tmp_path, GOOD.replace("    name: 優化產業勞動\n", "    name: 優化產業勞動\n    name_zh_hant: 優化產業勞動\n")
    )
    errors = load_errors(path)
    assert len(errors) == 1
    assert str(path) in errors[0] and "themes[0].name_zh_hant" in errors[0]
    assert "own language" in errors[0]
    organizations = write(
        tmp_path,
        "format: stratmap/1\norganizations:\n"
        "  - {code: shire, name: Shire Council, name_en: Shire Council, language: en, kind: council}\n",
        "organizations.yaml",
    )
    errors = load_errors(organizations)
    assert len(errors) == 1 and "organizations[0].name_en" in errors[0] and str(organizations) in errors[0]


def test_loading_dumping_and_loading_again_keeps_every_translation(demo, tmp_path):
    load_paths([write(tmp_path, TRANSLATED)])
    plan = ActionPlan.objects.filter(kpi__objective__map__organization__code="ashcombe").first()
    assert plan is not None
    plan.name_zh_hant = "可負擔住宅計畫"
    plan.save()
    task = PlanTask.objects.filter(plan=plan).first()
    assert task is not None
    task.name_zh_hant = "與夥伴議定基地清單"
    task.save()
    smap = plan.kpi.objective.map
    dumps = {
        "organizations.yaml": dump_organizations(),
        "taipei.yaml": dump_map("taipei", 2019, access=SYSTEM),
        "ashcombe.yaml": dump_map("ashcombe", smap.year, access=SYSTEM),
    }
    taipei = yaml.safe_load(dumps["taipei.yaml"])
    assert taipei["title_en"] == "Taipei strategy map 2019"
    assert taipei["translations"] == {"en": "the stratmap project's translation, not the city's"}
    assert taipei["perspectives"][0] == {"code": "C", "name": "顧客", "name_en": "Customer"}
    # the dump of a dump's load is the same, translations included
    folder = tmp_path / "again"
    folder.mkdir()
    for name, text in dumps.items():
        (folder / name).write_text(text, encoding="utf-8")
    StrategyMap.objects.all().delete()
    Organization.objects.update(parent=None, lead=None)
    Organization.objects.all().delete()
    load_paths([folder])
    assert dump_organizations() == dumps["organizations.yaml"]
    assert dump_map("taipei", 2019, access=SYSTEM) == dumps["taipei.yaml"]
    assert dump_map("ashcombe", smap.year, access=SYSTEM) == dumps["ashcombe.yaml"]
    assert taipei_108_kpi().unit_en == "per cent"
    assert ActionPlan.objects.get(code=plan.code, kpi__objective__map__organization__code="ashcombe").name_zh_hant == (
        "可負擔住宅計畫"
    )
    council = Organization.objects.get(code="ashcombe")
    assert (council.language, council.name_zh_hant) == ("en", "艾施康區議會")


def test_loading_the_same_translations_again_changes_nothing(demo, tmp_path):
    path = write(tmp_path, TRANSLATED)
    load_paths([path])
    events = AuditEvent.objects.count()
    load_paths([path])
    assert AuditEvent.objects.count() == events


def test_a_changed_translation_in_a_dataset_is_audited_by_its_key(demo, tmp_path):
    load_paths([write(tmp_path, TRANSLATED)])
    load_paths([write(tmp_path, TRANSLATED.replace("name_en: Unemployment rate", "name_en: Jobless rate"))])
    event = AuditEvent.objects.get(object_type="kpis.kpi", field="name_en")
    assert (event.old, event.new) == ("Unemployment rate", "Jobless rate")


def test_the_admin_saves_a_translation_beside_the_field_with_an_audit_event(demo, client):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(root)
    kpi = taipei_108_kpi()
    before = kpi.name_en or ""
    page = admin_url("admin:kpis_kpi_change", kpi.pk)
    shown = client.get(page)
    fields = list(shown.context["adminform"].form.fields)
    # beside the name its translation; none into Chinese, the language the name itself is written in
    assert fields.index("name_en") == fields.index("name") + 1 and "name_zh_hant" not in fields
    data = form_data(shown)
    data.update(name_en="Rate of unemployment", change_reason="English name for the English pages")
    response = client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    kpi.refresh_from_db()
    assert kpi.name_en == "Rate of unemployment" and kpi.name == "失業率"
    event = AuditEvent.objects.get(object_type="kpis.kpi", object_id=kpi.pk, field="name_en")
    assert (event.old, event.new, event.reason) == (
        before,
        "Rate of unemployment",
        "English name for the English pages",
    )


def test_an_organizations_report_wording_and_its_translations_survive_a_dump_and_a_load(demo, tmp_path):
    dumped = dump_organizations(["taipei"])
    taipei = Organization.objects.get(code="taipei")
    wording = taipei.report_settings  # type: ignore[attr-defined]
    wording.closing, wording.i18n = "改過", {}
    wording.save()
    load_paths([write(tmp_path, dumped, "organizations.yaml")])
    wording.refresh_from_db()
    assert wording.closing == "簡報結束，敬請指教！"
    assert names.local_text(wording, "closing", language="en") == "Thank you for your attention."
