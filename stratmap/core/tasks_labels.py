"""django-tasks-db's labels, for our translation catalogue.

django-tasks-db (the report worker's job queue) ships no Traditional Chinese, so its admin pages
would be English in the Chinese admin. Its gettext-marked strings are listed here with
``gettext_noop``/``pgettext`` markers so that ``makemessages`` keeps them in stratmap's catalogue,
which Django consults for every app's strings. Nothing imports this module. Keep it in step with
django_tasks_db's ``models.py`` and django_tasks' ``TaskResultStatus`` when upgrading.
"""

from django.utils.translation import gettext_noop, pgettext_lazy

TASKS_LABELS = (
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
)
