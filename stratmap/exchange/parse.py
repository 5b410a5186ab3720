"""Reading dataset files: YAML → validated pydantic models, or a list of errors.

Every error names the file, the path inside it (``themes[3].objectives[1].kpis[0]
.targets.2020``), the offending value and what was expected, so that a person can
go straight to the line to fix. Nothing here touches the database.

A file is read in bounded time and memory whatever it holds: its size, the number
of values it expands to, its aliases and its nesting are limited before anything
is built from it, so an alias bomb ("billion laughs") or an alias to itself is an
error, not a hang.

Reading is libyaml's (PyYAML's CSafeLoader) composing the nodes, then one pass
(``_build``) that builds the document and checks the limits at once, for a text
that has no alias: the files people and the dumper write. Anything else (an alias,
a merge key, a tag, a key given twice, a limit reached) goes the careful way,
``_inspect`` then PyYAML's own constructor, which gives the errors. A fifth of the
time of the two passes and the constructor it spares (0.4 s instead of 1.9 s for
the 45 files of a small synthetic city; composing them takes 0.6 s).

``python -m stratmap.exchange.parse FILE…`` validates files without Django.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from stratmap.core.years import TAIPEI_YEARS, Unit, YearError, to_ad_year
from stratmap.exchange.schema import (
    SMALL_MAX,
    EarlyWarningIn,
    KpiIn,
    LightSetIn,
    MapFile,
    OrganizationsFile,
    RatingPolicyIn,
    Strict,
    unknown_language,
)
from stratmap.kpis.scoring import BUILT_IN, FREQUENCY_PERIODS, TAIPEI_LIGHTS, LightSet, TargetType, composite_policy
from stratmap.kpis.scoring.policy import BANDS_ORDER, NOT_RATED, THRESHOLDS_FOR

#: The largest file read (the Taipei city's map is 50 kB).
MAX_BYTES = 10 * 1024 * 1024
#: The most values a file may expand to once its aliases are followed (the city's map has 2,500).
MAX_NODES = 1_000_000
#: Aliases (``*name``) a file may use: the format never needs them, a hand-written file may.
MAX_ALIASES = 100
#: The deepest nesting of mappings and lists (a map file nests 12 deep).
MAX_DEPTH = 64
#: Errors listed per file; the rest are counted.
MAX_ERRORS = 100

#: The top-level keys that make a file an organizations file; a file without any is a map file.
ORGANIZATIONS_KEYS = frozenset({"organizations", "light_sets", "rating_policies"})

#: Names pydantic puts into an error location for the branch of a union or a
#: constrained type; they are not keys of the document, so we leave them out.
_UNION_TAGS = ("function-before", "function-after", "constrained-", "decimal", "TargetIn", "int")


_POLICY_GROUPS = {
    "weights": {"achievement_weight", "innovation_weight", "challenge_weight", "contribution_weight"},
    "thresholds": {"excellent", "good", "fair"},
}


@dataclass(frozen=True)
class DatasetError:
    """One problem in one dataset file."""

    file: str
    path: str
    value: object
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: got {_excerpt(self.value)}; {self.expected}"


def _excerpt(value: object) -> str:
    """The value as Python writes it (control characters escaped), cut short if long."""
    if isinstance(value, Decimal) and len(str(value)) <= 100:
        return str(value)  # 1000000000000, not Decimal('1000000000000')
    if isinstance(value, str) and len(value) > 100:
        return f"{value[:80]!r}… ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:180]}… ({len(text)} characters)"


class DatasetInvalid(Exception):
    """Raised with every error found; nothing has been written."""

    def __init__(self, errors: list[DatasetError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ParsedFile:
    path: Path
    document: OrganizationsFile | MapFile


def format_location(loc: Iterable[int | str]) -> str:
    """``('themes', 3, 'objectives', 1)`` → ``themes[3].objectives[1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool) and out and not out.endswith("."):
            # A list index follows its list; an int dict key (a year) follows a dot.
            if out.endswith("targets") or out.endswith("results"):
                out += f".{part}"
            else:
                out += f"[{part}]"
        elif isinstance(part, str) and part.startswith(_UNION_TAGS):
            continue
        elif part == "[key]":
            out += " (key)"
        else:
            out += f".{part}" if out else str(part)
    return out


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            yield path


