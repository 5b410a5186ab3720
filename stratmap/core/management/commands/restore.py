"""``stratmap restore PATH [--replace]``: bring back a ``stratmap backup``, all or nothing.

Restoring over live data by mistake would lose it, so restore refuses a database
that already holds anything a backup holds (stratmap data, users, groups) unless
``--replace`` is given; then it deletes that data first. Deleting and loading
happen in one transaction: a restore that fails for any reason leaves the
database exactly as it was.

The file is checked before the database is touched: it must be a stratmap backup
(the ``format`` header), complete (its objects agree with its counts) and made
for a schema this stratmap knows (its migrations). Its objects go to Django's
deserializer, as ``loaddata`` would load them; ids are kept, so links between
rows, and the audit trail's references, stay as they were. Afterwards the id
sequences are moved past the restored ids (PostgreSQL; SQLite needs nothing) so
new rows get fresh ids.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.loader import MigrationLoader

from stratmap.core.management.commands.backup import FORMAT, backed_up_models, label, unapplied_migrations


def read_backup(path: Path) -> dict[str, Any]:
    """The backup document at PATH, checked to be a complete stratmap backup; CommandError otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a stratmap backup: it is not UTF-8 text") from None
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path} is not a stratmap backup: it is not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    found = document.get("format") if isinstance(document, dict) else None
    if found != FORMAT:
        if isinstance(found, str) and found.startswith("stratmap-backup/"):
            raise CommandError(f"{path} is a {found} backup, which this stratmap cannot read (it reads {FORMAT})")
        hint = " (a Django fixture? load it with `stratmap loaddata`)" if isinstance(document, list) else ""
        raise CommandError(f'{path} is not a stratmap backup: it has no "format": "{FORMAT}" header{hint}')
    objects, counts = document.get("objects"), document.get("counts")
    if (
        not isinstance(objects, list)
        or not isinstance(counts, dict)
        or not all(isinstance(obj, dict) and isinstance(obj.get("model"), str) for obj in objects)
    ):
        raise CommandError(f'{path} is a damaged stratmap backup: its "objects" or "counts" are missing or malformed')
    held = Counter(obj["model"] for obj in objects)
    for name in sorted(set(held) | set(counts)):
        if held[name] != counts.get(name, 0):
            raise CommandError(
                f"{path} is a damaged stratmap backup: its header counts {counts.get(name, 0)} {name} row(s) "
                f"but it holds {held[name]} (truncated or edited?)"
            )
    return document


def check_fits(path: Path, document: dict[str, Any], models_: list[type[models.Model]], using: str) -> None:
    """Refuse a backup this database cannot take: unknown models or migrations, or a database not migrated."""
    allowed = {label(model) for model in models_}
    foreign = sorted(set(document["counts"]) - allowed)
    if foreign:
        raise CommandError(
            f"{path} holds {', '.join(foreign)}, which a backup does not restore here "
            "(made by another stratmap version?)"
        )
    known = MigrationLoader(None, ignore_no_migrations=True).graph.nodes
    migrations = document.get("migrations") or {}
    if not isinstance(migrations, dict):
        raise CommandError(f'{path} is a damaged stratmap backup: its "migrations" are malformed')
    for app, name in sorted(migrations.items()):
        if (app, name) not in known:
            raise CommandError(
                f"{path} was made by another, probably newer, stratmap {document.get('stratmap', '')}: "
                f"its schema has migration {app}.{name}, unknown here. Upgrade stratmap, migrate, then restore"
            )
    pending = unapplied_migrations(using)
    if pending:
        raise CommandError(f"the database lacks migration {pending[0]}: run `stratmap migrate` first")


def tables_of(models_: list[type[models.Model]]) -> list[str]:
    """The tables holding these models' rows: their own, and those of their many-to-many fields."""
    tables = []
    for model in reversed(models_):
        for field in model._meta.local_many_to_many:
            if field.remote_field.through._meta.auto_created:
                tables.append(field.m2m_db_table())
        tables.append(model._meta.db_table)
    return tables


def delete_everything(models_: list[type[models.Model]], using: str) -> None:
    """Empty the backed-up tables, and the sessions (they name users that are about to change).

    Plain DELETEs, no signals and no cascades: every table involved is emptied, and the
    foreign keys are checked once the restore has loaded.
    """
    tables = tables_of(models_)
    if apps.is_installed("django.contrib.sessions"):
        tables.append(apps.get_model("sessions", "Session")._meta.db_table)
    connection = connections[using]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def load(objects: list[dict[str, Any]], models_: list[type[models.Model]], using: str) -> None:
    """Save the objects as ``loaddata`` does, check every foreign key, then move the id sequences on."""
    connection = connections[using]
    deferred = []
    with connection.constraint_checks_disabled():
        for item in serializers.deserialize("python", objects, using=using, handle_forward_references=True):
            try:
                item.save(using=using)
            except (DatabaseError, ValueError) as exc:
                exc.args = (f"{label(type(item.object))} {item.object.pk}: {exc}",)  # as loaddata says which
                raise
            if item.deferred_fields:
                deferred.append(item)
        for item in deferred:
            item.save_deferred_fields(using=using)
    connection.check_constraints()
    through = [
        field.remote_field.through
        for model in models_
        for field in model._meta.local_many_to_many
        if field.remote_field.through._meta.auto_created
    ]
    statements = connection.ops.sequence_reset_sql(no_style(), [*models_, *through])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


class Command(BaseCommand):
    help = (
        "Restore a `stratmap backup` file into an empty, migrated database; with --replace, "
        "delete the data already there first. On any error nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--replace", action="store_true", help="delete the data already in the database, then restore"
        )

    def handle(self, *args, path: Path, replace: bool, **options) -> None:
        using = DEFAULT_DB_ALIAS
        document = read_backup(path)
        models_ = backed_up_models()
        check_fits(path, document, models_, using)
        try:
            with transaction.atomic(using=using):
                present = {
                    label(model): rows for model in models_ if (rows := model._base_manager.using(using).count())
                }
                if present and not replace:
                    # Users first: they are what a restore over a live server would lose.
                    first = sorted(present, key=lambda name: not name.startswith("auth."))[:3]
                    held = ", ".join(f"{present[name]} {name}" for name in first)
                    held += ", …" if len(present) > len(first) else ""
                    raise CommandError(
                        f"the database already holds data ({held}); restoring {path} would mix with it. "
                        "Give --replace to delete it and restore the backup. Nothing was changed."
                    )
                if present:
                    delete_everything(models_, using)
                load(document["objects"], models_, using)
                for model in models_:
                    rows, expected = model._base_manager.using(using).count(), document["counts"].get(label(model), 0)
                    if rows != expected:
                        raise CommandError(
                            f"after loading, {label(model)} holds {rows} row(s) but {path} has {expected}: "
                            "something wrote rows while restoring. Nothing was changed."
                        )
        except (DeserializationError, DatabaseError, FieldDoesNotExist, ObjectDoesNotExist, ValueError) as exc:
            reason = str(exc).strip().rstrip(".")
            raise CommandError(f"could not restore {path}: {reason}. Nothing was changed.") from exc
        if present:
            self.stdout.write(f"deleted the {sum(present.values())} row(s) that were in the database")
        counts = document["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {sum(counts.values())} row(s) of {len(counts)} model(s) from {path} "
                f"(backup made {document.get('created', '?')} by stratmap {document.get('stratmap', '?')})"
            )
        )
