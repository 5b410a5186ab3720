"""`stratmap backup` and `stratmap restore`: everything comes back, and nothing is lost by mistake."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import stat
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.test import RequestFactory

import stratmap
from stratmap.core.backup import seal
from stratmap.core.models import Organization
from stratmap.kpis.models import KpiResult

User = get_user_model()
PASSWORD = "correct horse battery staple"


def covered_models() -> list:
    """What a backup promises to hold: every model of every stratmap app, users, groups, the admin's history."""
    ours = [model for model in apps.get_models() if model._meta.app_config.name.startswith("stratmap.")]
    return [*ours, User, Group, LogEntry]


def snapshot() -> dict[str, list[dict]]:
    """Every row of every covered model, as Django serializes it (many-to-many lists sorted)."""
    data = {}
    for model in covered_models():
        rows = serializers.serialize("python", model._base_manager.order_by("pk"), use_natural_foreign_keys=True)
        for row in rows:
            for field in model._meta.many_to_many:
                row["fields"][field.name] = sorted(row["fields"][field.name])
        data[model._meta.label] = rows
    return data


def quiet(*args, **options) -> None:
    """Run a command that should succeed, keeping its report out of the test output."""
    call_command(*args, stdout=io.StringIO(), stderr=io.StringIO(), **options)


@pytest.fixture(autouse=True)
def _forget_content_type_ids():
    """`flush` recreates content types under new ids, which the test's rollback then discards."""
    yield
    ContentType.objects.clear_cache()


@pytest.fixture
def superuser(demo):
    """The superuser chen, on the demo and what only a live database has: a group, the audit trail, the admin's log."""
    from stratmap.core.audit import record

    editors = Group.objects.create(name="編輯")
    editors.permissions.set(Permission.objects.filter(codename__in=["change_kpiresult", "view_kpi"]))
    admin = User.objects.create_superuser("chen", "chen@example.tw", PASSWORD, first_name="陳小明")
    admin.groups.add(editors)
    admin.user_permissions.add(Permission.objects.get(codename="add_organization"))
    city = Organization.objects.get(code="taipei")
    record(user=admin, obj=city, action="change", changes={"name_en": ("", "Taipei")}, reason="補上英文名")
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Organization),
        object_id=str(city.pk),
        object_repr=str(city),
        action_flag=CHANGE,
        change_message="改名",
    )
    return admin


@pytest.fixture
def restored(transactional_db, superuser, tmp_path):
    """Backup, empty the database as a new server would be, restore: the rows as they were before.

    Committed for real (transactional_db), as on a server: PostgreSQL's ``flush`` cannot
    truncate tables with foreign-key checks still pending in an open transaction.
    """
    before = snapshot()
    path = tmp_path / "stratmap.json"
    quiet("backup", str(path))
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists() and not Organization.objects.exists()
    with transaction.atomic():  # a new server numbers its content types and permissions its own way
        ContentType.objects.update(id=F("id") + 1000)
        Permission.objects.update(id=F("id") + 1000, content_type_id=F("content_type_id") + 1000)
    ContentType.objects.clear_cache()
    quiet("restore", str(path))
    return before


def test_a_restore_brings_back_every_row_of_every_model_as_it_was(restored):
    after = snapshot()
    assert after.keys() == restored.keys()
    for name, rows in restored.items():
        assert after[name] == rows, f"{name} differs after the restore"
    assert any(restored["core.AuditEvent"]), "the audit trail was part of the backup"


def test_people_log_in_with_their_old_password_and_keep_their_permissions_after_a_restore(restored):
    user = authenticate(RequestFactory().post("/admin/login/"), username="chen", password=PASSWORD)
    assert user is not None and user.is_superuser
    assert {group.name for group in user.groups.all()} == {"編輯"}
    assert Group.objects.get(name="編輯").permissions.filter(codename="change_kpiresult").exists()
    assert user.user_permissions.filter(codename="add_organization").exists()


def test_new_rows_get_fresh_ids_after_a_restore(restored):
    highest = max(row["pk"] for row in restored["core.Organization"])
    added = Organization.objects.create(code="new-bureau", name="新機關", kind=Organization.Kind.BUREAU)
    assert added.pk > highest
    newcomer = User.objects.create_user("newcomer", password=PASSWORD)
    newcomer.groups.add(Group.objects.get(name="編輯"))
    assert newcomer.pk > max(row["pk"] for row in restored["auth.User"])