def _read_at_most(path: Path) -> bytes:
    """The bytes of ``path``, or MAX_BYTES + 1 of them if it is larger. A buffer of the file's size, not
    of the limit: ``read(n)`` sets aside n bytes first, 10 MB for each file however small."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return handle.read(min(size, MAX_BYTES) + 1 if size else MAX_BYTES + 1)


def dataset_files(paths: Iterable[Path]) -> list[Path]:
    """The files a dataset of ``paths`` (files, folders searched for ``*.yaml`` and ``*.yml``) is made of;
    DatasetInvalid if none."""
    paths = list(paths)
    files = list(_files(paths))
    if not files:
        raise DatasetInvalid([DatasetError(", ".join(map(str, paths)) or "(none)", "", None, "YAML files")])
    return files


#: A top-level key of a map file, and of an organizations file, at the start of a line as block YAML writes them.
_MAP_KEY = re.compile(rb"^organization[ \t]*:", re.MULTILINE)
_ORGANIZATIONS_KEY = re.compile(rb"^(?:organizations|light_sets|rating_policies)[ \t]*:", re.MULTILINE)


def looks_like_a_map_file(path: Path) -> bool:
    """Whether the text of ``path`` shows, without parsing it, that it is a map file: an ``organization:``
    key at the start of a line and no key of an organizations file. A guess that reads no YAML: the file
    is what parse_file finds (a file written in flow style, or unreadable, does not look like a map file)."""
    try:
        data = _read_at_most(path)
    except OSError:
        return False
    return bool(_MAP_KEY.search(data)) and not _ORGANIZATIONS_KEY.search(data)


def _duplicates(
    items: Iterable[tuple[str, str]],
    file: str,
    what: str,
    expected: str = "a unique {what} code; {first} has it already",
) -> list[DatasetError]:
    """Errors for each repeated code or key; ``items`` are (path, code) pairs, ``expected`` names the first holder."""
    seen: dict[str, str] = {}
    errors = []
    for path, code in items:
        if code in seen:
            errors.append(DatasetError(file, path, code, expected.format(what=what, first=seen[code])))
        else:
            seen[code] = path
    return errors


def _tows_errors(doc: MapFile, codes: set[str], file: str) -> list[DatasetError]:
    """A TOWS strategy's objectives are the map's; a strength, weakness, opportunity or threat has none."""
    errors: list[DatasetError] = []
    if doc.tows is None:
        return errors
    for kind in ("s", "w", "o", "t"):
        for i, item in enumerate(getattr(doc.tows, kind)):
            if item.objectives:
                errors.append(DatasetError(file, f"tows.{kind}[{i}].objectives", item.objectives,
                                           "nothing: only a strategy (so, wo, st, wt) becomes objectives"))  # fmt: skip
    for kind in ("so", "wo", "st", "wt"):
        for i, item in enumerate(getattr(doc.tows, kind).items):
            for j, code in enumerate(item.objectives):
                if code not in codes:
                    errors.append(DatasetError(file, f"tows.{kind}.items[{i}].objectives[{j}]", code,
                                               "the code of an objective of this map"))  # fmt: skip
    return errors


def check_map(doc: MapFile, file: str) -> list[DatasetError]:
    """Rules that span several parts of a map file (pydantic checks each part alone)."""
    errors: list[DatasetError] = []
    perspectives = [p.code for p in doc.perspectives]
    errors += _duplicates(((f"perspectives[{i}].code", c) for i, c in enumerate(perspectives)), file, "perspective")
    errors += _duplicates(((f"themes[{i}].code", t.code) for i, t in enumerate(doc.themes)), file, "theme")
    objectives = [(path, objective) for path, _, objective in doc.all_objectives()]
    errors += _duplicates(((f"{p}.code", o.code) for p, o in objectives), file, "objective")
    kpis = [(f"{p}.kpis[{k}]", kpi) for p, o in objectives for k, kpi in enumerate(o.kpis)]
    errors += _duplicates(((f"{p}.code", kpi.code) for p, kpi in kpis), file, "KPI")
    plans = [(f"{p}.action_plans[{a}]", plan) for p, kpi in kpis for a, plan in enumerate(kpi.action_plans)]
    errors += _duplicates(((f"{p}.code", plan.code) for p, plan in plans), file, "action plan")
    errors += _too_many(doc, objectives, kpis, plans, file)
    for path, objective in objectives:
        if objective.perspective is not None and objective.perspective not in perspectives:
            errors.append(
                DatasetError(
                    file,
                    f"{path}.perspective",
                    objective.perspective,
                    f"one of the map's perspectives {perspectives}",
                )
            )
    for path, kpi in kpis:
        errors += _target_errors(kpi, path, file)
        errors += _period_errors(kpi, path, file)
    codes = {o.code for _, o in objectives}
    for i, link in enumerate(doc.links):
        for end, code in (("from", link.source), ("to", link.target)):
            if code not in codes:
                errors.append(DatasetError(file, f"links[{i}].{end}", code, "the code of an objective of this map"))
    errors += _tows_errors(doc, codes, file)
    if doc.scoring and doc.rating:
        errors.append(
            DatasetError(
                file, "rating", doc.rating, "either a named rating policy (rating) or a scoring block, not both"
            )
        )
    if not doc.rating:  # rated by its composite or the default: Taipei's lights (a named policy's are checked on load)
        errors += light_reported_errors(doc, TAIPEI_LIGHTS, file)
    if doc.scoring:
        policy = composite_policy(doc.scoring.model_dump())
        for name, why in policy.problems():
            value = getattr(doc.scoring, name, None)
            if value is None:  # a rule over several fields: show them all
                value = doc.scoring.model_dump(include=_POLICY_GROUPS[name])
            errors.append(DatasetError(file, f"scoring.{name}", value, why))
    if doc.revisions:
        themes = [t.code for t in doc.themes]
        if doc.revisions.theme and doc.revisions.theme not in themes:
            errors.append(
                DatasetError(file, "revisions.theme", doc.revisions.theme, f"one of the map's themes {themes}")
            )
        allowed = [*perspectives, "total"]
        for i, row in enumerate(doc.revisions.counts):
            if row.perspective not in allowed:
                errors.append(
                    DatasetError(file, f"revisions.counts[{i}].perspective", row.perspective, f"one of {allowed}")
                )
    return errors


# --- light sets and rating policies -------------------------------------------------------------


def _plain(value: object) -> object:
    """Numbers inside a value as the file writes them (10, 0.3), not as Python's Decimal('10')."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _at(block: BaseModel, where: str) -> object:
    """The value at ``where`` (``levels[2].colour``) in ``block`` as the file gives it; None if none."""
    value: object = _plain(block.model_dump())
    for part in re.findall(r"\[\d+\]|[^.\[\]]+", where):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _keys_once(items: Iterable[tuple[str, str]], file: str, what: str) -> list[DatasetError]:
    return _duplicates(items, file, what, "a key of its own: the {what} at {first} has it")


