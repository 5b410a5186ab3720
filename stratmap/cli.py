"""The ``stratmap`` console command.

It is Django's ``manage.py`` under our name: ``stratmap load``, ``stratmap dump``,
``stratmap check`` are ours, and every Django command passes through
(``stratmap migrate``, ``stratmap createsuperuser``, ``stratmap runserver``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stratmap.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "stratmap"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
