"""A person's notifications (issue 16 item 2): the list behind the bell, marking them read, and how they want
to be told. Everyone sees only their own; the public is sent to log in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from stratmap.core.audit import Stale
from stratmap.kpis.presenters import html_lang
from stratmap.notices.selectors import notifications_of, preference_of, unread_count
from stratmap.notices.services import notifications_read, preference_save

PAGE_SIZE = 50


class LanguageSelect(forms.Select):
    """Each language named in itself (繁體中文, English), its option saying which language that is (WCAG 3.1.2)."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        value = option["value"]
        if value:
            option["attrs"]["lang"] = html_lang(str(value))
        return option


class PreferenceForm(forms.Form):
    email_each = forms.BooleanField(label=gettext_lazy("Email me each notification"), required=False)
    digest = forms.BooleanField(label=gettext_lazy("Email me a digest of my week"), required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language of my notifications"),
        choices=[("", gettext_lazy("my organization's")), *settings.LANGUAGES],
        widget=LanguageSelect,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


@require_safe
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(notifications_of(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    preference = preference_of(user=request.user)
    form = PreferenceForm(
        initial={
            "email_each": preference.email_each,
            "digest": preference.digest,
            "language": preference.language,
            "version": preference.version if preference.pk else 0,
        }
    )
    return render(
        request,
        "web/notifications.html",
        {"page": page, "unread_only": unread_only, "form": form, "unread": unread_count(user=request.user)},
    )


@login_required
@require_POST
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    ids = None if request.POST.get("all") else [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    done = notifications_read(user=request.user, ids=ids)
    messages.success(request, _("%(count)s notification(s) marked read.") % {"count": done})
    return redirect("web:notifications", permanent=False)


@login_required
@require_POST
def notification_preferences(request: HttpRequest) -> HttpResponse:
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        page = Paginator(notifications_of(user=request.user), PAGE_SIZE).get_page(1)
        context = {"page": page, "unread_only": False, "form": form, "unread": unread_count(user=request.user)}
        return render(request, "web/notifications.html", context, status=400)
    data = form.cleaned_data
    try:
        preference_save(
            user=request.user,
            version=data["version"],
            email_each=data["email_each"],
            digest=data["digest"],
            language=data["language"],
        )
    except Stale as stale:
        page = Paginator(notifications_of(user=request.user), PAGE_SIZE).get_page(1)
        context = {
            "page": page, "unread_only": False, "form": form, "unread": unread_count(user=request.user),
            "conflict": stale,
        }  # fmt: skip
        return render(request, "web/notifications.html", context, status=409)
    messages.success(request, _("Your notification preferences are saved."))
    return redirect("web:notifications", permanent=False)
