"""Who is asking: the client's address, and the login throttle's limits that depend on it.

Behind reverse proxies every request comes from the nearest proxy's address; the client's is in
``X-Forwarded-For``, which each proxy extends with the address it was reached from. Only the
entries the trusted proxies wrote can be believed (anything further left is what the client
chose to send), so with ``STRATMAP_TRUSTED_PROXY_COUNT=N`` the client is the N-th entry from the
right. django-axes (the login throttle) and the report rate limit both ask here.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote  # it did not come through every proxy: its header is the client's own
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """Axes' limit for this login attempt, giving each lockout parameter its own.

    Axes locks out when the larger of the failure counts of its parameters ((user name, address),
    then address alone, as AXES_LOCKOUT_PARAMETERS lists them) reaches one limit. The address's
    count is never the smaller, so the limit returned is the one the address's count reaches
    exactly when the user name's reaches LOGIN_FAILURES_PER_NAME or its own LOGIN_FAILURES_PER_ADDRESS.
    """
    per_name, per_address = AxesProxyHandler.get_implementation().get_user_attempts(request, credentials)
    name_failures, address_failures = (
        attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0 for attempts in (per_name, per_address)
    )
    return min(settings.LOGIN_FAILURES_PER_ADDRESS, address_failures - name_failures + settings.LOGIN_FAILURES_PER_NAME)


def forget_failures(sender, request: HttpRequest, user, **kwargs) -> None:
    """After a successful login, forget that user name's failures from that address (only those)."""
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    name = user.get_username()
    if address and name:
        reset(ip=address, username=name)
