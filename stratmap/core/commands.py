"""Argument checks shared by the commands, with the messages users see, and their progress on a terminal."""

from __future__ import annotations

import argparse
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO, cast

from django.core.management.base import CommandError, OutputWrapper

from stratmap.core.models import Organization
from stratmap.core.years import Period, YearError, period_in_year, to_ad_year

if TYPE_CHECKING:
    import rich.progress


def bounded(low: int, high: int) -> Callable[[str], int]:
    """An option's type: a whole number from ``low`` to ``high``, else argparse's refusal naming the value."""

    def parse(value: str) -> int:
        if not value.isdigit() or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number from {low} to {high}")
        return int(value)

    return parse


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


def period_option(org: str, year: int, value: str) -> Period:
    """The period a command's ``--period`` names (``value``: 2024-Q3, Q3 …) of the fiscal ``year`` of the
    organization ``--org`` names, as :func:`~stratmap.core.years.period_in_year` reads it; a CommandError
    naming the option, the value and what was expected otherwise (``score`` and ``report`` take it)."""
    organization = Organization.objects.filter(code=org).first()
    if organization is None:
        raise CommandError(f"--org: no organization {org!r}")
    try:
        return period_in_year(value, year, organization.year_style)
    except YearError as error:
        raise CommandError(f"--period: {error}") from None


# --- progress on a terminal ---------------------------------------------------------------------------


class Steps(Protocol):
    """What a long command tells of its work as it goes: ``steps(done, total)`` of the step under way,
    ``steps.step(what, total)`` when the next begins (``total`` None when it is not known)."""

    def __call__(self, done: int, total: int | None = None) -> None: ...

    def step(self, what: str, total: int | None = None) -> None: ...


class _Quiet:
    """Steps told to no one: the output is a file, a pipe or a test's capture."""

    def __call__(self, done: int, total: int | None = None) -> None:
        pass

    def step(self, what: str, total: int | None = None) -> None:
        pass


class _Terminal(io.TextIOBase):
    """A command's output stream as rich writes to it: the text as given, with no line ending or colour
    added (a Django ``OutputWrapper`` adds both)."""

    def __init__(self, stream: TextIO | OutputWrapper) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if isinstance(self._stream, OutputWrapper):
            self._stream.write(text, style_func=str, ending="")
        else:
            self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return True


class _Shown:
    """Steps drawn by rich: a line per step, with its bar, how many of how many, the time taken and left."""

    def __init__(self, bar: rich.progress.Progress, redraw: bool) -> None:
        self._bar = bar
        self._redraw = redraw  # with no thread of its own to draw it, the bar is drawn when told
        self._task: rich.progress.TaskID | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        assert self._task is not None  # progress() begins with a step
        self._bar.update(self._task, completed=done, total=total, refresh=self._redraw)

    def step(self, what: str, total: int | None = None) -> None:
        if self._task is not None:  # the step before is over: its bar full
            before = self._bar.tasks[-1]
            whole = before.total or before.completed or 1
            self._bar.update(self._task, total=whole, completed=whole)
        self._task = self._bar.add_task(what, total=total)
        if self._redraw:
            self._bar.refresh()


@contextmanager
def progress(
    stream: TextIO | OutputWrapper, what: str, total: int | None = None, *, thread: bool = True
) -> Iterator[Steps]:
    """Progress of a long command, shown on ``stream`` (its standard error, so that what it writes to its
    standard output stays as it was) when that is a terminal, and gone when the work is done; elsewhere
    nothing is written. Begins with the step ``what``, of ``total`` (pages, rows) when known. The bar is
    redrawn by a thread of its own, so that the time goes on in a long step; ``thread=False`` draws it only
    when told, for a command that forks (a child would inherit the thread's locks, held at that moment).

    Rich draws it: it is in the environment already (import-linter's), kept up, typed, and estimates the
    time left from the pace so far."""
    if not stream.isatty():
        yield _Quiet()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("·"),
        TimeRemainingColumn(),
        TextColumn("left"),
    )
    console = Console(file=cast(TextIO, _Terminal(stream)), force_terminal=True)  # a text stream, as rich needs
    # Standard output is left alone: the commands write what they found once the bar is gone.
    with Progress(
        *columns,
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
        auto_refresh=thread,
        refresh_per_second=4,
    ) as bar:
        shown = _Shown(bar, redraw=not thread)
        shown.step(what, total)
        yield shown
