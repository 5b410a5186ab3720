"""``stratmap load PATH… | --demo [--replace]``: validate dataset files and import them, all or nothing.

Loading merges into what is there and never silently removes anything: see
stratmap.exchange.loader and docs/dataset-format.md.

On a terminal it shows its progress (files done, time left, with rich: a dependency of ours, see
pyproject.toml); when its output goes to a file or a pipe it prints only its result.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from stratmap.access import SYSTEM
from stratmap.core.calendars import CalendarFileInvalid, load_demo_calendars
from stratmap.exchange.loader import DEMO_PATHS, LoadRefused, LoadWouldLose, load_paths
from stratmap.exchange.parse import DatasetInvalid, dataset_files


@contextmanager
def _collector_spared() -> Iterator[None]:
    """Python's cycle collector told that what is loaded before the load (Django, the libraries: hundreds
    of thousands of objects) lives on: otherwise it walks them again and again as each file's objects
    come and go, a third of the time of reading the files. Undone afterwards."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _AsWritten(io.TextIOBase):
    """The command's output as rich writes to it: each text as it is (OutputWrapper ends each with a new line)."""

    def __init__(self, out: OutputWrapper):
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()


@contextmanager
def _progress(out: OutputWrapper, paths: list[Path]) -> Iterator[Callable[[Path], None] | None]:
    """A progress bar of the files loaded, by their size (a city's map is larger than a bureau's), with the
    time left, on ``out`` if it is a terminal; else None (nothing shown)."""
    if not out.isatty():
        yield None
        return
    try:
        files = dataset_files(paths)
    except DatasetInvalid:
        yield None  # the load says so
        return
    sizes = {path: path.stat().st_size if path.is_file() else 0 for path in files}
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]}/{task.fields[files]} files"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=Console(file=cast(IO[str], _AsWritten(out)), force_terminal=True),
    )
    task = bar.add_task("loading", total=sum(sizes.values()) or 1, done=0, files=len(files))

    def advance(path: Path) -> None:
        done = bar.tasks[0].fields["done"] + 1
        bar.update(task, advance=sizes.get(path, 0), done=done, refresh=True)

    with bar:
        yield advance


class Command(BaseCommand):
    help = (
        "Validate dataset files (YAML, or folders of them) and import them, merging into the maps already "
        "there. On any error nothing is written. What the files lack is kept, and a load that would remove "
        "something or overwrite a result changed in the app is refused unless --replace is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="dataset files or folders")
        parser.add_argument(
            "--demo", action="store_true", help="load the built-in demo datasets: Taipei's and an invented council's"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="make each map match its file: remove what the file lacks (results the file does not "
            "mention are still kept) and overwrite results changed in the app; each is recorded in the audit trail",
        )

    def handle(self, *args, paths: list[Path], demo: bool, replace: bool, **options) -> None:
        if demo:
            paths = [*DEMO_PATHS, *paths]
        if not paths:
            raise CommandError("give dataset files or folders to load, or --demo")
        started = time.perf_counter()
        try:
            with _collector_spared(), _progress(self.stdout, paths) as progress:
                report = load_paths(paths, replace=replace, progress=progress)
        except LoadWouldLose as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} thing(s) in the database would be lost; nothing was written. "
                "Add them to the files, or give --replace to remove or overwrite them (audited)"
            ) from None
        except DatasetInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s); nothing was written") from None
        except LoadRefused as exc:
            raise CommandError(str(exc)) from None
        if demo:  # the demo's holiday calendars and its organizations' reporting calendars (issue 16)
            try:
                calendars = load_demo_calendars(access=SYSTEM)
            except CalendarFileInvalid as exc:
                raise CommandError("; ".join(exc.errors)) from None
            self.stdout.write(
                "holiday calendars: "
                + ", ".join(f"{c.calendar.code} ({c.calendar.days.count()} days)" for c in calendars)
            )
        elapsed = time.perf_counter() - started
        for label in report.updated:
            self.stdout.write(f"merged into {label}")
        for line in report.removed:
            self.stdout.write(line)
        if report.kept_results:
            self.stdout.write(f"kept {report.kept_results} result(s) the files do not mention")
        rows, changed = sum(report.rows.values()), sum(report.changed.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"loaded {report.organizations} organization(s), {len(report.maps)} map(s): "
                f"{rows} row(s) created, {changed} changed, {len(report.removed)} removed or overwritten "
                f"in {elapsed:.2f} s"
            )
        )
