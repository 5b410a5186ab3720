"""``{{ svg|with_nonce:request }}``: the page's CSP nonce on the style elements of markup we made
(the strategy map's SVG carries its own <style>, which the Content-Security-Policy allows only
with the nonce of the page)."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def with_nonce(markup: str, request) -> SafeString:
    nonce = getattr(request, "csp_nonce", "")
    # The markup is ours (diagram.render_svg escapes what it writes), hence safe as it was.
    return mark_safe(markup.replace("<style>", f'<style nonce="{escape(nonce)}">'))
