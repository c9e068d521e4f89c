"""Insight: the summary tables refreshed over the world's data for the trend's 24 months, and a
monthly owner report for each owner (made by the real job, PDF and mail included)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from samdrift.insight.refresh import do_refresh_insight, months_back
from samdrift.insight.reports import do_make_owner_report


def extend(world: Any) -> None:
    do_refresh_insight(months_back(timezone.localdate(), 25), actor=None)
    for ow in (world.a, world.b):
        ow.extra["owner_report"] = do_make_owner_report(ow.owner, today=timezone.localdate())