def test_the_backup_file_says_what_it_is_reads_as_written_and_is_private(superuser, tmp_path):
    path = tmp_path / "stratmap.json"
    quiet("backup", str(path))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "stratmap-backup/1"
    assert document["stratmap"] == stratmap.__version__ and document["django"] and document["created"]
    for model in covered_models():
        assert document["counts"][model._meta.label_lower] == model._base_manager.count()
    assert sum(document["counts"].values()) == len(document["objects"])
    assert "臺北市政府" in path.read_text(encoding="utf-8")  # Chinese as written, not \u escapes
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds password hashes
    saved = {obj["model"] for obj in document["objects"]}
    assert not saved & {"contenttypes.contenttype", "auth.permission", "sessions.session"}


def test_a_backup_can_go_to_standard_output(superuser, capsys):
    call_command("backup", "-")
    document = json.loads(capsys.readouterr().out)
    assert document["counts"]["auth.user"] == 1


def test_restore_into_a_database_that_holds_data_is_refused_and_changes_nothing(superuser, tmp_path):
    path = tmp_path / "stratmap.json"
    quiet("backup", str(path))
    Organization.objects.filter(code="taipei").update(name="改過的名稱")
    before = snapshot()
    with pytest.raises(CommandError, match=r"already holds data.*--replace"):
        call_command("restore", str(path))
    assert snapshot() == before


def test_restore_with_replace_puts_the_backup_in_place_of_what_is_there(superuser, tmp_path):
    path = tmp_path / "stratmap.json"
    backed_up = snapshot()
    quiet("backup", str(path))
    Organization.objects.filter(code="taipei").update(name="改過的名稱")
    KpiResult.objects.all()[0].delete()
    User.objects.create_user("intruder", password=PASSWORD)
    quiet("restore", str(path), replace=True)
    assert snapshot() == backed_up
    assert not User.objects.filter(username="intruder").exists()


def backup_text(tmp_path: Path) -> str:
    path = tmp_path / "good.json"
    quiet("backup", str(path))
    return path.read_text(encoding="utf-8")


def edited(text: str, change, *, sealed: bool = False) -> str:
    """The backup changed by ``change``; ``sealed``: with its manifest made again with this server's key,
    as an administrator who holds the key could, so that what is checked next is the objects themselves."""
    document = json.loads(text)
    change(document)
    return json.dumps(seal(document) if sealed else document, ensure_ascii=False)


def no_format(document):
    del document["format"]


def future_format(document):
    document["format"] = "stratmap-backup/2"


def lost_an_object(document):
    document["objects"].pop()


def future_schema(document):
    document["migrations"]["core"] = "9999_from_the_future"


def sessions_smuggled_in(document):
    document["objects"].append({"model": "sessions.session", "pk": "x", "fields": {}})
    document["counts"]["sessions.session"] = 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda text: text[: len(text) // 2], "not valid JSON"),
        (lambda text: "code: taipei\nname: 臺北市政府\n", "not valid JSON"),
        (lambda text: json.dumps(json.loads(text)["objects"]), "not a stratmap backup.*loaddata"),
        (lambda text: edited(text, no_format), "not a stratmap backup"),
        (lambda text: edited(text, future_format), "stratmap-backup/2 backup, which this stratmap cannot read"),
        (lambda text: edited(text, lost_an_object), "damaged.*truncated or edited"),
        (lambda text: edited(text, future_schema), "newer, stratmap.*core.9999_from_the_future, unknown here"),
        (lambda text: edited(text, sessions_smuggled_in), "sessions.session"),
    ],
    ids=["cut-short", "yaml", "django-fixture", "no-format", "newer-format", "lost-object", "newer-schema", "foreign"],
)
def test_a_file_that_is_not_a_good_stratmap_backup_is_refused_even_with_replace(superuser, tmp_path, make, message):
    path = tmp_path / "suspect.json"
    path.write_text(make(backup_text(tmp_path)), encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError, match=message) as refused:
        call_command("restore", str(path), replace=True)
    assert str(path) in str(refused.value)
    assert snapshot() == before


