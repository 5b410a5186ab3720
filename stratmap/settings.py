"""Django settings for stratmap.

Configuration comes from the environment, so one build runs everywhere:

- ``DATABASE_URL``: any URL dj-database-url understands (``postgres://…``); without
  it, an SQLite file ``var/stratmap.sqlite3`` under the current directory.
- ``STRATMAP_SECRET_KEY``, ``STRATMAP_DEBUG``, ``STRATMAP_ALLOWED_HOSTS``;
- ``STRATMAP_HTTPS=1`` behind HTTPS (secure cookies, HSTS, redirect), the production setting
  with which ``stratmap check --deploy`` is clean.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("STRATMAP_VAR_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("STRATMAP_DEBUG", "0") == "1"
# A development key when none is set, so a checkout just works; `check --deploy` flags it,
# and production sets STRATMAP_SECRET_KEY.
SECRET_KEY = os.environ.get("STRATMAP_SECRET_KEY") or "django-insecure-stratmap-development-only"
ALLOWED_HOSTS = os.environ.get("STRATMAP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

# Behind HTTPS (STRATMAP_HTTPS=1) every cookie is secure and browsers are told to stay on HTTPS.
if os.environ.get("STRATMAP_HTTPS", "0") == "1":
    SECURE_SSL_REDIRECT = os.environ.get("STRATMAP_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("STRATMAP_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

INSTALLED_APPS = [
    # Our apps first: stratmap.exchange's `check` extends Django's own.
    "stratmap.core",
    "stratmap.strategy",
    "stratmap.kpis",
    "stratmap.plans",
    "stratmap.exchange",
    "stratmap.web",
    "stratmap.reports",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The app serves its own static files (ECharts included): it must work on an offline network.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins: after 5 for one user name from one address, wait 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

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
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for a deployment that wants `collectstatic`; WhiteNoise serves from the apps otherwise.
STATIC_ROOT = os.environ.get("STRATMAP_STATIC_ROOT") or None
# Serve straight from the apps' static folders, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
