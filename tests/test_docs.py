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


#: Options every Django command has; Django documents them, so we do not repeat them.
DJANGO_COMMON_OPTIONS = {
    "-h",
    "--help",
    "--version",
    "-v",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
}


def command_table() -> str:
    """The README's table of our commands: the lines from its header row to the first non-table line."""
    section = README.split("| command | does |", 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return "\n".join(rows)


def command_docs() -> str:
    """The command table with every document under docs/ it links to: where a user looks up an option."""
    import re

    table = command_table()
    linked = sorted(set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", table)))
    return "\n".join([table, *((ROOT / path).read_text(encoding="utf-8") for path in linked)])


def is_mentioned(option: str, text: str) -> bool:
    """Whether the option is written as itself: `--org` does not count as a mention of `--o`."""
    import re

    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def declared_options(name: str) -> list[str]:
    """The options ``stratmap NAME --help`` lists, Django's common ones left out.

    Read from the help a user sees: each option line starts with the option strings (``-o OUTPUT,
    --output OUTPUT``), followed after two spaces by what the option does.
    """
    import re

    parser = load_command_class(get_commands()[name], name).create_parser("stratmap", name)
    options = set()
    for line in parser.format_help().splitlines():
        if line.startswith("  -"):
            strings = re.split(r"\s{2,}", line.strip())[0]
            options |= set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", strings))
    return sorted(options - DJANGO_COMMON_OPTIONS)


def test_the_option_check_tells_an_option_from_a_longer_one():
    assert is_mentioned("--org", "`stratmap dump --org CODE`")
    assert is_mentioned("-o", "[-o/--output FILE]")
    assert not is_mentioned("--org", "`stratmap dump --organizations`")
    assert not is_mentioned("-o", "--output")


def test_the_options_found_include_ones_the_readme_shows():
    assert {"--org", "--year", "--map-version", "--organizations", "-o", "--output"} <= set(declared_options("dump"))


@pytest.mark.parametrize("name", OURS)
def test_each_command_is_in_the_readmes_command_table(name):
    assert f"`stratmap {name}" in command_table(), f"stratmap {name} has no row in the README's command table"


@pytest.mark.parametrize("name", OURS)
def test_every_option_of_each_command_is_documented(name):
    docs = command_docs()
    undocumented = [option for option in declared_options(name) if not is_mentioned(option, docs)]
    assert not undocumented, f"stratmap {name}: {undocumented} not in the README's command table or the docs it links"


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