def light_set_errors(item: LightSetIn, path: str, file: str) -> list[DatasetError]:
    """The scoring engine's objections to a light set (LightSet.problems), each at its place in the block."""
    errors = []
    for where, why in item.engine().problems():
        if where == "levels":
            value: object = ", ".join(f"{level.key} ({level.role})" for level in item.levels) or "no level"
        else:
            value = _at(item, where)
        errors.append(DatasetError(file, f"{path}.{where}", value, why))
    return errors


def policy_errors(item: RatingPolicyIn, lights: LightSet, path: str, file: str) -> list[DatasetError]:
    """The scoring engine's objections to a rating policy with the light set it names (Policy.problems),
    each at its place in the block (the light set's own are given where the set is defined)."""
    errors = []
    for where, why in item.engine(lights).problems():
        if where.startswith("lights."):
            continue
        key = RatingPolicyIn.PATHS.get(where, where)
        value = _plain(item.weights.model_dump()) if where == "weights" else _at(item, key)
        expected = str(why)
        if why.template in (THRESHOLDS_FOR, BANDS_ORDER, NOT_RATED):  # which levels there are
            expected += f" (the light set {lights.key}: {', '.join(level.key for level in lights)})"
        errors.append(DatasetError(file, f"{path}.{key}", value, expected))
    return errors


def early_warning_errors(item: RatingPolicyIn, path: str, file: str) -> list[DatasetError]:
    """A rating policy's early-warning limits outside 0–100 or out of order (RiskLimits.problems), each at
    its key in the block."""
    errors = []
    for where, why in item.early_warning.engine().problems():
        key = f"early_warning.{EarlyWarningIn.PATHS[where]}"
        errors.append(DatasetError(file, f"{path}.{key}", _at(item, key), str(why)))
    return errors


def light_reported_errors(doc: MapFile, lights: LightSet, file: str) -> list[DatasetError]:
    """A published light that is not a level of the map's light set."""
    keys = [level.key for level in lights]
    errors = []
    for opath, _, objective in doc.all_objectives():
        for k, kpi in enumerate(objective.kpis):
            for year, result in kpi.results.items():
                if result.light_reported is not None and result.light_reported not in keys:
                    where = f"{opath}.kpis[{k}].results.{year}.light_reported"
                    expected = f"a level of the map's light set {lights.key}: one of {', '.join(keys)}"
                    errors.append(DatasetError(file, where, result.light_reported, expected))
    return errors


def own_language_errors(file: str, path: str, block: BaseModel, language: str) -> Iterator[DatasetError]:
    """A translation into ``language``, the organization's own (its text is already in it), in ``block``
    or any block inside it: the text belongs in the field itself."""
    if isinstance(block, Strict):
        for key, (field_name, into) in block.TRANSLATIONS.items():
            if into == language and getattr(block, key) is not None:
                where = f"{path}.{key}" if path else key
                yield DatasetError(
                    file,
                    where,
                    getattr(block, key),
                    f"no translation into {language}, the organization's own language: its {field_name} "
                    f"is written in {language} already (give the text as {field_name}, or set the "
                    "organization's language)",
                )
    for name in type(block).model_fields:
        value = getattr(block, name)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else None
        if isinstance(value, BaseModel):
            yield from own_language_errors(file, f"{path}.{name}" if path else name, value, language)
        elif items is not None:
            for index, item in items:
                if isinstance(item, BaseModel):
                    inner = f"{path}.{name}[{index}]" if path else f"{name}[{index}]"
                    yield from own_language_errors(file, inner, item, language)


