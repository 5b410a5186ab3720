"""Form pieces the pages (:mod:`stratmap.web.forms`) and the administration share: numbers shown as
they were entered, and the hidden version a form was opened on, so that a stale save is refused."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class PlainNumberInput(forms.NumberInput):
    """A stored number as it was entered: 5.2 and 88, not the column's 5.2000 and 88.000."""

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            value = format(value.normalize(), "f")
        return super().format_value(value)


VERSION_MISSING = _("This form does not say which version of the result it was opened on; reload the page.")


MAP_VERSION_MISSING = _("This form does not say which version of the map it was opened on; reload the page.")


def map_version_field() -> forms.IntegerField:
    """The version of the map a revise or roll-over form was opened on (StrategyMap.version)."""
    return forms.IntegerField(min_value=1, widget=forms.HiddenInput, error_messages={"required": MAP_VERSION_MISSING})