def test_a_missing_backup_file_is_named_in_the_refusal(db, tmp_path):
    with pytest.raises(CommandError, match=re.escape(f"{tmp_path / 'nowhere.json'}: no such file")):
        call_command("restore", str(tmp_path / "nowhere.json"))


def test_a_restore_that_fails_halfway_changes_nothing(superuser, tmp_path):
    def dangling(document):
        result = next(obj for obj in document["objects"] if obj["model"] == "kpis.kpiresult")
        result["fields"]["kpi"] = 987654321

    path = tmp_path / "dangling.json"
    path.write_text(edited(backup_text(tmp_path), dangling, sealed=True), encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError, match=r"(?s)could not restore.*Nothing was changed"):
        call_command("restore", str(path), replace=True)
    assert snapshot() == before


def test_a_failed_backup_leaves_no_file_and_keeps_the_previous_backup(superuser, tmp_path, monkeypatch):
    path = tmp_path / "stratmap.json"
    path.write_text("the previous backup", encoding="utf-8")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(CommandError, match="No space left on device; no backup was written"):
        call_command("backup", str(path))
    assert path.read_text(encoding="utf-8") == "the previous backup"
    assert [p.name for p in tmp_path.iterdir()] == ["stratmap.json"]


def test_a_backup_into_a_missing_folder_fails_and_writes_nothing(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "missing" / "stratmap.json"))
    assert list(tmp_path.iterdir()) == []


# --- integrity: a backup is restored only as it was written --------------------------------------


def promoted_to_superuser(document):
    clerk = next(
        obj for obj in document["objects"] if obj["model"] == "auth.user" and not obj["fields"]["is_superuser"]
    )
    clerk["fields"].update(is_superuser=True, is_staff=True)


def audit_event_rewritten(document):
    event = next(obj for obj in document["objects"] if obj["model"] == "core.auditevent")
    event["fields"].update(username="someone-else", reason="nobody asked")


def results_removed_and_counted_again(document):
    document["objects"] = [obj for obj in document["objects"] if obj["model"] != "kpis.kpiresult"]
    document["counts"]["kpis.kpiresult"] = 0
    document["integrity"]["models"].pop("kpis.kpiresult", None)


TAMPERING = [promoted_to_superuser, audit_event_rewritten, results_removed_and_counted_again]
TAMPERING_IDS = ["superuser", "audit-event", "removed-and-counted"]


def restore_refused(path: Path, match: str, **options) -> CommandError:
    """Restore PATH expecting a refusal matching ``match``, and check that nothing changed."""
    before = snapshot()
    with pytest.raises(CommandError, match=match) as refused:
        call_command("restore", str(path), replace=True, **options)
    assert str(path) in str(refused.value)
    assert snapshot() == before
    return refused.value


@pytest.fixture
def clerk(superuser):
    """Someone who is not a superuser, and whom a forger would like to make one."""
    return User.objects.create_user("clerk", password=PASSWORD)


@pytest.mark.parametrize("change", TAMPERING, ids=TAMPERING_IDS)
def test_a_backup_edited_after_it_was_made_is_refused_by_its_checksums(clerk, tmp_path, change):
    path = tmp_path / "edited.json"
    path.write_text(edited(backup_text(tmp_path), change), encoding="utf-8")
    restore_refused(path, r"damaged stratmap backup.*(checksum|manifest lists)", ignore_signature=True)


@pytest.mark.parametrize("change", TAMPERING, ids=TAMPERING_IDS)
def test_a_backup_edited_and_resealed_without_the_secret_key_is_refused(clerk, tmp_path, settings, change):
    text = backup_text(tmp_path)
    settings.SECRET_KEY = "what-an-intruder-without-the-key-would-use"  # every checksum made again, but not the key
    forged = edited(text, change, sealed=True)
    settings.SECRET_KEY = "the-server's-own-key-" + "x" * 40
    path = tmp_path / "forged.json"
    path.write_text(forged, encoding="utf-8")
    # The server's key changed after the backup too: the genuine file is then refused as well, until told.
    restore_refused(path, "not signed with this server's SECRET_KEY.*--ignore-signature")