def check_organizations(doc: OrganizationsFile, file: str) -> list[DatasetError]:
    """Rules of an organizations file's light sets and rating policies that need nothing else: each key
    once per owner, and every light set usable (rated levels, one unknown, symbols, names, colours)."""
    errors: list[DatasetError] = [
        error
        for i, org in enumerate(doc.organizations)
        for error in own_language_errors(file, f"organizations[{i}]", org, org.language)
    ]
    for _, prefix, sets, policies in doc.ratings():
        errors += _keys_once(((f"{prefix}light_sets[{j}].key", x.key) for j, x in enumerate(sets)), file, "light set")
        errors += _keys_once(
            ((f"{prefix}rating_policies[{j}].key", x.key) for j, x in enumerate(policies)), file, "rating policy"
        )
        for j, item in enumerate(sets):
            errors += light_set_errors(item, f"{prefix}light_sets[{j}]", file)
    return errors


Owner = str | None  # an organization's code; None for what every organization shares


@dataclass
class Ratings:
    """The organizations' parents, light sets and rating policies a load knows: those of the database,
    and over them those of the files being loaded (plain values: this module reads no database)."""

    parents: dict[str, str | None] = field(default_factory=dict)
    light_sets: dict[tuple[Owner, str], LightSet] = field(default_factory=dict)
    policies: dict[tuple[Owner, str], RatingPolicyIn] = field(default_factory=dict)
    #: Where a set or policy is defined in the files: ("light_set" or "policy", owner, key) → (file, path).
    places: dict[tuple[str, Owner, str], tuple[str, str]] = field(default_factory=dict)
    #: A set or policy defined again in another file: (kind, owner, key, the first (file, path), the
    #: repeat's (file, path)). The repeat is an error: which of the two is meant cannot be guessed.
    repeats: list[tuple[str, Owner, str, tuple[str, str], tuple[str, str]]] = field(default_factory=list)

    def add_files(self, files: Iterable[ParsedFile]) -> None:
        for parsed in files:
            doc = parsed.document
            if not isinstance(doc, OrganizationsFile):
                continue
            self.parents |= {org.code: org.parent for org in doc.organizations}
            for owner, prefix, sets, policies in doc.ratings():
                for j, item in enumerate(sets):
                    if self._place("light_set", owner, item.key, (str(parsed.path), f"{prefix}light_sets[{j}]")):
                        self.light_sets[owner, item.key] = item.engine()
                for j, policy in enumerate(policies):
                    if self._place("policy", owner, policy.key, (str(parsed.path), f"{prefix}rating_policies[{j}]")):
                        self.policies[owner, policy.key] = policy

    def _place(self, kind: str, owner: Owner, key: str, place: tuple[str, str]) -> bool:
        """Note where ``key`` is defined; False (and the repeat noted) if another file defines it already
        (a key twice in one file is the file's own error, check_organizations)."""
        first = self.places.get((kind, owner, key))
        if first is not None and first[0] != place[0]:
            self.repeats.append((kind, owner, key, first, place))
            return False
        self.places[kind, owner, key] = place
        return True

    def chain(self, organization: Owner) -> list[Owner]:
        """The organization, those above it nearest first, then None (the shared rows)."""
        chain: list[Owner] = []
        while organization is not None and organization not in chain:
            chain.append(organization)
            organization = self.parents.get(organization)
        return [*chain, None]

    def light_set(self, owner: Owner, key: str) -> tuple[Owner, LightSet] | None:
        """The light set ``key`` names for ``owner`` and whose it is (None: built-in), or None."""
        for candidate in self.chain(owner):
            if (candidate, key) in self.light_sets:
                return candidate, self.light_sets[candidate, key]
        return (None, BUILT_IN[key]) if key in BUILT_IN else None

    def policy(self, organization: str, key: str) -> tuple[Owner, RatingPolicyIn] | None:
        for candidate in self.chain(organization):
            if (candidate, key) in self.policies:
                return candidate, self.policies[candidate, key]
        return None


def _whose(owner: Owner) -> str:
    return owner if owner is not None else "every organization (shared)"


