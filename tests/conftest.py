from __future__ import annotations

import pytest
from django.apps import apps

from stratmap.exchange.loader import DEMO_DATA, load_paths


@pytest.fixture
def demo(db):
    """The built-in Taipei demo dataset, loaded."""
    return load_paths([DEMO_DATA])


def row_counts() -> dict[str, int]:
    """How many rows each stratmap table holds: equal before and after means nothing was written."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"core", "strategy", "kpis", "plans"}
    }
