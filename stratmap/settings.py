"""Django settings for stratmap.

Configuration comes from the environment, so one build runs everywhere:

- ``DATABASE_URL``: any URL dj-database-url understands (``postgres://…``); without
  it, an SQLite file ``var/stratmap.sqlite3`` under the current directory.
- ``STRATMAP_SECRET_KEY``, ``STRATMAP_DEBUG``, ``STRATMAP_ALLOWED_HOSTS``;
- ``STRATMAP_HTTPS=1`` behind HTTPS (secure cookies, HSTS, redirect), the production setting
  with which ``stratmap check --deploy`` is clean.

docs/deploy.md lists every variable read here (tests/test_docs.py checks that it does).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent


def _whole_number(name: str, default: int) -> int:
    """The environment variable ``name`` as a whole number ``>= 0``; a refusal naming it otherwise."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number (see docs/deploy.md)")
    return int(value)


VAR_DIR = Path(os.environ.get("STRATMAP_VAR_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("STRATMAP_DEBUG", "0") == "1"
# A development key when none is set, so a checkout just works; `check --deploy` flags it,
# and production sets STRATMAP_SECRET_KEY.
DEVELOPMENT_SECRET_KEY = "django-insecure-stratmap-development-only"
SECRET_KEY = os.environ.get("STRATMAP_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = os.environ.get("STRATMAP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

# Behind HTTPS (STRATMAP_HTTPS=1) every cookie is secure and browsers are told to stay on HTTPS.
if os.environ.get("STRATMAP_HTTPS", "0") == "1":
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        # The development key is in the source: anyone could forge sessions and password-reset links.
        raise ImproperlyConfigured(
            "STRATMAP_HTTPS=1 is production, but STRATMAP_SECRET_KEY is not set and the development key "
            "is public. Set STRATMAP_SECRET_KEY to a long random secret, e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'` (see docs/deploy.md)."
        )
    SECURE_SSL_REDIRECT = os.environ.get("STRATMAP_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _whole_number("STRATMAP_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

INSTALLED_APPS = [
    # Our apps first: stratmap.exchange's `check` extends Django's own.
    "stratmap.core",
    "stratmap.strategy",
    "stratmap.kpis",
    "stratmap.plans",
    "stratmap.notices",
    "stratmap.exchange",
    "stratmap.web",
    "stratmap.reports",
    # The REST API's tokens (the API itself, /api/v1/, is django-ninja: stratmap/api).
    "stratmap.api",
    # django-ninja's templates and static files: its Swagger UI from our own server, not a CDN.
    "ninja",
    # Translated data: one JSON column (i18n) per model, the translations of its text fields (core.names).
    "modeltrans",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "stratmap.core.apps.AxesConfig",  # django-axes with a translatable admin heading
    "csp",
    # Background jobs: the report decks are made by `stratmap worker`, not in the request.
    "django_tasks",
    "stratmap.core.apps.TasksDbConfig",  # django-tasks-db with a translatable admin heading
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # The app serves its own static files (ECharts included): it must work on an offline network.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The API's answers in the language its client asks for (Accept-Language; see the module).
    "stratmap.api.middleware.ApiLanguage",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A GET of a map page whose year is not written as the page's language writes it: a 301 to the one
    # address of the page (see the module).
    "stratmap.web.middleware.CanonicalYear",
    # Cache-Control: private, no-store on every response to a logged-in person (see the module).
    "stratmap.web.middleware.PrivateForLoggedIn",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins: after 5 for one user name from one address, or 30 for any user names from one
# address (password spraying; higher, since an office behind one NAT address shares it), wait
# 15 minutes. Axes has one limit; stratmap.web.addresses.failure_limit gives each its own.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
LOGIN_FAILURES_PER_NAME = 5
LOGIN_FAILURES_PER_ADDRESS = 30
AXES_FAILURE_LIMIT = "stratmap.web.addresses.failure_limit"
AXES_COOLOFF_TIME = 0.25  # hours
# Axes' own reset would forget every failure from the address (all user names); a successful login
# forgets only its own user name's failures (stratmap.web.addresses.forget_failures).
AXES_RESET_ON_SUCCESS = False
# The client's address: REMOTE_ADDR, or behind STRATMAP_TRUSTED_PROXY_COUNT reverse proxies the
# address the outermost of them saw (X-Forwarded-For); see docs/deploy.md.
TRUSTED_PROXY_COUNT = _whole_number("STRATMAP_TRUSTED_PROXY_COUNT", 0)
# The address of the site as people reach it, for the links in the emails `stratmap remind` sends.
STRATMAP_SITE_URL = os.environ.get("STRATMAP_SITE_URL", "http://localhost:8000")
# How many processes lay out a long PDF report at once; 0: the cores the worker may use, at most 2 (docs/deploy.md).
STRATMAP_REPORT_PROCESSES = _whole_number("STRATMAP_REPORT_PROCESSES", 0)
# The day of the week (0 Monday … 6 Sunday) `stratmap remind` sends each person the digest of their week.
STRATMAP_DIGEST_WEEKDAY = _whole_number("STRATMAP_DIGEST_WEEKDAY", 0)
if STRATMAP_DIGEST_WEEKDAY > 6:
    raise ImproperlyConfigured(f"STRATMAP_DIGEST_WEEKDAY={STRATMAP_DIGEST_WEEKDAY} is not a day of the week (0–6)")
AXES_CLIENT_IP_CALLABLE = "stratmap.web.addresses.client_address"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:due"
LOGOUT_REDIRECT_URL = "web:home"
# Sessions end after 8 hours, and when the browser closes.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

ROOT_URLCONF = "stratmap.urls"
WSGI_APPLICATION = "stratmap.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stratmap.web.presenters.lights_context",
                "stratmap.web.presenters.notices_context",
            ],
        },
    },
]

if "DATABASE_URL" not in os.environ:
    # The default SQLite file lives under var/; create it so a first command works.
    VAR_DIR.mkdir(parents=True, exist_ok=True)

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'stratmap.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent saves queue up as on PostgreSQL instead of failing with "database is locked":
    # an IMMEDIATE transaction takes the write lock when it begins (a deferred one that read
    # first cannot wait for it), and a busy connection waits up to 20 s for it.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    # Integer columns take what PostgreSQL's take, no more (see the module).
    DATABASES["default"]["ENGINE"] = "stratmap.core.sqlite"
    # Tests run against a file, not memory: racing threads each open their own connection,
    # and an in-memory database is not shared between connections as a file is. One file per
    # process, so that two test runs on one machine do not delete each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"stratmap-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Traditional Chinese is the default; English is the other language.
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
# A model's own text fields (name, unit, mission …) hold its ORGANIZATION's language (Organization.language:
# Taipei zh-hant, a council en), not one site language; every real language's text is therefore a key of i18n
# (name_en, name_zh_hant), and modeltrans's "default language" is "und" (undetermined, BCP 47), which no
# language of LANGUAGES is: name_en and name_zh_hant read and write i18n only. stratmap.core.names decides
# which one a reader sees.
MODELTRANS_DEFAULT_LANGUAGE = "und"
MODELTRANS_AVAILABLE_LANGUAGES = [code for code, _name in LANGUAGES]
MODELTRANS_ADD_FIELD_HELP_TEXT = False
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for a deployment that wants `collectstatic`; WhiteNoise serves from the apps otherwise.
STATIC_ROOT = os.environ.get("STRATMAP_STATIC_ROOT") or None
# Serve straight from the apps' static folders, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True

# --- background jobs, the cache, report files ---------------------------------------------------

# The report decks are made by `stratmap worker` (django-tasks' database worker) from jobs kept
# in the database, so a slow PDF never holds a web process. Tests run them at once instead.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Shared by every web process (the rate limits count across them); the table is made by
# `stratmap migrate` (reports' migration 0002), like every other table.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "stratmap_cache"},
    # The maps' headline counts as the public sees them, kept by each process under the data's version
    # (kpis.selectors.map_summaries): memory, not the database, since the point is to spare its queries.
    "summaries": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "stratmap-summaries",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
    # Pages of maps, the public's and each person's, kept by each process under the data's version
    # (web.pagecache): a few hundred pages of tens to hundreds of kilobytes, the least recently used let go.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "stratmap-pages",
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
}
# Made report files; a cache that `stratmap worker` refills, so not in backups.
REPORTS_DIR = VAR_DIR / "reports"
# "Prepare" requests one client address may make in a minute (429 beyond), and report jobs that may
# wait at once (503 beyond): together they bound what anyone can make the worker do.
REPORT_PREPARES_PER_MINUTE = 10
REPORT_QUEUE_LIMIT = 50

