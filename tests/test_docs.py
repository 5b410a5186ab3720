"""Every command and option of ours is documented (a Datasette habit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FORMAT_DOC = (ROOT / "docs" / "dataset-format.md").read_text(encoding="utf-8")
OURS = sorted(name for name, app in get_commands().items() if app.startswith("stratmap"))


def test_we_have_the_commands_the_readme_promises():
    assert {"load", "dump", "check", "demoadmin", "benchmark-load"} <= set(OURS)


@pytest.mark.parametrize("name", OURS)
def test_each_command_is_in_the_readme_with_its_options(name):
    assert f"stratmap {name}" in README
    command = load_command_class(get_commands()[name], name)
    parser = command.create_parser("stratmap", name)
    own = {"--demo", "--org", "--year", "--map-version", "--organizations", "--output", "--repeat"}
    for action in parser._actions:
        for option in action.option_strings:
            if option in own and name != "check":
                assert option in README or option in FORMAT_DOC, f"{name} {option} is undocumented"


def test_the_format_document_names_every_key_of_the_schema():
    from stratmap.exchange.schema import json_schema

    keys = {key for block in json_schema()["$defs"].values() for key in block.get("properties", {})}
    missing = sorted(key for key in keys if f"{key}:" not in FORMAT_DOC and f"`{key}`" not in FORMAT_DOC)
    assert not missing, f"undocumented keys: {missing}"


DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
#: os.environ.get("X"), os.environ["X"], os.environ.setdefault("X", …), os.getenv("X"), "X" in os.environ
ENVIRONMENT_READS = (
    r"""os\.(?:environ(?:\.get|\.setdefault|\.pop)?\s*[(\[]|getenv\s*\()\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""",
    r"""["']([A-Za-z_][A-Za-z0-9_]*)["']\s+(?:not\s+)?in\s+os\.environ""",
)


def environment_variables_read() -> dict[str, list[str]]:
    """Each environment variable the package reads, with the files that read it."""
    import re

    found: dict[str, list[str]] = {}
    for source in sorted((ROOT / "stratmap").rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        for pattern in ENVIRONMENT_READS:
            for name in re.findall(pattern, text):
                found.setdefault(name, []).append(str(source.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_settings_variables():
    assert {"DATABASE_URL", "STRATMAP_SECRET_KEY", "STRATMAP_VAR_DIR", "STRATMAP_BIND"} <= set(
        environment_variables_read()
    )


def test_every_environment_variable_stratmap_reads_is_documented_in_the_deployment_guide():
    undocumented = {
        name: files for name, files in environment_variables_read().items() if f"`{name}`" not in DEPLOY_DOC
    }
    assert not undocumented, f"read in stratmap/ but not in docs/deploy.md: {undocumented}"


def test_the_readmes_configuration_points_to_the_deployment_guide():
    configuration = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert "docs/deploy.md" in configuration