def check_ratings(files: list[ParsedFile], ratings: Ratings) -> list[DatasetError]:
    """What spans files and the database: each rating policy of the files with the light set it names,
    the policies of the database with the light sets the files change, and each map's ``rating`` (a
    policy of its organization, of one above it, or a shared one) and published lights."""
    errors: list[DatasetError] = []
    built_in = ", ".join(BUILT_IN)
    for kind, owner, key, (first_file, first_path), (file, path) in ratings.repeats:
        what = "light set" if kind == "light_set" else "rating policy"
        expected = (
            f"a {what} key of its own: {first_file} ({first_path}) defines the {what} {key} of {_whose(owner)} "
            "already; define it in one file"
        )
        errors.append(DatasetError(file, f"{path}.key", key, expected))
    for (kind, owner, key), (file, path) in ratings.places.items():
        if kind != "policy":
            continue
        policy = ratings.policies[owner, key]
        errors += early_warning_errors(policy, path, file)
        found = ratings.light_set(owner, policy.lights)
        if found is None:
            expected = (
                f"the key of a light set of {_whose(owner)}, of an organization above it, "
                f"a shared one or a built-in one ({built_in})"
            )
            errors.append(DatasetError(file, f"{path}.lights", policy.lights, expected))
        else:
            errors += policy_errors(policy, found[1], path, file)
    for (owner, key), policy in ratings.policies.items():
        found = ratings.light_set(owner, policy.lights)
        if ("policy", owner, key) in ratings.places or found is None:
            continue
        place = ratings.places.get(("light_set", found[0], found[1].key))
        if place is None:
            continue  # neither the policy nor its light set changes
        file, path = place
        for where, why in policy.engine(found[1]).problems():
            expected = (
                f"a light set the rating policy {key} of {_whose(owner)} (in the database) can rate with: {where} {why}"
            )
            errors.append(DatasetError(file, path, found[1].key, expected))
    for parsed in files:
        if isinstance(parsed.document, MapFile):
            errors += map_rating_errors(parsed.document, str(parsed.path), ratings)
    return errors


def map_rating_errors(doc: MapFile, file: str, ratings: Ratings) -> list[DatasetError]:
    """A map's ``rating`` that names no policy of its organization, of one above it or shared, and its
    published lights that are not levels of that policy's light set."""
    if doc.rating is None:
        return []
    named = ratings.policy(doc.organization, doc.rating)
    if named is None:
        above = [org for org in ratings.chain(doc.organization)[1:] if org is not None]
        expected = (
            f"the key of a rating policy of {doc.organization}"
            + (f", of an organization above it ({', '.join(above)})" if above else "")
            + ", or a shared one"
        )
        return [DatasetError(file, "rating", doc.rating, expected)]
    owner, policy = named
    found = ratings.light_set(owner, policy.lights)
    return light_reported_errors(doc, found[1], file) if found is not None else []


def _target_errors(kpi: KpiIn, path: str, file: str) -> list[DatasetError]:
    """What makes a KPI's targets unreadable by its target type: stages that do not increase, a
    milestone target that is not a stage, a baseline equal to a target, a range upside down."""
    errors: list[DatasetError] = []
    kind = TargetType(kpi.target_type)
    if kind is TargetType.MILESTONE and any(b <= a for a, b in pairwise(kpi.stages)):
        stages = ", ".join(str(stage) for stage in kpi.stages)
        errors.append(DatasetError(file, f"{path}.stages", stages, "stage values that increase"))
    if kind is TargetType.BASELINE and kpi.baseline is None:
        errors.append(DatasetError(file, f"{path}.baseline", None, "a baseline for a baseline-relative target"))
    for year, target in kpi.targets.items():
        where = f"{path}.targets.{year}"
        value = target if isinstance(target, Decimal) else target.value
        upper = None if isinstance(target, Decimal) else target.upper
        if value is None:
            continue
        if kind is TargetType.MILESTONE and value not in kpi.stages:
            errors.append(
                DatasetError(file, where, value, f"one of the KPI's stages ({', '.join(str(s) for s in kpi.stages)})")
            )
        if kind is TargetType.BASELINE and kpi.baseline is not None and value == kpi.baseline:
            errors.append(DatasetError(file, where, value, f"a target other than the baseline {kpi.baseline}"))
        if kind is TargetType.RANGE and upper is None:
            errors.append(DatasetError(file, f"{where}.upper", None, "an upper bound for a range target"))
        if upper is not None and upper < value:
            errors.append(DatasetError(file, f"{where}.upper", upper, f"an upper bound not below the target {value}"))
    return errors


#: A period of each unit as a key names it, for the messages.
_PERIOD_EXAMPLES = {
    Unit.HALF: "a half-year such as 2024-H1 or 2024-H2",
    Unit.QUARTER: "a quarter such as 2024-Q3 (Q1–Q4)",
    Unit.MONTH: "a month such as 2024-05 (01–12)",
}


def _period_errors(kpi: KpiIn, path: str, file: str) -> list[DatasetError]:
    """Targets and results of periods that do not fit the KPI's frequency (a month of a quarterly KPI, any
    period of a yearly one), and periods without the rule that makes the year of them."""
    errors: list[DatasetError] = []
    unit = Unit(FREQUENCY_PERIODS[kpi.frequency]) if kpi.frequency in FREQUENCY_PERIODS else None
    periods = False
    for name, values in (("targets", kpi.targets), ("results", kpi.results)):
        for key in values:
            if isinstance(key, int):
                continue
            periods = True
            where = f"{path}.{name}.{key}"
            if unit is None:
                expected = (
                    f"a year such as {key[:4]}: KPI {kpi.code} is {kpi.frequency} (a frequency of half_yearly, "
                    "quarterly or monthly gives it periods)"
                )
                errors.append(DatasetError(file, where, key, expected))
            elif TAIPEI_YEARS.parse_period(key).unit is not unit:
                expected = f"{_PERIOD_EXAMPLES[unit]}, or a year: KPI {kpi.code} is {kpi.frequency}"
                errors.append(DatasetError(file, where, key, expected))
    if periods and not kpi.aggregation:
        expected = "how its periods make the year: sum, last, average, maximum or minimum (the KPI has periods)"
        errors.append(DatasetError(file, f"{path}.aggregation", None, expected))
    return errors


