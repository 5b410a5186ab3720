"""Argument checks shared by the commands, with the messages users see."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import CommandError

from stratmap.core.models import Organization
from stratmap.core.years import YearError, to_ad_year


def org_and_year(org: str, year: str) -> int:
    """Check ``--org`` exists and turn ``--year`` (ROC or AD) into an AD year, or raise CommandError."""
    try:
        ad_year = to_ad_year(year)
    except YearError as exc:
        raise CommandError(f"--year: {exc}") from None
    if not Organization.objects.filter(code=org).exists():
        raise CommandError(f"--org: no organization with code {org!r}")
    return ad_year


def output_path(value: str | Path, option: str = "-o/--output") -> Path:
    """``value`` as a file the command can write, checked before any work is done; or a
    CommandError naming the path and why it cannot be written."""
    path = Path(value)
    folder = path.parent
    try:
        if path.is_dir():
            raise CommandError(f"{option}: cannot write {path}: it is a folder; give a file name")
        if not folder.exists():
            raise CommandError(f"{option}: cannot write {path}: the folder {folder} does not exist")
        if not folder.is_dir():
            raise CommandError(f"{option}: cannot write {path}: {folder} is not a folder")
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise CommandError(f"{option}: cannot write {path}: permission denied")
    except OSError as exc:  # a name too long for the file system, a path through a file…
        raise CommandError(f"{option}: cannot write {path}: {exc.strerror or exc}") from None
    return path


def write_output(path: Path, text: str, option: str = "-o/--output") -> None:
    """Write ``text`` to ``path``, or raise a CommandError naming it and why (disk full, permission…)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{option}: cannot write {path}: {exc.strerror or exc}") from None
