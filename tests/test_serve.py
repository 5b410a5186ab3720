"""The production server of issue 10: `stratmap serve` is gunicorn with the WSGI application, its
access log on standard output and every server error's traceback on standard error."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import CommandError, get_commands, load_command_class


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def server(tmp_path):
    """`stratmap serve` on a free loopback port, against an empty (unmigrated) SQLite database."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STRATMAP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",
        "STRATMAP_VAR_DIR": str(tmp_path),
        "STRATMAP_BIND": f"127.0.0.1:{port}",
        "STRATMAP_WORKERS": "1",
    }
    out, err = (tmp_path / "stdout").open("w+"), (tmp_path / "stderr").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "stratmap.cli", "serve"], stdout=out, stderr=err, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "stderr").read_text()
                time.sleep(0.1)
        yield url, tmp_path / "stdout", tmp_path / "stderr"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        out.close()
        err.close()


def test_serve_answers_with_gunicorn_logs_each_request_and_every_server_errors_traceback(server):
    url, stdout, stderr = server
    assert get(url + "/static/stratmap/css/stratmap.css") == 200  # WhiteNoise, no database needed
    assert get(url + "/") == 500  # the database has no tables: a server error, with DEBUG off
    time.sleep(0.5)  # the logs are written as the requests end
    log = stdout.read_text()
    assert '"GET /static/stratmap/css/stratmap.css HTTP/1.1" 200' in log and '"GET / HTTP/1.1" 500' in log
    errors = stderr.read_text()
    assert "Booting worker" in errors  # gunicorn's own log
    assert "ERROR django.request Internal Server Error: /" in errors
    assert "Traceback (most recent call last)" in errors and "no such table" in errors


def test_serve_binds_the_loopback_port_8000_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("STRATMAP_BIND", raising=False)
    monkeypatch.setenv("STRATMAP_WORKERS", "3")
    parser = load_command_class(get_commands()["serve"], "serve").create_parser("stratmap", "serve")
    options = parser.parse_args([])
    assert options.bind == "127.0.0.1:8000" and options.workers == 3


@pytest.mark.parametrize("too_much", [["--seconds", "1000"], ["--clients", "100"], ["--storm", "0"]])
def test_the_storm_benchmark_is_bounded(too_much):
    parser = load_command_class(get_commands()["benchmark-storm"], "benchmark-storm").create_parser(
        "stratmap", "benchmark-storm"
    )
    with pytest.raises(CommandError, match="is not a whole number from"):
        parser.parse_args(too_much)