def _too_many(doc: MapFile, objectives: list, kpis: list, plans: list, file: str) -> list[DatasetError]:
    """Items are numbered in order in columns that hold at most SMALL_MAX (PostgreSQL's smallint)."""
    lists: list[tuple[str, int]] = [
        ("perspectives", len(doc.perspectives)),
        ("themes", len(doc.themes)),
        ("thrusts", len(doc.thrusts)),
        ("objectives (all themes)", len(objectives)),
        ("kpis (all objectives)", len(kpis)),
        ("action_plans (all KPIs)", len(plans)),
    ]
    lists += [(f"{p}.outcomes", len(o.outcomes)) for p, o in objectives]
    lists += [(f"{p}.tasks", len(plan.tasks)) for p, plan in plans]
    lists += [(f"{p}.outcomes", len(plan.outcomes)) for p, plan in plans]
    if doc.tows:
        lists += [(f"tows.{k}", len(getattr(doc.tows, k))) for k in ("s", "w", "o", "t")]
        lists += [(f"tows.{k}.items", len(getattr(doc.tows, k).items)) for k in ("so", "wo", "st", "wt")]
    if doc.revisions:
        lists += [("revisions.counts", len(doc.revisions.counts)), ("revisions.changes", len(doc.revisions.changes))]
    return [
        DatasetError(file, path, f"{n:,} items", f"at most {SMALL_MAX:,} items") for path, n in lists if n > SMALL_MAX
    ]


def _year_of(key: object) -> int | str | None:
    """The AD year a key of targets or results names (108 and 2019 are both 2019), or its period's key
    with the AD year (113-Q3 and 2024-Q3 are both 2024-Q3); None if it names neither."""
    try:
        return to_ad_year(key)  # type: ignore[arg-type]  # anything else is a TypeError, caught
    except (YearError, TypeError):
        try:
            return TAIPEI_YEARS.period_key(TAIPEI_YEARS.parse_period(key))  # type: ignore[arg-type]
        except (YearError, TypeError):
            return None


def _repeats_a_year(mapping: dict) -> bool:
    years = [year for year in map(_year_of, mapping) if year is not None]
    return len(set(years)) < len(years)


def _duplicate_year_keys(node: object, loc: str, file: str) -> Iterator[DatasetError]:
    """108 and 2019 are the same year: a mapping may not hold both."""
    if isinstance(node, dict):
        if loc.endswith(("targets", "results")):
            seen: dict[int | str, object] = {}
            for key in node:
                year = _year_of(key)
                if year is None:
                    continue
                if year in seen:
                    same = "year" if isinstance(year, int) else "period"
                    yield DatasetError(file, f"{loc}.{key}", key, f"each {same} once; {seen[year]} is the same {same}")
                seen[year] = key
        for key, value in node.items():
            yield from _duplicate_year_keys(value, f"{loc}.{key}" if loc else str(key), file)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _duplicate_year_keys(value, f"{loc}[{i}]", file)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
_INT = "tag:yaml.org,2002:int"
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: Where an alias (``*name``) may stand: a node starts after a space, at a line's start or after a
#: flow indicator. A text without this has no alias, so its nodes are a tree, each visited once.
_ALIAS = re.compile(r"(?:^|[\s\[\]{},:])\*")


