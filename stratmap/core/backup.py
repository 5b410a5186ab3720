"""Backups of the whole database (``stratmap backup``) and bringing them back (``stratmap restore``).

A backup is Django's own serialization, not a format of ours: one JSON document
(UTF-8, Chinese as written) whose ``objects`` are what ``dumpdata`` would write,
with users, groups, permissions and content types referred to by natural key, so
the file loads into any freshly migrated database whatever ids its permissions got.
Around them a header says what the file is and what it holds, and an integrity
manifest lets a restore prove the file is the one that was written::

    {"format": "stratmap-backup/1", "created": "…", "stratmap": "0.1.0", "django": "5.2",
     "migrations": {"core": "0002_initial", …}, "counts": {"core.organization": 12, …},
     "integrity": {"manifest": 1, "models": {"core.organization": {"objects": 12, "sha256": "…"}, …},
                   "sha256": "…", "hmac-sha256": "…"},
     "objects": [
    {"model": "auth.group", "pk": 1, "fields": {…}},
    …
    ]}

The checksums are taken over a canonical form of the data (JSON with sorted keys
and no spaces, one line per object), so they do not depend on the file's layout:
re-indenting a backup does not break it, changing any value does. A SHA-256 only
catches accidents and careless edits: whoever edits the file can compute it
again. The HMAC, keyed with the server's ``SECRET_KEY``, is what refuses a file
edited by someone without the key (a user made superuser, an audit event
rewritten, rows removed and the counts adjusted). A backup restored on a server
with another key therefore needs an explicit ``ignore_signature``.

Before anything is written, every object is checked as the admin would check it:
only the model's fields, each value readable and valid for its column (choices,
lengths, the decimal columns' digits, the shared text rules). Rows then load in one
transaction, and the model-wide rules (``clean``) and every foreign key are checked
before it commits: a bad backup changes nothing, and the error names the object.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import hmac
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.crypto import salted_hmac

import stratmap

if TYPE_CHECKING:
    from stratmap.core.commands import Steps

FORMAT = "stratmap-backup/1"
#: The version of the ``integrity`` manifest's layout.
MANIFEST = 1
#: Separates the backups' HMAC key from every other use Django makes of SECRET_KEY.
SIGNATURE_SALT = "stratmap.core.backup"
#: How many problems one refusal lists; the rest are counted.
SHOWN_PROBLEMS = 20
#: Rows checked or restored between two words to the progress shown on a terminal.
TOLD_EVERY = 100


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why, naming the file and the object."""


# --- what a backup holds ----------------------------------------------------------------------


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


def backup_document(using: str = DEFAULT_DB_ALIAS, progress: Steps | None = None) -> dict[str, Any]:
    """Everything a backup holds, read in one transaction so the rows fit together, and sealed;
    ``progress(done, total)`` is told of the tables read."""
    connection = connections[using]
    models_ = backed_up_models()
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table: a row changed meanwhile cannot leave a dangling reference.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        objects: list[dict[str, Any]] = []
        for done, model in enumerate(models_, 1):
            queryset = model._base_manager.using(using).order_by(model._meta.pk.name)
            objects += serializers.serialize("python", queryset.iterator(), use_natural_foreign_keys=True)
            if progress is not None:
                progress(done, len(models_))
    found = Counter(obj["model"] for obj in objects)
    document = {
        "format": FORMAT,
        "created": timezone.now().isoformat(timespec="seconds"),
        "stratmap": stratmap.__version__,
        "django": django.get_version(),
        "database": connection.vendor,
        "migrations": schema_migrations(models_),
        "counts": {label(model): found[label(model)] for model in models_},
        # As a restore will read them back: the checksums are taken over what the file says.
        "objects": json.loads(json.dumps(objects, cls=BackupEncoder)),
    }
    return seal(document)


# --- the integrity manifest -------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """One value as the checksums see it: JSON with sorted keys and no spaces, whatever the file's layout."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


