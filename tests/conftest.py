from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from stratmap.core.models import Membership, Organization
from stratmap.exchange import loader
from stratmap.exchange.loader import DEMO_PATHS, load_paths
from stratmap.exchange.parse import parse_paths


@pytest.fixture(autouse=True)
def _login_without_throttle(request, settings):
    """django-axes needs the request in authenticate(); tests that call it without one opt out of
    the throttle, except those marked ``login_throttle`` that test it. Passwords are hashed with
    MD5 in tests: PBKDF2's million rounds cost half a second a user and prove nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if "login_throttle" not in request.keywords:
        settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request to an /en/ page leaves English active in the thread
    (the locale middleware activates a request's language and leaves it), which would make the next test's
    reverse() and messages English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_summaries_kept_from_another_test():
    """The maps' counts a process keeps are keyed by the data's version (last audit event, highest ids),
    which a rolled-back test under a frozen clock can give again for other data: each test starts afresh."""
    from django.core.cache import caches

    caches["summaries"].clear()
    caches["pages"].clear()


@pytest.fixture(autouse=True)
def _report_jobs_at_once(settings, tmp_path_factory):
    """Report jobs run in the request that asks for them (no worker in tests), and their files go
    to a temporary folder; tests/test_report_jobs.py also runs the real worker once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.REPORTS_DIR = tmp_path_factory.getbasetemp() / "reports"


@pytest.fixture(scope="session")
def _demo_files():
    """The demo dataset parsed once per run, by file: the loader reads parsed files without changing them,
    and parsing is half the cost of the fixture that most tests use."""
    return {parsed.path: parsed for parsed in parse_paths(DEMO_PATHS)}


@pytest.fixture
def demo(db, _demo_files, monkeypatch):
    """The built-in demo datasets, loaded: Taipei's and the invented council's (stratmap/data/ashcombe),
    as ``stratmap load --demo`` loads them, so that every test of a page runs beside both shapes."""
    with monkeypatch.context() as patched:
        patched.setattr(loader, "parse_file", lambda path: (_demo_files[path], []))
        return load_paths(DEMO_PATHS)


@pytest.fixture(scope="module")
def rendered_once():
    """``rendered_once(key, make)``: the bytes of a download of the untouched demo, made by the first
    test of the module that asks and shared by the others (a PDF costs seconds to render)."""
    made: dict[str, bytes] = {}

    def render(key: str, make):
        if key not in made:
            made[key] = make()
        return made[key]

    return render


@pytest.fixture
def people(demo):
    """An administrator, 勞動局's editor, 產業局's editor, theme D's coordinator, a viewer and an outsider."""
    make = get_user_model().objects.create_user
    orgs = {o.code: o for o in Organization.objects.all()}
    users = {}
    for name, org, role in [
        ("admin", "taipei", Membership.Role.ADMINISTRATOR),
        ("dol", "taipei-dol", Membership.Role.EDITOR),
        ("doed", "taipei-doed", Membership.Role.EDITOR),
        ("coord", "taipei-group-d", Membership.Role.COORDINATOR),
        ("viewer", "taipei", Membership.Role.VIEWER),
        ("outsider", None, None),
    ]:
        users[name] = make(name, password="pw-for-tests-only")
        if org:
            Membership.objects.create(user=users[name], organization=orgs[org], role=role)
    return users


@pytest.fixture
def council_people(people):
    """``people`` (Taipei's, outsiders to the council) and the invented council's roles: its administrator,
    the editors of its Place and Resources directorates and a viewer."""
    make = get_user_model().objects.create_user
    orgs = {o.code: o for o in Organization.objects.filter(code__startswith="ashcombe")}
    users = dict(people)
    for name, org, role in [
        ("council-admin", "ashcombe", Membership.Role.ADMINISTRATOR),
        ("council-place", "ashcombe-place", Membership.Role.EDITOR),
        ("council-resources", "ashcombe-resources", Membership.Role.EDITOR),
        ("council-viewer", "ashcombe", Membership.Role.VIEWER),
    ]:
        users[name] = make(name, password="pw-for-tests-only")
        Membership.objects.create(user=users[name], organization=orgs[org], role=role)
    return users


def row_counts() -> dict[str, int]:
    """How many rows each stratmap table holds: equal before and after means nothing was written."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"core", "strategy", "kpis", "plans"}
    }


# --- browser tests (pytest-playwright with Debian's chromium; never `playwright install`) ---

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# pytest-django's live server and Playwright's sync API share the thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
#: The password of the browser tests' administrator (``site``), typed into the login form.
PASSWORD = "a-long-test-password"


@pytest.fixture
def site(live_server, transactional_db):
    """The demo served to a browser, with the city's administrator (the evaluation office) ``rdec-admin``, whose
    password is :data:`PASSWORD`: the live server's address. A module that needs another site defines its own."""
    from tests.helpers import SHOTS

    load_paths(DEMO_PATHS)
    user = get_user_model().objects.create_user("rdec-admin", password=PASSWORD)
    Membership.objects.create(
        user=user, organization=Organization.objects.get(code="taipei"), role=Membership.Role.ADMINISTRATOR
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (make test installs it)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    from tests.helpers import SHOTS

    if SHOTS.exists() and any(SHOTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {SHOTS}")