#: The implicit resolvers of YAML's safe loader by the first character of a plain scalar, when that is
#: all it resolves by (no resolver for any character, no path resolver); None otherwise.
_RESOLVERS: dict[str, list] | None = (
    None
    if _BaseLoader.yaml_path_resolvers or None in _BaseLoader.yaml_implicit_resolvers
    else dict(_BaseLoader.yaml_implicit_resolvers)
)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """YAML's safe loader, reporting a scalar its tag cannot build (an integer of over 4,300
    digits, the date 2020-13-45) as a YAML error at its line instead of a traceback."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        """The tag of a node, as PyYAML's Resolver.resolve finds it, without its general steps: it is
        asked once per value of the file."""
        if _RESOLVERS is None or kind is not ScalarNode:
            return super().resolve(kind, value, implicit)
        if implicit[0]:
            for tag, regexp in _RESOLVERS.get(value[:1], ()):
                if regexp.match(value):
                    return tag
        return _STR

    def construct_object(self, node: Node, deep: bool = False) -> object:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            value = node.value if isinstance(node, ScalarNode) else node.tag
            if node.tag == _INT:
                problem = f"an integer of {len(value)} digits: no number in a dataset has more than 16"
            else:
                problem = f"{value[:40]!r} cannot be read as {node.tag.rsplit(':', 1)[-1]} ({exc})"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _inspect(root: Node, file: str) -> list[DatasetError]:
    """Errors for what must be refused before the document is built: a repeated key (YAML keeps the
    last one silently), an alias to a node that contains it, too many aliases, too many values once
    aliases are followed, too deep a nesting. One pass over the nodes, each visited once."""
    errors: list[DatasetError] = []
    size: dict[int, int] = {}  # a finished node's size once its aliases are followed
    open_nodes: set[int] = set()  # the node being visited and its ancestors
    aliases = 0

    def too_many_aliases(node: Node) -> list[DatasetError]:
        what = f"at most {MAX_ALIASES} aliases (*name) in a file; write the values out"
        return [DatasetError(file, f"line {_line(node)}", f"more than {MAX_ALIASES} aliases", what)]

    # (node, its parent's path, its key or index, depth, whether its children are done)
    stack: list[tuple[Node, str, str | int | None, int, bool]] = [(root, "", None, 1, False)]
    while stack:
        node, parent, part, depth, leaving = stack.pop()
        if part is None:
            path = parent
        elif isinstance(part, int):
            path = f"{parent}[{part}]"
        else:
            path = f"{parent}.{part}" if parent else part
        key = id(node)
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            children = node.value
        if leaving:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            if size[key] > MAX_NODES:
                what = "a smaller document: its aliases expand it beyond what a dataset holds (an alias bomb?)"
                return [DatasetError(file, path or f"line {_line(node)}", f"more than {MAX_NODES:,} values", what)]
            continue
        if key in size:  # a node met again: an alias
            aliases += 1
            if aliases > MAX_ALIASES:
                return too_many_aliases(node)
            continue
        if key in open_nodes:
            what = "no alias inside the value it names: a value cannot contain itself"
            return [DatasetError(file, path or f"line {_line(node)}", f"the anchor on line {_line(node)}", what)]
        if depth > MAX_DEPTH:
            return [DatasetError(file, path, f"line {_line(node)}", f"at most {MAX_DEPTH} levels of nesting")]
        # A list of a million aliases is refused here, before a million entries are stacked.
        repeated, distinct = 0, set()
        for child in children:
            if id(child) in size or id(child) in distinct:
                repeated += 1
                if aliases + repeated > MAX_ALIASES:
                    return too_many_aliases(child)
            distinct.add(id(child))
        open_nodes.add(key)
        stack.append((node, parent, part, depth, True))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], int] = {}
            for k, v in node.value:
                name = k.value if isinstance(k, ScalarNode) else f"(line {_line(k)})"
                if isinstance(k, ScalarNode) and k.tag != _MERGE:
                    if (k.tag, k.value) in first:
                        again = f"{k.value!r} is on line {first[k.tag, k.value]} and again on line {_line(k)}"
                        here = f"{path}.{name}" if path else name
                        errors.append(DatasetError(file, here, k.value, f"each key once in a mapping: {again}"))
                    else:
                        first[k.tag, k.value] = _line(k)
                stack += [(v, path, name, depth + 1, False), (k, path, name, depth + 1, False)]
        else:
            stack += [(child, path, i, depth + 1, False) for i, child in enumerate(children)]
    return errors


class _Irregular(Exception):
    """Something the one-pass build leaves to the careful path: an alias, a merge key (``<<``), a tag
    other than a plain mapping or list, a key given twice, a limit reached, a scalar that cannot be read."""


def _build(loader: _Loader, root: Node) -> tuple[object, bool]:
    """The document of a node tree without aliases, built in one pass that checks the limits _inspect
    checks (depth, values) and the keys given twice; and whether a ``targets`` or ``results`` mapping
    names a year twice (then _duplicate_year_keys says where). Raises _Irregular for anything else, which
    _inspect and PyYAML's constructor then report as they always have.

    A fifth of what PyYAML's constructor costs (its generators, its caches, a second walk of _inspect
    and one of _duplicate_year_keys), for the files people and the dumper write: plain mappings, lists
    and scalars."""
    count = 0
    repeats = False

    def build(node: Node, depth: int) -> object:
        nonlocal count, repeats
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise _Irregular
        kind = type(node)
        if kind is ScalarNode:
            tag, value = node.tag, node.value
            if tag == _STR:
                return value
            if tag == _INT and value.isdigit() and value.isascii() and (value[0] != "0" or len(value) == 1):
                try:  # a year, a count, a month: what construct_yaml_int makes of it, faster
                    return int(value)
                except ValueError:  # over 4,300 digits
                    raise _Irregular from None
            if tag == _NULL:
                return None
            construct = loader.yaml_constructors.get(tag)
            if construct is None:
                raise _Irregular
            try:  # ints, floats, booleans, nulls, dates: PyYAML's own constructors
                return construct(loader, node)
            except (ValueError, OverflowError, yaml.YAMLError):
                raise _Irregular from None  # the careful path's checks come first, then this error
        if kind is SequenceNode and node.tag == _SEQ:
            return [build(child, depth + 1) for child in node.value]
        if kind is not MappingNode or node.tag != _MAP:
            raise _Irregular
        mapping: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise _Irregular
            key = build(key_node, depth + 1)
            try:
                if key in mapping:
                    raise _Irregular
            except TypeError:  # an unhashable key: PyYAML's constructor says so
                raise _Irregular from None
            value = build(value_node, depth + 1)
            if isinstance(value, dict) and str(key).endswith(("targets", "results")) and _repeats_a_year(value):
                repeats = True
            mapping[key] = value
        return mapping

    return build(root, 1), repeats


def _read_yaml(path: Path, file: str) -> tuple[object, list[DatasetError], bool]:
    """The document of a file, or the errors that stop it from being read; and whether a mapping of
    targets or results may name a year twice (True when unknown)."""
    try:
        data = _read_at_most(path)
    except OSError as exc:
        return None, [DatasetError(file, "", str(path), f"a readable file ({exc.strerror})")], False
    if len(data) > MAX_BYTES:
        return (
            None,
            [DatasetError(file, "", f"more than {MAX_BYTES:,} bytes", f"a file of at most {MAX_BYTES // 2**20} MB")],
            False,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [DatasetError(file, "", "(bytes)", "a UTF-8 text file")], False
    del data
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, [], False
        if not _ALIAS.search(text):
            try:
                document, repeats = _build(loader, root)
                return document, [], repeats
            except _Irregular:
                pass
        errors = _inspect(root, file)
        if errors:
            return None, errors, False
        return loader.construct_document(root), [], True
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [DatasetError(file, where, getattr(exc, "problem", None) or str(exc), "valid YAML")], False
    finally:
        loader.dispose()


def parse_file(path: Path) -> tuple[ParsedFile | None, list[DatasetError]]:
    file = str(path)
    raw, errors, repeats = _read_yaml(path, file)
    if errors:
        return None, _capped(errors, file)
    if not isinstance(raw, dict):
        return None, [DatasetError(file, "", type(raw).__name__, "a mapping with 'format: stratmap/1'")]
    model = OrganizationsFile if ORGANIZATIONS_KEYS & raw.keys() else MapFile
    duplicates = list(_duplicate_year_keys(raw, "", file)) if repeats else []
    try:
        document = model.model_validate(raw)
    except ValidationError as exc:
        found: dict[str, DatasetError] = {}
        for e in exc.errors():
            where = format_location(e["loc"])
            # A union (a target is a number or a mapping) reports each branch;
            # the first branch's complaint is the one that helps.
            found.setdefault(where, DatasetError(file, where, e.get("input"), _expected(e)))
        return None, _capped(duplicates + list(found.values()), file)
    errors = duplicates + (
        check_map(document, file) if isinstance(document, MapFile) else check_organizations(document, file)
    )
    return (None if errors else ParsedFile(path, document)), _capped(errors, file)


def _capped(errors: list[DatasetError], file: str) -> list[DatasetError]:
    """At most MAX_ERRORS errors of a file, and how many more there are: a million is no help."""
    if len(errors) <= MAX_ERRORS:
        return errors
    more = len(errors) - MAX_ERRORS
    return [*errors[:MAX_ERRORS], DatasetError(file, "", f"{more:,} more errors", "the errors above fixed first")]


def _expected(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        if error["loc"] and (wrong_language := unknown_language(str(error["loc"][-1]))):
            return wrong_language
        return "no such key (unknown keys are errors; see docs/dataset-format.md)"
    if error["type"] == "missing":
        return "this key is required"
    if error["type"] == "finite_number":
        return "a finite number"
    if error["type"] == "value_error":
        return f"the value {error['ctx']['error']}"
    if error["type"] == "string_pattern_mismatch" and "a-z0-9-" in str(error.get("ctx", {}).get("pattern")):
        return "a code of lowercase letters, digits and - (e.g. taipei-doed)"
    return error["msg"][0].lower() + error["msg"][1:]


def parse_paths(paths: Iterable[Path]) -> list[ParsedFile]:
    """Parse every file under ``paths``; raise DatasetInvalid with all errors of all files. (Every file's
    document is kept: the loader reads a file at a time instead, loader.load_paths.)"""
    parsed, errors = [], []
    for path in dataset_files(paths):
        result, file_errors = parse_file(path)
        errors += file_errors
        if result:
            parsed.append(result)
    if errors:
        raise DatasetInvalid(errors)
    return parsed


if __name__ == "__main__":
    try:
        files = parse_paths(Path(arg) for arg in sys.argv[1:])
    except DatasetInvalid as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print(f"{len(files)} file(s) valid")
