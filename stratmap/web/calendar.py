"""A map's reporting calendar: each month of its organization's year with its days off and the periods
that end in it, their due dates and the KPIs' data releases (:func:`kpis.selectors.calendar_page`); and
the due dates as an iCalendar file to subscribe to."""

from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_safe

from stratmap.access import access_for, get_map_for_user
from stratmap.core.names import local_name
from stratmap.kpis.selectors import calendar_page
from stratmap.web.views import map_context


@require_safe
def calendar(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The reporting calendar of the map ``org`` ``year``, for whoever reads the map."""
    smap = get_map_for_user(request, org, year)
    page = calendar_page(smap=smap, access=access_for(request))
    return render(request, "web/calendar.html", map_context(smap, page=page))


def _escape(text: str) -> str:
    """A TEXT value of RFC 5545: backslash, semicolon, comma and new lines escaped."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a character."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


@require_safe
def calendar_ics(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The map's due dates (each period's and the year's) as all-day events of an iCalendar file, in the
    reader's language, for a calendar application."""
    smap = get_map_for_user(request, org, year)
    page = calendar_page(smap=smap, access=access_for(request))
    style = smap.organization.year_style
    language = get_language()
    organization = local_name(smap.organization, language=language)
    # The same file for the same data (the public must see the same bytes until the data changes, and a
    # cache may keep it): the stamp is the year's first day, not the time it was made.
    first_year, first_month = style.months(smap.year)[0]
    stamp = f"{first_year:04d}{first_month:02d}01T000000Z"
    link = request.build_absolute_uri(reverse("web:calendar", args=[smap.organization.code, smap.url_year]))
    uid = f"{smap.organization.code}-{smap.year}"
    events = [(f"{uid}-year", page.year_due, style.label(smap.year, language))]
    for month in page.months:
        for due in month.periods:
            events.append((f"{uid}-{due.code}", due.due, style.period_label(due.period, language)))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//stratmap//reporting calendar//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(organization + ' ' + gettext('results due'))}",
    ]
    for key, day, label in sorted(events, key=lambda e: e[1]):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{key}@stratmap",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(gettext('Results due: %(period)s') % {'period': f'{organization} {label}'})}",
            f"URL:{link}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    response = HttpResponse(
        "\r\n".join(_fold(line) for line in lines) + "\r\n", content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{smap.organization.code}-{smap.year}-due.ics"'
    return response
