"""URL configuration. Chinese pages have no prefix, English pages live under /en/."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path


def needs_mail(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A 404 while no mail server is configured (STRATMAP_EMAIL_HOST): a password-reset page would
    promise a mail that never leaves."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not settings.EMAIL_CONFIGURED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


# django.contrib.auth.urls, with the password-reset views behind needs_mail.
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", needs_mail(auth_views.PasswordResetView.as_view()), name="password_reset"),
    path("password_reset/done/", needs_mail(auth_views.PasswordResetDoneView.as_view()), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        needs_mail(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path("reset/done/", needs_mail(auth_views.PasswordResetCompleteView.as_view()), name="password_reset_complete"),
]


def favicon(request: HttpRequest) -> HttpResponseBase:
    """Browsers ask for /favicon.ico whatever the page says; send them to the icon the pages link to."""
    return redirect(static("stratmap/favicon.svg"))  # not permanent: the static name may carry a hash


urlpatterns = [
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    # The REST API, outside the language prefix: its answers are data, not pages (docs/api.md).
    path("api/v1/", include("stratmap.api.urls")),
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("accounts/", include(accounts)),
        path("", include("stratmap.web.urls")),
        prefix_default_language=False,
    ),
]
