"""The accessibility statement (issue 17 item 5): the standard the site aims at, how it is checked, what is
known not to meet it, and whom to tell."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def statement(request: HttpRequest) -> HttpResponse:
    """The statement, the same for everyone; the contact is the site's setting (empty: its administrators)."""
    contact = str(getattr(settings, "STRATMAP_ACCESSIBILITY_CONTACT", "") or "").strip()
    return render(
        request,
        "web/accessibility.html",
        {"contact": contact, "contact_is_email": "@" in contact and " " not in contact and ":" not in contact},
    )