def test_a_backup_made_with_a_former_key_restores_while_that_key_is_a_fallback(superuser, tmp_path, settings):
    backed_up = snapshot()
    text = backup_text(tmp_path)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-after-rotation-" + "y" * 40
    path = tmp_path / "stratmap.json"
    path.write_text(text, encoding="utf-8")
    Organization.objects.filter(code="taipei").update(name="改過的名稱")
    quiet("restore", str(path), replace=True)
    assert snapshot() == backed_up


def test_a_backup_from_a_server_with_another_key_restores_only_with_ignore_signature(superuser, tmp_path, settings):
    backed_up = snapshot()
    text = backup_text(tmp_path)
    settings.SECRET_KEY = "the-new-server's-key-" + "z" * 40
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(json.loads(text), indent=4, ensure_ascii=False), encoding="utf-8")  # layout is free
    Organization.objects.filter(code="taipei").update(name="改過的名稱")
    restore_refused(path, "not signed with this server's SECRET_KEY")
    quiet("restore", str(path), replace=True, ignore_signature=True)
    assert snapshot() == backed_up


def test_a_backup_without_its_integrity_manifest_is_refused(superuser, tmp_path):
    def unsealed(document):
        del document["integrity"]

    path = tmp_path / "unsealed.json"
    path.write_text(edited(backup_text(tmp_path), unsealed), encoding="utf-8")
    restore_refused(path, "no integrity manifest", ignore_signature=True)


def first(document, model: str) -> dict:
    return next(obj for obj in document["objects"] if obj["model"] == model)


def bad_status(document):
    first(document, "kpis.kpiresult")["fields"]["status"] = "hacked"


def too_many_digits(document):
    first(document, "kpis.kpitarget")["fields"]["value"] = "1000000000000000000"


def too_many_decimals(document):
    first(document, "kpis.kpiresult")["fields"]["innovation"] = "1.23456"


def unknown_field(document):
    first(document, "core.organization")["fields"]["is_root"] = True


def fields_not_an_object(document):
    first(document, "core.organization")["fields"] = ["taipei"]


def no_pk(document):
    del first(document, "strategy.theme")["pk"]


def many_to_many_not_a_list(document):
    first(document, "auth.user")["fields"]["groups"] = "編輯"


def time_as_a_number(document):
    first(document, "core.auditevent")["fields"]["at"] = 12


def reference_as_an_object(document):
    first(document, "kpis.kpiresult")["fields"]["kpi"] = {"pk": 1}


@pytest.mark.parametrize(
    ("change", "model", "message"),
    [
        (bad_status, "kpis.kpiresult", r"field status = \"hacked\": .*'hacked'"),
        (too_many_digits, "kpis.kpitarget", r"field value = \"1000000000000000000\": .*16"),
        (too_many_decimals, "kpis.kpiresult", r"field innovation = \"1.23456\": .*3"),
        (unknown_field, "core.organization", r"unknown field \"is_root\" \(value true\)"),
        (fields_not_an_object, "core.organization", r"its \"fields\" are \[\"taipei\"\], not an object"),
        (no_pk, "strategy.theme", r"the pk null is not a valid id"),
        (many_to_many_not_a_list, "auth.user", r"field groups = \"編輯\": not a list"),
        (time_as_a_number, "core.auditevent", r"field at = 12: "),
        (reference_as_an_object, "kpis.kpiresult", r"field kpi = \{\"pk\": 1\}: not a reference to a row"),
    ],
    ids=["status", "digits", "decimals", "unknown-field", "fields", "pk", "many-to-many", "time", "reference"],
)
def test_an_invalid_object_in_a_sealed_backup_is_named_and_nothing_is_written(
    superuser, tmp_path, change, model, message
):
    path = tmp_path / "invalid.json"
    path.write_text(edited(backup_text(tmp_path), change, sealed=True), encoding="utf-8")
    refused = restore_refused(path, rf"(?s)invalid object.*{re.escape(model)} pk=.*{message}.*Nothing was changed")
    assert "Traceback" not in str(refused)


def test_every_invalid_object_of_a_backup_is_listed_in_one_refusal(superuser, tmp_path):
    def two_problems(document):
        bad_status(document)
        too_many_digits(document)

    path = tmp_path / "invalid.json"
    path.write_text(edited(backup_text(tmp_path), two_problems, sealed=True), encoding="utf-8")
    refused = restore_refused(path, "holds 2 invalid object")
    assert "status" in str(refused) and "value" in str(refused)
