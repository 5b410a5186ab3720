"""Item 20 of issue 10: browser security headers, server errors logged and mailed, no production
with the public key, no password reset without mail, and the login throttle against password
spraying, also behind a reverse proxy."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import path

from stratmap.exchange.loader import DEMO_DATA, load_paths
from stratmap.urls import urlpatterns as stratmap_urls
from tests.helpers import settings_in_a_new_process


def boom(request):
    raise RuntimeError("a bug in a view")


#: The app's URLs and one that fails, for the tests of what a server error leaves behind.
urlpatterns = [path("boom/", boom), *stratmap_urls]


# --- headers ------------------------------------------------------------------------------------


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())


def test_pages_send_a_content_security_policy_without_inline_scripts(demo, client):
    policy = directives(client.get("/taipei/108/kpis/DP5.1/"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy["style-src-elem"]


def test_the_strategy_maps_style_element_carries_the_pages_nonce(demo, client):
    response = client.get("/taipei/108/")
    nonce = re.search(r"'nonce-([^']+)'", directives(response)["style-src-elem"]).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert "<style>" not in response.content.decode()


def test_pages_send_a_permissions_policy_that_turns_the_devices_off(demo, client):
    policy = client.get("/").headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


@pytest.mark.browser
def test_the_map_and_the_charts_tooltip_work_under_the_policy_in_a_browser(live_server, transactional_db, page):
    """The policy is strict, but what the pages do (the map's styles, ECharts' tooltip) is allowed."""
    load_paths([DEMO_DATA])
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/taipei/108/")
    font = page.evaluate("getComputedStyle(document.querySelector('svg.strategy-map text')).fontFamily")
    assert "Noto Sans CJK TC" in font  # the SVG's own <style> applied
    page.goto(live_server.url + "/taipei/108/kpis/DP5.1/")
    page.wait_for_load_state("networkidle")
    chart = page.locator("#kpi-chart").bounding_box()
    for x in (0.3, 0.5, 0.7):  # the tooltip follows the pointer, with inline styles in its markup
        page.mouse.move(chart["x"] + chart["width"] * x, chart["y"] + chart["height"] / 2)
        page.wait_for_timeout(200)
    assert refused == []


# --- server errors ------------------------------------------------------------------------------


def test_a_server_error_is_mailed_to_the_administrators_with_its_traceback(db, settings):
    settings.ROOT_URLCONF = __name__
    settings.ADMINS = [("Ops", "ops@example.org")]
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    (message,) = mail.outbox
    assert message.to == ["ops@example.org"]
    assert "RuntimeError at /boom/\na bug in a view" in message.body and "Traceback" in message.body


def test_the_administrators_come_from_stratmap_admins(tmp_path):
    run = settings_in_a_new_process(tmp_path, STRATMAP_ADMINS="Ops Desk <ops@example.org>, dev@example.org")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[('Ops Desk', 'ops@example.org'), ('', 'dev@example.org')]"


def test_a_malformed_administrator_address_is_refused_with_its_value(tmp_path):
    run = settings_in_a_new_process(tmp_path, STRATMAP_ADMINS="Ops Desk")
    assert run.returncode != 0
    assert "STRATMAP_ADMINS" in run.stderr and "'Ops Desk'" in run.stderr


def test_https_mode_refuses_to_start_with_the_public_development_key(tmp_path):
    run = settings_in_a_new_process(tmp_path, STRATMAP_HTTPS="1")
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and "STRATMAP_SECRET_KEY is not set" in run.stderr
    started = settings_in_a_new_process(tmp_path, STRATMAP_HTTPS="1", STRATMAP_SECRET_KEY="s" * 50)
    assert started.returncode == 0, started.stderr


# --- password reset -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/MQ/x-y/", "/accounts/reset/done/"],
)
def test_password_reset_pages_do_not_exist_while_no_mail_server_is_configured(db, client, settings, url):
    assert client.get(url).status_code == 404
    settings.EMAIL_CONFIGURED = True
    assert client.get(url).status_code == 200  # the form, or for a bad link the page saying it is invalid


def test_login_logout_and_password_change_stay(db, client):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/password_change/").status_code == 302  # to the login page


# --- the login throttle -------------------------------------------------------------------------


def log_in(client, name: str, password: str, **extra) -> bool:
    client.post("/accounts/login/", {"username": name, "password": password}, **extra)
    logged_in = "_auth_user_id" in client.session
    client.logout()
    return logged_in


@pytest.mark.login_throttle
def test_failures_for_many_user_names_from_one_address_lock_that_address_out(people, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    sprayer, office = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="198.51.100.7")
    for name in ("dol", "doed", "coord", "admin", "outsider", "nobody", "nobody-else"):
        assert not log_in(sprayer, name, "Winter2024!")  # fewer than 5 each: no name is locked
    assert log_in(sprayer, "viewer", "pw-for-tests-only")  # 7 failures: under the address's 8
    assert not log_in(sprayer, "no-one", "Winter2024!")  # the 8th
    assert not log_in(sprayer, "dol", "pw-for-tests-only")  # the address is locked out, right password or not
    assert log_in(office, "dol", "pw-for-tests-only")  # another address is not


@pytest.mark.login_throttle
def test_a_successful_login_does_not_forget_the_addresss_failures_for_other_names(people, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    sprayer = Client(REMOTE_ADDR="203.0.113.5")
    for name in ("dol", "doed", "coord"):
        assert not log_in(sprayer, name, "wrong")
    assert log_in(sprayer, "viewer", "pw-for-tests-only")  # the sprayer's own account
    assert not log_in(sprayer, "admin", "wrong")  # the 4th failure from the address
    assert not log_in(sprayer, "viewer", "pw-for-tests-only")


@pytest.mark.login_throttle
def test_behind_a_trusted_proxy_each_forwarded_client_address_is_throttled_on_its_own(people, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="127.0.0.1")  # every request reaches the app from the proxy
    for _ in range(5):
        assert not log_in(proxy, "dol", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert not log_in(proxy, "dol", "pw-for-tests-only", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert log_in(proxy, "dol", "pw-for-tests-only", HTTP_X_FORWARDED_FOR="198.51.100.7")
    # What the client wrote itself, left of what the proxy added, is not believed.
    assert not log_in(proxy, "dol", "pw-for-tests-only", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5")
