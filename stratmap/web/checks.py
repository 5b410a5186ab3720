"""System checks of the settings the web pages read, run before ``stratmap serve``, ``worker``, ``migrate`` and
``check`` start: a bad value stops the start with an error naming the setting, its environment variable and
the value, rather than a 500 on the first visitor's open-data file."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.checks import CheckMessage, Error


def time_zones(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``STRATMAP_TIME_ZONES``: organization codes to IANA time zone names this machine knows."""
    zones = getattr(settings, "STRATMAP_TIME_ZONES", {})
    hint = "Set STRATMAP_TIME_ZONES to organization=Area/City pairs, e.g. ashcombe=Europe/London (docs/deploy.md)."
    if not isinstance(zones, dict):
        return [Error(f"STRATMAP_TIME_ZONES is {zones!r}, not a mapping of codes to time zones.", hint=hint,
                      id="stratmap.E001")]  # fmt: skip
    problems: list[CheckMessage] = []
    for code, name in zones.items():
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            problems.append(
                Error(
                    f"STRATMAP_TIME_ZONES: {name!r} (of {code}) is not a time zone this machine knows; "
                    "expected an IANA name such as Asia/Taipei or Europe/London.",
                    hint=hint,
                    id="stratmap.E001",
                )
            )
    return problems


def open_data_licence(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``STRATMAP_OPEN_DATA_LICENCE``: a name and an address (and an English name), all text."""
    found = getattr(settings, "STRATMAP_OPEN_DATA_LICENCE", None)
    if (
        isinstance(found, dict)
        and all(isinstance(found.get(key), str) and found[key].strip() for key in ("name", "url"))
        and all(isinstance(value, str) for value in found.values())
    ):
        return []
    return [
        Error(
            f"STRATMAP_OPEN_DATA_LICENCE is {found!r}: a licence needs a name and a url (name_en optional), all text.",
            hint='e.g. STRATMAP_OPEN_DATA_LICENCE={"name": "Open Government Licence v3.0", "url": "https://…"} '
            "(docs/deploy.md).",
            id="stratmap.E002",
        )
    ]