# --- browser security headers -------------------------------------------------------------------

# No inline script anywhere (the pages' scripts are static files, their data JSON blocks). Style
# elements need the page's nonce (the inline SVG map has one). Style attributes are allowed, in
# `style-src-attr` only: ECharts' tooltips are markup with them; what they could load is still
# bounded by img-src and font-src.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],  # browsers without style-src-elem/-attr fall back to this
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}


def _frame_ancestors(value: str) -> list[str]:
    """``https://a.gov.tw https://*.gov.taipei`` → the origins that may frame the embeddable views; each
    a scheme and host (a leading ``*.`` and a port allowed), so that nothing else gets into the header."""
    origins = value.replace(",", " ").split()
    for origin in origins:
        if not re.fullmatch(r"https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
            raise ImproperlyConfigured(
                f"STRATMAP_FRAME_ANCESTORS: {origin!r} is not an origin; expected e.g. https://www.gov.taipei "
                "or https://*.gov.tw, separated by spaces or commas (see docs/deploy.md)"
            )
    return origins


# The sites that may show the embeddable map and scorecard (web.embed) in a frame, besides this one; every
# other page may be framed by none (frame-ancestors 'none' above, X-Frame-Options: DENY).
STRATMAP_FRAME_ANCESTORS = _frame_ancestors(os.environ.get("STRATMAP_FRAME_ANCESTORS", ""))
# Whom the accessibility statement (/accessibility/) tells readers to write to about a barrier: an e-mail
# address, or any text (a unit's name and telephone); empty, it says to contact the site's administrators.
STRATMAP_ACCESSIBILITY_CONTACT = os.environ.get("STRATMAP_ACCESSIBILITY_CONTACT", "").strip()


def _accessibility_mark(image: str, url: str, level: str) -> dict[str, str] | None:
    """The accessibility mark (無障礙標章) the agency was granted by the Ministry of Digital Affairs after its
    inspection: the mark's image (an https address or a path on this site), the address of its certificate, and
    its level. None when the agency has none: the software cannot grant itself one."""
    if not image and not url:
        return None
    if not image or not url:
        missing = "STRATMAP_ACCESSIBILITY_MARK_IMAGE" if not image else "STRATMAP_ACCESSIBILITY_MARK_URL"
        raise ImproperlyConfigured(
            f"{missing} is not set: the accessibility mark needs both its image and the address of its "
            "certificate (see docs/deploy.md)"
        )
    if not re.fullmatch(r"(https://|/)\S+", image):
        raise ImproperlyConfigured(
            f"STRATMAP_ACCESSIBILITY_MARK_IMAGE: {image!r} is not an https address or a path starting with /"
        )
    if not re.fullmatch(r"https?://\S+", url):
        raise ImproperlyConfigured(f"STRATMAP_ACCESSIBILITY_MARK_URL: {url!r} is not an http(s) address")
    if level not in {"A", "AA", "AAA"}:
        raise ImproperlyConfigured(f"STRATMAP_ACCESSIBILITY_MARK_LEVEL: {level!r} is not A, AA or AAA")
    return {"image": image, "url": url, "level": level}


STRATMAP_ACCESSIBILITY_MARK = _accessibility_mark(
    os.environ.get("STRATMAP_ACCESSIBILITY_MARK_IMAGE", "").strip(),
    os.environ.get("STRATMAP_ACCESSIBILITY_MARK_URL", "").strip(),
    os.environ.get("STRATMAP_ACCESSIBILITY_MARK_LEVEL", "AA").strip().upper(),
)
if STRATMAP_ACCESSIBILITY_MARK and STRATMAP_ACCESSIBILITY_MARK["image"].startswith("https://"):
    # A mark shown from another site (the Ministry's): its origin, and no other, may give the pages an image.
    _mark_origin = "/".join(STRATMAP_ACCESSIBILITY_MARK["image"].split("/")[:3])
    _directives: dict[str, list[str]] = CONTENT_SECURITY_POLICY["DIRECTIVES"]  # type: ignore[assignment]
    _directives["img-src"].append(_mark_origin)


#: The open data's licence (metadata.json, the open-data page): the Open Government Data License, version 1.0
#: (data.gov.tw's and data.taipei's) unless STRATMAP_OPEN_DATA_LICENCE gives another.
OPEN_GOVERNMENT_DATA_LICENSE = {
    "name": "政府資料開放授權條款－第1版",
    "name_en": "Open Government Data License, version 1.0",
    "url": "https://data.gov.tw/license",
}


def _licence(value: str) -> dict[str, str]:
    """``{"name": …, "name_en": …, "url": …}`` (JSON; name_en optional) → the licence; empty: the default."""
    if not value.strip():
        return dict(OPEN_GOVERNMENT_DATA_LICENSE)
    expected = 'expected JSON like {"name": "Open Government Licence v3.0", "url": "https://…"} (see docs/deploy.md)'
    try:
        found = json.loads(value)
    except ValueError:
        raise ImproperlyConfigured(f"STRATMAP_OPEN_DATA_LICENCE={value!r} is not JSON; {expected}") from None
    if (
        not isinstance(found, dict)
        or not all(isinstance(found.get(key), str) and found[key].strip() for key in ("name", "url"))
        or not all(isinstance(v, str) for v in found.values())
        or set(found) - {"name", "name_en", "url"}
    ):
        raise ImproperlyConfigured(
            f"STRATMAP_OPEN_DATA_LICENCE={value!r} is not a licence: name and url are required, name_en optional, "
            f"all text and nothing else; {expected}"
        )
    return {"name_en": "", **found}


def _time_zones(value: str) -> dict[str, str]:
    """``ashcombe=Europe/London other=Asia/Taipei`` → {organization code: IANA time zone name}, separated by
    spaces or commas. Whether each name is a time zone is checked at start (stratmap.web.checks)."""
    zones = {}
    for entry in value.replace(",", " ").split():
        code, equals, name = entry.partition("=")
        if not (code and equals and name):
            raise ImproperlyConfigured(
                f"STRATMAP_TIME_ZONES: {entry!r} is not <organization code>=<time zone>; expected e.g. "
                "ashcombe=Europe/London, separated by spaces or commas (see docs/deploy.md)"
            )
        zones[code] = name
    return zones


STRATMAP_OPEN_DATA_LICENCE = _licence(os.environ.get("STRATMAP_OPEN_DATA_LICENCE", ""))
# The time zone of an organization's open data (the City Dashboard series' moments) by its code; the others'
# is TIME_ZONE.
STRATMAP_TIME_ZONES = _time_zones(os.environ.get("STRATMAP_TIME_ZONES", ""))
# The pages use none of the browser's devices or sensors.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get", "serial", "usb",
        "xr-spatial-tracking",
    )
}  # fmt: skip

