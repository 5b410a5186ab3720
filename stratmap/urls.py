"""URL configuration: the admin for now; the public pages come with the web app."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
        prefix_default_language=False,
    ),
]
