import axes.apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "stratmap.core"
    label = "core"
    verbose_name = _("Organizations")


class AxesConfig(axes.apps.AppConfig):
    """django-axes under a heading the admin can translate: axes names its app "Axes".

    Axes' own ready() (its checks and signals) is inherited. ``default = False``: Django picks
    CoreConfig for ``stratmap.core``; settings name this class for axes.
    """

    default = False
    verbose_name = _("Login throttle")
