"""``stratmap benchmark-storm``: page throughput alone and during a storm of PDF requests.

It sets up a throwaway copy of the demo (SQLite in a temporary folder), starts the production server
(``stratmap serve``, on a free port of 127.0.0.1 only) and the report worker (``stratmap worker``),
then measures, for ``--seconds`` each, the pages ``--clients`` threads load: first alone, then while
``--storm`` anonymous clients ask for the PDF reports as fast as they can (prepare, poll, download),
and prints both side by side. Bounded: at most 16 + 16 clients and 120 s a phase; every request
times out; the server and the worker are stopped at the end, whatever happens.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.core.commands import bounded

PAGES = ["/", "/taipei/108/", "/taipei/108/scorecard/", "/taipei/108/themes/D/", "/taipei/108/kpis/DP5.1/"]
TIMEOUT = 60  # seconds a request may take


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tally:
    """Counts shared by the client threads."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def add(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1


def fetch(opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    try:
        with opener.open(url, data=data, timeout=TIMEOUT) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()
    except (urllib.error.URLError, OSError):
        return 0, "", b""


def page_client(base: str, stop: threading.Event, tally: Tally, offset: int) -> None:
    opener = urllib.request.build_opener()
    i = offset
    while not stop.is_set():
        page = PAGES[i % len(PAGES)]
        status, _type, _body = fetch(opener, base + page)
        if not stop.is_set():  # a request that ends after the bell is not counted
            tally.add(page if status == 200 else f"error {status}")
        i += 1


def storm_client(base: str, targets: list[str], stop: threading.Event, tally: Tally, offset: int) -> None:
    """An anonymous client that wants the PDFs: ask, prepare when offered, poll, download, again."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    i = offset
    while not stop.is_set():
        url = base + targets[i % len(targets)]
        status, kind, body = fetch(opener, url)
        if kind.startswith("application/pdf"):
            tally.add("PDF downloaded")
        elif b'data-state="none"' in body or b'data-state="failed"' in body:
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
            form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1).decode() if token else ""})
            status, _kind, _body = fetch(opener, url, form.encode())
            tally.add("refused (429)" if status == 429 else "refused (503)" if status == 503 else "prepared")
        else:
            tally.add("progress page" if status == 200 else f"error {status}")
        i += 1


class Command(BaseCommand):
    help = "Page throughput of the production server alone and during a 4-client PDF storm, side by side."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=bounded(1, 16), default=4, help="page-loading threads (4)")
        parser.add_argument("--storm", type=bounded(1, 16), default=4, help="PDF-requesting clients (4)")
        parser.add_argument("--seconds", type=bounded(2, 120), default=15, help="length of each phase (15)")
        parser.add_argument("--workers", type=bounded(1, 16), default=4, help="gunicorn workers (4)")

    def handle(self, *args, clients: int, storm: int, seconds: int, workers: int, **options) -> None:
        folder = Path(tempfile.mkdtemp(prefix="stratmap-storm-"))
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("STRATMAP_")},
            "DATABASE_URL": f"sqlite:///{folder}/storm.sqlite3",
            "STRATMAP_VAR_DIR": str(folder),
            "STRATMAP_BIND": f"127.0.0.1:{port}",
            "STRATMAP_WORKERS": str(workers),
        }
        stratmap = [sys.executable, "-m", "stratmap.cli"]
        processes: list[subprocess.Popen] = []
        try:
            self.stdout.write(f"setting up the demo in {folder} …")
            for step in (["migrate", "-v0"], ["load", "--demo"]):
                subprocess.run([*stratmap, *step], env=env, check=True, capture_output=True, timeout=300)
            logs = (folder / "server.log").open("w")
            for command in (["serve"], ["worker", "--interval", "0.2", "-v0"]):
                processes.append(
                    subprocess.Popen([*stratmap, *command], env=env, stdout=logs, stderr=subprocess.STDOUT)
                )
            base = f"http://127.0.0.1:{port}"
            self._wait_for(base, processes)
            opener = urllib.request.build_opener()
            for page in PAGES:  # warm up every worker's caches and imports
                for _ in range(workers):
                    fetch(opener, base + page)
            themes = re.findall(
                r'href="/taipei/108/themes/([^/"]+)/"', fetch(opener, base + "/taipei/108/")[2].decode()
            )
            targets = ["/taipei/108/report.pdf", *(f"/taipei/108/report.pdf?theme={t}" for t in dict.fromkeys(themes))]

            alone = self._phase(base, clients, 0, seconds, targets)
            during = self._phase(base, clients, storm, seconds, targets)
            self._print(alone, during, clients, storm, seconds, workers, len(targets))
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _wait_for(base: str, processes: list[subprocess.Popen]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in processes):
                raise CommandError("the server or the worker stopped at start")
            if fetch(urllib.request.build_opener(), base + "/static/stratmap/favicon.svg")[0] == 200:
                return
            time.sleep(0.2)
        raise CommandError("the server did not answer within 60 s")

    @staticmethod
    def _phase(base: str, clients: int, storm: int, seconds: int, targets: list[str]) -> tuple[Tally, Tally]:
        pages, pdfs, stop = Tally(), Tally(), threading.Event()
        threads = [threading.Thread(target=page_client, args=(base, stop, pages, i)) for i in range(clients)]
        threads += [threading.Thread(target=storm_client, args=(base, targets, stop, pdfs, i)) for i in range(storm)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)
        return pages, pdfs

    def _print(self, alone, during, clients: int, storm: int, seconds: int, workers: int, targets: int) -> None:
        (pages_alone, _), (pages_during, pdfs) = alone, during
        w = self.stdout.write
        w("")
        w(f"page throughput: {clients} clients for {seconds} s each, gunicorn with {workers} workers, "
          f"1 report worker, {os.cpu_count()} CPUs")  # fmt: skip
        w(f"{'page':<28}{'alone':>12}{f'during a {storm}-client PDF storm':>34}")
        rows = [(page, pages_alone.counts[page], pages_during.counts[page]) for page in PAGES]
        rows.append(("all pages", sum(r[1] for r in rows), sum(r[2] for r in rows)))
        for page, alone_count, during_count in rows:
            w(f"{page:<28}{alone_count / seconds:>8.1f} r/s{during_count / seconds:>30.1f} r/s")
        errors = {k: v for t in (pages_alone, pages_during) for k, v in t.counts.items() if k.startswith("error")}
        w(f"page errors: {errors or 'none'}")
        answered = sum(pdfs.counts.values())
        w(
            f"the storm ({targets} PDF URLs): {answered / seconds:.1f} r/s answered: "
            + ", ".join(f"{v} {k}" for k, v in sorted(pdfs.counts.items()))
        )
        # Whether the storm costs more than its share: everything the server answered, in each phase.
        total_alone, total_during = rows[-1][1] / seconds, (rows[-1][2] + answered) / seconds
        w(f"all requests answered: {total_alone:.1f} r/s alone, {total_during:.1f} r/s during the storm")
