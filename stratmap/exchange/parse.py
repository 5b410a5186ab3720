"""Reading dataset files: YAML → validated pydantic models, or a list of errors.

Every error names the file, the path inside it (``themes[3].objectives[1].kpis[0]
.targets.2020``), the offending value and what was expected, so that a person can
go straight to the line to fix. Nothing here touches the database.

``python -m stratmap.exchange.parse FILE…`` validates files without Django.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from stratmap.exchange.schema import MapFile, OrganizationsFile
from stratmap.kpis.scoring import Policy

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
        return f"{where}: got {self.value!r}; {self.expected}"


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


def _duplicates(items: Iterable[tuple[str, str]], file: str, what: str) -> list[DatasetError]:
    """Errors for each repeated code; ``items`` are (path, code) pairs."""
    seen: dict[str, str] = {}
    errors = []
    for path, code in items:
        if code in seen:
            errors.append(DatasetError(file, path, code, f"a unique {what} code; {seen[code]} has it already"))
        else:
            seen[code] = path
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
    for path, objective in objectives:
        if objective.perspective not in perspectives:
            errors.append(
                DatasetError(
                    file,
                    f"{path}.perspective",
                    objective.perspective,
                    f"one of the map's perspectives {perspectives}",
                )
            )
    codes = {o.code for _, o in objectives}
    for i, link in enumerate(doc.links):
        for end, code in (("from", link.source), ("to", link.target)):
            if code not in codes:
                errors.append(DatasetError(file, f"links[{i}].{end}", code, "the code of an objective of this map"))
    if doc.scoring:
        for name, why in Policy(**doc.scoring.model_dump()).problems():
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


def _duplicate_year_keys(node: object, loc: str, file: str) -> Iterator[DatasetError]:
    """108 and 2019 are the same year: a mapping may not hold both."""
    from stratmap.core.years import YearError, to_ad_year

    if isinstance(node, dict):
        if loc.endswith(("targets", "results")):
            seen: dict[int, object] = {}
            for key in node:
                try:
                    year = to_ad_year(key)
                except (YearError, TypeError):
                    continue
                if year in seen:
                    yield DatasetError(file, f"{loc}.{key}", key, f"each year once; {seen[year]} is the same year")
                seen[year] = key
        for key, value in node.items():
            yield from _duplicate_year_keys(value, f"{loc}.{key}" if loc else str(key), file)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _duplicate_year_keys(value, f"{loc}[{i}]", file)


def parse_file(path: Path) -> tuple[ParsedFile | None, list[DatasetError]]:
    file = str(path)
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        return None, [DatasetError(file, "", str(path), f"a readable file ({exc.strerror})")]
    except UnicodeDecodeError:
        return None, [DatasetError(file, "", "(bytes)", "a UTF-8 text file")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [DatasetError(file, where, getattr(exc, "problem", str(exc)), "valid YAML")]
    if not isinstance(raw, dict):
        return None, [DatasetError(file, "", type(raw).__name__, "a mapping with 'format: stratmap/1'")]
    model = OrganizationsFile if "organizations" in raw else MapFile
    duplicates = list(_duplicate_year_keys(raw, "", file))
    try:
        document = model.model_validate(raw)
    except ValidationError as exc:
        errors: dict[str, DatasetError] = {}
        for e in exc.errors():
            path = format_location(e["loc"])
            # A union (a target is a number or a mapping) reports each branch;
            # the first branch's complaint is the one that helps.
            errors.setdefault(path, DatasetError(file, path, e.get("input"), _expected(e)))
        return None, duplicates + list(errors.values())
    errors = duplicates + (check_map(document, file) if isinstance(document, MapFile) else [])
    return (None if errors else ParsedFile(path, document)), errors


def _expected(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "no such key (unknown keys are errors; see docs/dataset-format.md)"
    if error["type"] == "missing":
        return "this key is required"
    if error["type"] == "finite_number":
        return "a finite number"
    return error["msg"][0].lower() + error["msg"][1:]


def parse_paths(paths: Iterable[Path]) -> list[ParsedFile]:
    """Parse every file under ``paths``; raise DatasetInvalid with all errors of all files."""
    parsed, errors = [], []
    files = list(_files(paths))
    if not files:
        raise DatasetInvalid([DatasetError(", ".join(map(str, paths)) or "(none)", "", None, "YAML files")])
    for path in files:
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
