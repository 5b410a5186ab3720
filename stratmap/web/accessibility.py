"""The accessibility statement (issue 17 item 5): the standard the site aims at, how it is checked, what is
known not to meet it, and whom to tell."""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_safe


class Mark(NamedTuple):
    """The accessibility mark the site was granted (``STRATMAP_ACCESSIBILITY_MARK``): its image, its certificate's
    address and its alternative text, which says its level as the Ministry's marks do."""

    image: str
    url: str
    alt: str


def accessibility_mark() -> Mark | None:
    """The site's accessibility mark in the page's language, or None where the agency has none."""
    mark = getattr(settings, "STRATMAP_ACCESSIBILITY_MARK", None)
    if not mark:
        return None
    alt = gettext("Accessibility mark, level %(level)s (its certificate)") % {"level": mark["level"]}
    return Mark(image=mark["image"], url=mark["url"], alt=alt)


@require_safe
def statement(request: HttpRequest) -> HttpResponse:
    """The statement, the same for everyone; the contact is the site's setting (empty: its administrators)."""
    contact = str(getattr(settings, "STRATMAP_ACCESSIBILITY_CONTACT", "") or "").strip()
    return render(
        request,
        "web/accessibility.html",
        {
            "contact": contact,
            "contact_is_email": "@" in contact and " " not in contact and ":" not in contact,
            "mark": accessibility_mark(),
        },
    )
