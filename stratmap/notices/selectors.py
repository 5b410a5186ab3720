"""Reading a person's notifications: their own only, whoever asks (a person never reads another's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from stratmap.notices.models import Notification, NotificationPreference


def unread_count(*, user: Any) -> int:
    """How many of ``user``'s notifications are unread (one query on an index); 0 for the public."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read=None).count()


def notifications_of(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """``user``'s notifications, newest first (a page of them is one query)."""
    found = Notification.objects.filter(recipient=user)
    return found.filter(read=None) if unread_only else found


def preference_of(*, user: Any) -> NotificationPreference:
    """``user``'s preferences; the defaults (every notification by email, the digest) when never set."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