def signed_lines(document: dict[str, Any]) -> Iterator[bytes]:
    """What the document's checksum and signature cover: its header, then every object in order."""
    yield canonical({key: value for key, value in document.items() if key not in ("objects", "integrity")})
    for obj in document["objects"]:
        yield canonical(obj)


def model_digests(objects: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each model's number of objects and SHA-256 over them: what says which model's rows were changed."""
    hashes: dict[str, Any] = {}
    counts: Counter[str] = Counter()
    for obj in objects:
        name = str(obj.get("model"))
        hashes.setdefault(name, hashlib.sha256()).update(canonical(obj))
        counts[name] += 1
    return {name: {"objects": counts[name], "sha256": hashes[name].hexdigest()} for name in sorted(hashes)}


def digests(document: dict[str, Any], secrets: list[str]) -> tuple[str, list[str]]:
    """The document's SHA-256, and its HMAC-SHA-256 under each of ``secrets``, in one pass over it."""
    plain = hashlib.sha256()
    keyed = [salted_hmac(SIGNATURE_SALT, b"", secret, algorithm="sha256") for secret in secrets]
    for line in signed_lines(document):
        plain.update(line)
        for mac in keyed:
            mac.update(line)
    return plain.hexdigest(), [mac.hexdigest() for mac in keyed]


def seal(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its integrity manifest, signed with this server's ``SECRET_KEY``.

    Whoever holds the key can seal an edited document: that is what an administrator
    who really means to change a backup does (and what the tests do).
    """
    sha256, (signature,) = digests(document, [settings.SECRET_KEY])
    sealed = {key: value for key, value in document.items() if key not in ("objects", "integrity")}
    sealed["integrity"] = {
        "manifest": MANIFEST,
        "models": model_digests(document["objects"]),
        "sha256": sha256,
        "hmac-sha256": signature,
    }
    sealed["objects"] = document["objects"]
    return sealed


def verify_integrity(path: Path, document: dict[str, Any], *, check_signature: bool = True) -> None:
    """Refuse a document whose objects or header are not those its manifest was made for."""
    damaged = f"{path} is a damaged stratmap backup"
    manifest = document.get("integrity")
    if not isinstance(manifest, dict) or manifest.get("manifest") != MANIFEST:
        raise BackupError(
            f"{damaged}: it has no integrity manifest (version {MANIFEST}), so it cannot be checked "
            "(edited, or made by another stratmap?)"
        )
    expected = manifest.get("models")
    if not isinstance(expected, dict):
        raise BackupError(f"{damaged}: its integrity manifest lists no models")
    found = model_digests(document["objects"])
    for name in sorted(set(expected) | set(found)):
        want, got = expected.get(name), found.get(name, {"objects": 0, "sha256": hashlib.sha256().hexdigest()})
        if not isinstance(want, dict) or want.get("objects") != got["objects"]:
            wanted = want.get("objects") if isinstance(want, dict) else 0
            raise BackupError(
                f"{damaged}: its manifest lists {wanted} {name} object(s) but it holds {got['objects']} "
                "(objects removed or added: truncated or edited?)"
            )
        if not hmac.compare_digest(str(want.get("sha256")), got["sha256"]):
            raise BackupError(
                f"{damaged}: its {name} objects do not match their checksum (edited or corrupted after the backup "
                "was made?)"
            )
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    sha256, signatures = digests(document, secrets)
    if not hmac.compare_digest(str(manifest.get("sha256")), sha256):
        raise BackupError(
            f"{damaged}: its header does not match its checksum (edited or corrupted after the backup was made?)"
        )
    if check_signature and not any(hmac.compare_digest(str(manifest.get("hmac-sha256")), s) for s in signatures):
        raise BackupError(
            f"{path} is not signed with this server's SECRET_KEY: it was edited by someone without the key, "
            "or made on a server with another SECRET_KEY. If you know where the file comes from and trust it, "
            "restore it with --ignore-signature"
        )


# --- writing the file -------------------------------------------------------------------------


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


# --- reading and checking a file --------------------------------------------------------------


def read_backup(path: Path) -> dict[str, Any]:
    """The backup document at PATH, checked to be a complete stratmap backup; BackupError otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise BackupError(f"{path} is not a stratmap backup: it is not UTF-8 text") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackupError(
            f"{path} is not a stratmap backup: it is not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, arrays nested too deep
        raise BackupError(f"{path} is not a stratmap backup: it is not JSON a backup writes ({exc})") from None
    found = document.get("format") if isinstance(document, dict) else None
    if found != FORMAT:
        if isinstance(found, str) and found.startswith("stratmap-backup/"):
            raise BackupError(f"{path} is a {found} backup, which this stratmap cannot read (it reads {FORMAT})")
        hint = " (a Django fixture? load it with `stratmap loaddata`)" if isinstance(document, list) else ""
        raise BackupError(f'{path} is not a stratmap backup: it has no "format": "{FORMAT}" header{hint}')
    objects, counts = document.get("objects"), document.get("counts")
    if (
        not isinstance(objects, list)
        or not isinstance(counts, dict)
        or not all(isinstance(obj, dict) and isinstance(obj.get("model"), str) for obj in objects)
    ):
        raise BackupError(f'{path} is a damaged stratmap backup: its "objects" or "counts" are missing or malformed')
    held = Counter(obj["model"] for obj in objects)
    for name in sorted(set(held) | set(counts)):
        if held[name] != counts.get(name, 0):
            raise BackupError(
                f"{path} is a damaged stratmap backup: its header counts {counts.get(name, 0)} {name} row(s) "
                f"but it holds {held[name]} (truncated or edited?)"
            )
    return document


def check_fits(path: Path, document: dict[str, Any], models_: list[type[models.Model]], using: str) -> None:
    """Refuse a backup this database cannot take: unknown models or migrations, or a database not migrated."""
    allowed = {label(model) for model in models_}
    foreign = sorted(set(document["counts"]) - allowed)
    if foreign:
        raise BackupError(
            f"{path} holds {', '.join(foreign)}, which a backup does not restore here "
            "(made by another stratmap version?)"
        )
    known = MigrationLoader(None, ignore_no_migrations=True).graph.nodes
    migrations = document.get("migrations") or {}
    if not isinstance(migrations, dict):
        raise BackupError(f'{path} is a damaged stratmap backup: its "migrations" are malformed')
    for app, name in sorted(migrations.items()):
        if (app, name) not in known:
            raise BackupError(
                f"{path} was made by another, probably newer, stratmap {document.get('stratmap', '')}: "
                f"its schema has migration {app}.{name}, unknown here. Upgrade stratmap, migrate, then restore"
            )
    pending = unapplied_migrations(using)
    if pending:
        raise BackupError(f"the database lacks migration {pending[0]}: run `stratmap migrate` first")


def shown(value: Any) -> str:
    """A value as an error message quotes it: as in the file, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def messages(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def saved_fields(model: type[models.Model]) -> tuple[list[models.Field], list[models.Field]]:
    """The fields a backup writes for a model, as Django's serializer picks them: plain and many-to-many."""
    concrete = model._meta.concrete_model
    assert concrete is not None  # only an abstract model has none, and it has no rows
    opts = concrete._meta
    # django-stubs does not declare Field.serialize, which Django's serializer reads: a stub gap.
    return (
        [field for field in opts.local_fields if field.serialize],  # type: ignore[attr-defined]
        [field for field in opts.local_many_to_many if field.serialize],  # type: ignore[attr-defined]
    )


def object_problems(obj: dict[str, Any], model: type[models.Model]) -> list[str]:
    """What is wrong with one object of the file, read without the database: each naming model, pk and field."""
    name, pk = obj["model"], obj.get("pk")
    where = f"{name} pk={shown(pk)}"
    unexpected = sorted(set(obj) - {"model", "pk", "fields"})
    if unexpected:
        return [f"{where}: unknown key {shown(unexpected[0])} beside model, pk and fields"]
    try:
        if model._meta.pk.to_python(pk) is None:
            raise ValidationError("no pk")
    except (ValidationError, TypeError, ValueError):
        return [f"{where}: the pk {shown(pk)} is not a valid id"]
    fields = obj.get("fields")
    if not isinstance(fields, dict):
        return [f'{where}: its "fields" are {shown(fields)}, not an object of field names and values']
    plain, many = saved_fields(model)
    known = {field.name: field for field in [*plain, *many]}
    problems = [
        f"{where}: unknown field {shown(field)} (value {shown(fields[field])})"
        for field in fields
        if field not in known
    ]
    problems += [f"{where}: field {shown(field)} is missing" for field in known if field not in fields]
    instance = model()
    for field in plain:
        if field.name not in fields:
            continue
        value = fields[field.name]
        if field.is_relation:
            natural = isinstance(value, list) and value and all(isinstance(part, str) for part in value)
            reference = isinstance(value, int) and not isinstance(value, bool)
            if (value is None and field.null) or natural or reference:
                continue  # that it refers to a row is checked by the database once everything is loaded
            problems.append(f"{where}, field {field.name} = {shown(value)}: not a reference to a row")
            continue
        if field.blank and value in field.empty_values:
            continue
        try:
            field.clean(value, instance)
        except ValidationError as exc:
            problems.append(f"{where}, field {field.name} = {shown(value)}: {messages(exc)}")
        except Exception as exc:  # a value of the wrong JSON type can fail in to_python in any way
            problems.append(f"{where}, field {field.name} = {shown(value)}: cannot be read ({exc})")
    for field in many:
        value = fields.get(field.name, [])
        if not isinstance(value, list):
            problems.append(f"{where}, field {field.name} = {shown(value)}: not a list of references")
    return problems


def validate_objects(
    path: Path, objects: list[dict[str, Any]], models_: list[type[models.Model]], progress: Steps | None = None
) -> None:
    """Refuse the file, naming every bad object, if any object is not a valid row of its model."""
    by_label = {label(model): model for model in models_}
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for done, obj in enumerate(objects, 1):
        if progress is not None and (done % TOLD_EVERY == 0 or done == len(objects)):
            progress(done, len(objects))
        problems += object_problems(obj, by_label[obj["model"]])
        key = (obj["model"], json.dumps(obj.get("pk")))
        if key in seen:
            problems.append(f"{obj['model']} pk={shown(obj.get('pk'))}: appears twice")
        seen.add(key)
    refuse(path, problems)


def refuse(path: Path, problems: list[str]) -> None:
    if not problems:
        return
    listed = "\n".join(f"  - {problem}" for problem in problems[:SHOWN_PROBLEMS])
    more = f"\n  … and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
    raise BackupError(f"{path} holds {len(problems)} invalid object(s):\n{listed}{more}\nNothing was changed")


# --- restoring --------------------------------------------------------------------------------


def made_m2m(model: type[models.Model]) -> list[tuple[models.ManyToManyField[Any, Any], type[models.Model]]]:
    """The many-to-many fields of ``model`` whose table Django made (no model of ours), with that table's model."""
    made = []
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        assert through is not None  # set on every many-to-many field once the models are loaded
        if through._meta.auto_created:
            made.append((field, through))
    return made


def tables_of(models_: list[type[models.Model]]) -> list[str]:
    """The tables holding these models' rows: their own, and those of their many-to-many fields."""
    tables = []
    for model in reversed(models_):
        tables += [field.m2m_db_table() for field, _through in made_m2m(model)]
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


#: What loading one object can raise when the file's content, not the code, is wrong.
LOAD_ERRORS = (DeserializationError, DatabaseError, ObjectDoesNotExist, ValidationError, ValueError, TypeError)


def load(
    path: Path,
    objects: list[dict[str, Any]],
    models_: list[type[models.Model]],
    using: str,
    progress: Steps | None = None,
) -> None:
    """Save the objects as ``loaddata`` does, check every foreign key and model rule, move the id sequences on."""
    connection = connections[using]
    deferred = []
    loaded: list[models.Model] = []
    with connection.constraint_checks_disabled():
        for done, obj in enumerate(objects, 1):
            if progress is not None and (done % TOLD_EVERY == 0 or done == len(objects)):
                progress(done, len(objects))
            where = f"{obj['model']} pk={shown(obj.get('pk'))}"
            try:
                # One object at a time, so that whatever goes wrong names the object.
                for item in serializers.deserialize("python", [obj], using=using, handle_forward_references=True):
                    item.save(using=using)
                    loaded.append(item.object)
                    if item.deferred_fields:
                        deferred.append((where, item))
            except LOAD_ERRORS as exc:
                raise BackupError(f"could not restore {path}: {where}: {exc}. Nothing was changed") from None
        for where, item in deferred:
            try:
                item.save_deferred_fields(using=using)
            except LOAD_ERRORS as exc:
                raise BackupError(f"could not restore {path}: {where}: {exc}. Nothing was changed") from None
    try:
        connection.check_constraints()
    except DatabaseError as exc:
        raise BackupError(f"could not restore {path}: {exc}. Nothing was changed") from None
    problems = []
    for row in loaded:
        if type(row).clean is models.Model.clean:
            continue
        try:
            # A copy: Django's users tidy their email in clean(), and the row is restored as it was backed up.
            copy.copy(row).clean()
        except ValidationError as exc:
            problems.append(f"{label(type(row))} pk={row.pk}: {messages(exc)}")
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            problems.append(f"{label(type(row))} pk={row.pk}: {exc}")
    refuse(path, problems)
    through = [made for model in models_ for _field, made in made_m2m(model)]
    statements = connection.ops.sequence_reset_sql(no_style(), [*models_, *through])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


@dataclass(frozen=True)
class Restored:
    """What a restore did: rows deleted first (``replace``) and the backup's own description."""

    deleted: int
    rows: int
    models: int
    created: str
    stratmap: str


def restore(
    path: Path,
    *,
    replace: bool = False,
    ignore_signature: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    progress: Steps | None = None,
) -> Restored:
    """Check the backup at PATH entirely, then put it in the database in one transaction; BackupError otherwise.
    ``progress`` is told of each step (reading, checking, restoring) and of the rows checked and restored."""
    document = read_backup(path)
    models_ = backed_up_models()
    check_fits(path, document, models_, using)
    verify_integrity(path, document, check_signature=not ignore_signature)
    if progress is not None:
        progress.step("checking the rows", len(document["objects"]))
    validate_objects(path, document["objects"], models_, progress)
    try:
        with transaction.atomic(using=using):
            present = {label(model): rows for model in models_ if (rows := model._base_manager.using(using).count())}
            if present and not replace:
                # Users first: they are what a restore over a live server would lose.
                first = sorted(present, key=lambda name: not name.startswith("auth."))[:3]
                held = ", ".join(f"{present[name]} {name}" for name in first)
                held += ", …" if len(present) > len(first) else ""
                raise BackupError(
                    f"the database already holds data ({held}); restoring {path} would mix with it. "
                    "Give --replace to delete it and restore the backup. Nothing was changed."
                )
            if present:
                if progress is not None:
                    progress.step("deleting the data there")
                delete_everything(models_, using)
            if progress is not None:
                progress.step("restoring the rows", len(document["objects"]))
            load(path, document["objects"], models_, using, progress)
            for model in models_:
                rows, expected = model._base_manager.using(using).count(), document["counts"].get(label(model), 0)
                if rows != expected:
                    raise BackupError(
                        f"after loading, {label(model)} holds {rows} row(s) but {path} has {expected}: "
                        "something wrote rows while restoring. Nothing was changed."
                    )
    except DatabaseError as exc:
        reason = str(exc).strip().rstrip(".")
        raise BackupError(f"could not restore {path}: {reason}. Nothing was changed.") from None
    counts = document["counts"]
    return Restored(
        deleted=sum(present.values()),
        rows=sum(counts.values()),
        models=len(counts),
        created=str(document.get("created", "?")),
        stratmap=str(document.get("stratmap", "?")),
    )
