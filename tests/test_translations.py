"""The Chinese interface is Chinese: every message translated, Chinese punctuation, third-party labels too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

import stratmap
from tests.helpers import MISSED, download, fill, upload

pytestmark = pytest.mark.django_db

CATALOGUE = Path(stratmap.__file__).parent / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
RESULT = "/taipei/109/kpis/DP5.1/result/"
ENTRY = {
    "actual": "6.1",
    "unknown_kind": "",
    "innovation": "90",
    "challenge": "95",
    "contribution": "95",
    "situation_analysis": "營造業事故",
    "countermeasures": "加強檢查",
}
#: A Chinese character followed by an ASCII colon or comma: 「狀態: 草稿」, 「新增 1 筆成果, 修改」.
HALF_WIDTH = re.compile(r"[\u3400-\u9fff\u3001-\u303f）」][:,]")


def catalogue_entries(text: str) -> list[dict]:
    """The entries of a .po file (blocks between blank lines): flags, msgctxt, msgid, msgid_plural, msgstr[n]."""
    entries = []
    for block in re.split(r"\n\s*\n", text):
        entry: dict = {"flags": set()}
        key = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue  # references, comments, obsolete (#~) entries
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)  # the .po quoting is Python's for these strings
            else:
                key, _, quoted = line.partition(" ")
                entry[key] = ast.literal_eval(quoted)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def test_every_message_of_the_chinese_catalogue_is_translated():
    entries = catalogue_entries(CATALOGUE.read_text(encoding="utf-8"))
    assert len(entries) > 300, "the catalogue was read"
    messages = [e for e in entries if e["msgid"]]  # the header has an empty msgid
    untranslated = [e["msgid"] for e in messages if any(not e[k] for k in e if k.startswith("msgstr"))]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert not untranslated, f"{len(untranslated)} message(s) have an empty translation: {untranslated[:5]}"
    assert not fuzzy, f"fuzzy translations are not used: {fuzzy[:5]}"


def test_the_catalogue_uses_chinese_punctuation_after_chinese_text():
    entries = catalogue_entries(CATALOGUE.read_text(encoding="utf-8"))
    wrong = [text for e in entries for k, text in e.items() if k.startswith("msgstr") and HALF_WIDTH.search(text)]
    assert not wrong, wrong[:5]


def test_a_refused_workbook_says_so_in_chinese(people, client):
    book = download(client, people["dol"])
    fill(book, "DP5.1", **{**MISSED, "innovation": 150})
    page = upload(client, book).content.decode()
    assert "未儲存任何資料：活頁簿有 1 個問題。" in page
    assert "Nothing was saved" not in page


def test_an_upload_summary_is_chinese_with_chinese_punctuation(people, client):
    book = download(client, people["dol"])
    fill(book, "DP5.1", **MISSED)
    response = upload(client, book)
    assert response.status_code == 200
    page = response.content.decode()
    summary = page[page.index('id="upload-summary"') :][:1500]
    assert "新增 1 筆成果，修改 0 筆成果" in summary
    assert "列未填" in summary and "rows left empty" not in summary
    assert "新增：" in summary
    assert not HALF_WIDTH.search(re.sub(r"<[^>]+>", "", summary))


def test_labels_on_the_result_page_take_a_full_width_colon(people, client):
    client.force_login(people["dol"])
    page = client.get(RESULT).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "狀態：" in text
    assert "狀態:" not in text and "民國109年成果:" not in text


def test_a_conflict_names_the_fields_in_chinese(people, client):
    client.force_login(people["dol"])
    client.post(RESULT, {**ENTRY, "version": 0})
    stale = client.post(RESULT, {**ENTRY, "actual": "6.3", "version": 0})
    assert stale.status_code == 409
    conflict = stale.content.decode()
    conflict = conflict[conflict.index('role="alert"') :]
    conflict = conflict[: conflict.index("</div>")]
    assert "達成值" in conflict
    assert not re.search(r"\b(actual|innovation|situation_analysis)\b", conflict)


def test_the_login_throttles_admin_pages_are_in_chinese(demo, client):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(username="dol", ip_address="192.0.2.1", user_agent="curl", failures_since_start=1)
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(admin)
    index = client.get("/admin/").content.decode()
    assert "登入嘗試" in index and "登入紀錄" in index
    assert "Access attempts" not in index and "Access logs" not in index
    attempts = client.get("/admin/axes/accessattempt/").content.decode()
    for label in ("IP 位址", "帳號", "嘗試時間"):
        assert label in attempts, label
    assert "IP Address" not in attempts and "Attempt Time" not in attempts