# --- mail, administrators, logging --------------------------------------------------------------

# Mail is sent only when a server is configured: until then the password-reset pages are off (they
# would promise a mail that never leaves) and errors are only logged.
EMAIL_CONFIGURED = bool(os.environ.get("STRATMAP_EMAIL_HOST"))
if EMAIL_CONFIGURED:
    EMAIL_HOST = os.environ["STRATMAP_EMAIL_HOST"]
    EMAIL_PORT = _whole_number("STRATMAP_EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("STRATMAP_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("STRATMAP_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("STRATMAP_EMAIL_TLS", "1") == "1"
    DEFAULT_FROM_EMAIL = SERVER_EMAIL = os.environ.get("STRATMAP_EMAIL_FROM", "stratmap@localhost")
else:
    # Without SMTP (the demo), the emails `stratmap remind` sends are written to the terminal.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"


def _admins(value: str) -> list[tuple[str, str]]:
    """``Name <a@b>, c@d`` → [("Name", "a@b"), ("", "c@d")] (names without commas)."""
    admins = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        name, address = parseaddr(entry)
        if "@" not in address:
            raise ImproperlyConfigured(f"STRATMAP_ADMINS: {entry!r} is not an e-mail address (expected Name <a@b>)")
        admins.append((name, address))
    return admins


# Who is mailed every server error (500), with its traceback, when mail is configured.
ADMINS = _admins(os.environ.get("STRATMAP_ADMINS", ""))

# Every server error is logged with its traceback to standard error (the journal under systemd),
# whatever DEBUG says, and mailed to ADMINS; 4xx are the access log's business.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"}},
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "level": "ERROR",
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["stderr", "mail_admins"], "level": "WARNING", "propagate": False},
        "django.request": {"handlers": ["stderr", "mail_admins"], "level": "ERROR", "propagate": False},
        "stratmap": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # A request for a host not in ALLOWED_HOSTS is a 400 (scanners send many), not a server error.
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    },
}
