"""``stratmap backup PATH``: save the whole database in one file that ``stratmap restore`` brings back.

The dataset files (``stratmap dump``) hold maps, not what people did with them:
users, their roles, the KPI results they entered and the audit trail of every
change. A backup holds all of it, so a server can be rebuilt or moved.

It is Django's own serialization, not a format of ours: one JSON document (UTF-8,
Chinese as written) whose ``objects`` are what ``dumpdata`` would write, with
users, groups, permissions and content types referred to by natural key, so the
file loads into any freshly migrated database whatever ids its permissions got.
Around them a header says what the file is and what it holds::

    {"format": "stratmap-backup/1", "created": "…", "stratmap": "0.1.0", "django": "5.2",
     "migrations": {"core": "0002_initial", …}, "counts": {"core.organization": 12, …},
     "objects": [
    {"model": "auth.group", "pk": 1, "fields": {…}},
    …
    ]}

What is saved is decided here, once, for both commands: every model of every
``stratmap.*`` app (so models added later are included without a change here),
Django's users and groups with their permissions, and the admin's change
history. Content types and permissions are not saved (``migrate`` creates
them), nor are sessions (a restore logs everyone out).

The file is written to a temporary file beside PATH and renamed over it only
when complete, so a failed backup leaves no half file and keeps the old backup.
It holds password hashes: it is created readable by its owner only.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

import stratmap

FORMAT = "stratmap-backup/1"


def backed_up_models() -> list[type[models.Model]]:
    """The models a backup holds, in an order that loads: natural-key models before those that refer to them."""
    chosen: list[type[models.Model]] = [
        model
        for app_config in apps.get_app_configs()
        if app_config.name.startswith("stratmap.")
        for model in app_config.get_models()
    ]
    chosen += [apps.get_model("auth", "Group"), get_user_model()]
    if apps.is_installed("django.contrib.admin"):
        chosen.append(apps.get_model("admin", "LogEntry"))
    # Proxies share their concrete model's rows; unmanaged models are not ours to write.
    kept = [model for model in dict.fromkeys(chosen) if model._meta.managed and not model._meta.proxy]
    return serializers.sort_dependencies([(None, kept)], allow_cycles=True)


def label(model: type[models.Model]) -> str:
    """The name a model has in a backup, as in the serialized objects: ``core.organization``."""
    return model._meta.label_lower


def schema_migrations(models_: list[type[models.Model]]) -> dict[str, str]:
    """The latest migration of each app the backup covers: the schema the data fits."""
    app_labels = {model._meta.app_label for model in models_}
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return {app: name for app, name in sorted(graph.leaf_nodes()) if app in app_labels}


def unapplied_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations this stratmap has that the database has not applied: its schema is not ours yet."""
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


class BackupEncoder(DjangoJSONEncoder):
    """Django's JSON encoder, but keeping microseconds (Django's cuts them to milliseconds).

    An audit event's time is restored exactly as it was recorded.
    """

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time) and not timezone.is_aware(o):
            return o.isoformat()
        return super().default(o)


def backup_document(using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Everything a backup holds, read in one transaction so the rows fit together."""
    connection = connections[using]
    models_ = backed_up_models()
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table: a row changed meanwhile cannot leave a dangling reference.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        objects: list[dict[str, Any]] = []
        for model in models_:
            queryset = model._base_manager.using(using).order_by(model._meta.pk.name)
            objects += serializers.serialize("python", queryset.iterator(), use_natural_foreign_keys=True)
    found = Counter(obj["model"] for obj in objects)
    return {
        "format": FORMAT,
        "created": timezone.now().isoformat(timespec="seconds"),
        "stratmap": stratmap.__version__,
        "django": django.get_version(),
        "database": connection.vendor,
        "migrations": schema_migrations(models_),
        "counts": {label(model): found[label(model)] for model in models_},
        "objects": objects,
    }


def encode(document: dict[str, Any]) -> str:
    """The document as JSON text: the header first, then one object per line (easy to grep and diff)."""
    header = {key: value for key, value in document.items() if key != "objects"}
    head = json.dumps(header, ensure_ascii=False, indent=1, cls=BackupEncoder)
    lines = ",\n".join(json.dumps(obj, ensure_ascii=False, cls=BackupEncoder) for obj in document["objects"])
    return f'{head[:-2]},\n "objects": [\n{lines}\n]}}\n'


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file in PATH's folder, renamed over PATH only once complete and on disk."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Save all stratmap data, users and groups with their permissions, and the audit trail "
        "in one JSON file that `stratmap restore` loads. PATH '-' writes to standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file to write (replaced if it exists), or - for standard output")

    def handle(self, *args, path: str, **options) -> None:
        target = None if path == "-" else Path(path)
        if target is not None and not target.parent.is_dir():
            raise CommandError(f"cannot write {target}: folder {target.parent} does not exist")
        pending = unapplied_migrations()
        if pending:
            raise CommandError(f"the database lacks migration {pending[0]}: run `stratmap migrate` first")
        try:
            document = backup_document()
        except DatabaseError as exc:
            raise CommandError(f"cannot read the database: {exc}") from None
        text = encode(document)
        if target is None:
            out = getattr(self.stdout, "buffer", None)
            if out is not None:
                out.write(text.encode("utf-8"))
                out.flush()
            else:
                self.stdout.write(text, ending="")
            report = self.stderr
        else:
            try:
                write_atomically(target, text)
            except OSError as exc:
                raise CommandError(f"cannot write {target}: {exc.strerror or exc}; no backup was written") from None
            report = self.stdout
        counts = document["counts"]
        report.write(
            self.style.SUCCESS(
                f"backed up {sum(counts.values())} row(s) of {len(counts)} model(s) to {target or 'standard output'}"
            )
        )
