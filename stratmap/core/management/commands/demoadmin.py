"""``stratmap demoadmin``: create (or reset) the demo administrator and print its login."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"
PASSWORD = "stratmap-demo"


class Command(BaseCommand):
    help = "Create or reset the demo administrator (for the demo database only) and print its login."

    def handle(self, *args, **options) -> None:
        user, _ = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(PASSWORD)
        user.save()
        self.stdout.write(f"demo administrator: user {USERNAME!r}, password {PASSWORD!r}")
