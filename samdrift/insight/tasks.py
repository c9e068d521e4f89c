"""Insight's jobs: keep the summary tables current, and make the monthly owner reports."""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task
from django.utils import timezone

log = logging.getLogger(__name__)


@task
def refresh_recent_task() -> dict[str, Any]:
    """Hourly, and after the events that change the figures: the current and the previous month."""
    from samdrift.insight.refresh import do_refresh_insight, months_back

    return do_refresh_insight(months_back(timezone.localdate(), 2), actor=None)


@task
def refresh_history_task(months: int = 24) -> dict[str, Any]:
    """The whole trend (24 months by default): after a demo load, an import of history or a fix."""
    from samdrift.insight.refresh import do_refresh_insight, months_back

    return do_refresh_insight(months_back(timezone.localdate(), months), actor=None)


@task
def monthly_reports_task() -> dict[str, Any]:
    """On the first working day of a month: last month's report for every owner that has none."""
    from samdrift.insight.reports import send_due_reports

    return send_due_reports(timezone.localdate())
