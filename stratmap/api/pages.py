"""The API tokens page (``/api-tokens/``): a person makes, lists and revokes their own tokens. Login required
(the public is sent to log in); nobody sees or revokes another's tokens."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from stratmap.api.models import ApiToken, Scope
from stratmap.api.tokens import LONGEST, Made, token_create, token_revoke

DAYS = [(30, gettext_lazy("30 days")), (90, gettext_lazy("90 days")), (LONGEST.days - 1, gettext_lazy("a year"))]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy("What uses it, e.g. our results system.")
    )
    write = forms.BooleanField(
        label=gettext_lazy("May record results and task progress (scope write:results)"), required=False
    )
    days = forms.TypedChoiceField(label=gettext_lazy("Expires after"), choices=DAYS, coerce=int, initial=90)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    made: Made | None = None
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            scopes = [Scope.READ.value] + ([Scope.WRITE_RESULTS.value] if form.cleaned_data["write"] else [])
            try:
                made = token_create(
                    owner=cast(User, request.user),
                    name=form.cleaned_data["name"],
                    scopes=scopes,
                    days=form.cleaned_data["days"],
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
                status = 400
            else:
                form = TokenForm()
        else:
            status = 400
    rows = ApiToken.objects.filter(owner_id=request.user.pk).order_by("-created", "-pk")
    context = {"form": form, "made": made, "tokens": rows}
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token_revoke(owner=cast(User, request.user), pk=pk)
    except PermissionDenied:
        raise Http404 from None
    return redirect("web:api-tokens")


urlpatterns = [
    path("", tokens, name="api-tokens"),
    path("<int:pk>/revoke/", revoke, name="api-token-revoke"),
]
