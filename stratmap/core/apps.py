import axes.apps
import django_tasks_db.apps
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


class TasksDbConfig(django_tasks_db.apps.TasksAppConfig):
    """django-tasks-db (the report worker's job queue) under a heading the admin can translate: it
    names its app "Tasks Database Backend" untranslated.

    Its label and ready() are inherited; ``default = False`` as for :class:`AxesConfig`.
    """

    default = False
    # lazy, as Django reads it (django-tasks types the attribute as a plain str)
    verbose_name = _("Job queue")  # type: ignore[assignment]
