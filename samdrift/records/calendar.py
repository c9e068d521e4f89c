"""Deadlines of public access requests on the Swedish business calendar.

A request must be handled promptly (skyndsamt, TF 2 kap. 15 §): the practice of the courts is
about a day. A request still open after one full working day is flagged, after three alarmed.
Working days are those of the service desk's business calendar (Swedish public and de facto
holidays, weekends closed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from samdrift.servicedesk.calendar import DEFAULT_CALENDAR

WARNING_DAYS = 1
ALARM_DAYS = 3


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end is not after start)."""
    days = 0
    day = start + timedelta(days=1)
    while day <= end and days < 1000:
        if DEFAULT_CALENDAR.is_business_day(day):
            days += 1
        day += timedelta(days=1)
    return days


def deadline_flag(received: datetime, *, open_: bool, today: date | None = None) -> str:
    """ "ok", "warning" (one working day passed) or "alarm" (three) for a request still open."""
    if not open_:
        return "ok"
    today = today or timezone.localdate()
    elapsed = working_days_between(timezone.localtime(received).date(), today)
    if elapsed >= ALARM_DAYS:
        return "alarm"
    if elapsed >= WARNING_DAYS:
        return "warning"
    return "ok"
