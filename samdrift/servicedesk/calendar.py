"""The business calendar (arbetstidskalender) that SLA clocks run on.

Europe/Stockholm, opening hours per SLA policy (default Monday–Friday 08:00–17:00), closed on
Swedish public holidays and the de facto ones (midsommarafton, julafton, nyårsafton).

Both functions work on aware datetimes and answer in business seconds. Time is counted per local
day from that day's opening to closing instant, each converted to UTC on its own, so a daylight
saving change at night never adds or removes business time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_HOLIDAYS = holidays.Sweden(categories=("public", "de_facto"))


@lru_cache(maxsize=4096)
def is_holiday(day: date) -> bool:
    return day in _HOLIDAYS


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours: `weekdays` holds ISO weekday digits (1 = Monday)."""

    opens: time = time(8, 0)
    closes: time = time(17, 0)
    weekdays: str = "12345"
    tz: ZoneInfo = STOCKHOLM

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("closing time must be after opening time")
        if not self.weekdays or not set(self.weekdays) <= set("1234567"):
            raise ValueError("weekdays must be ISO weekday digits 1-7")

    def is_business_day(self, day: date) -> bool:
        return str(day.isoweekday()) in self.weekdays and not is_holiday(day)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening and closing instants, or None when closed all day."""
        if not self.is_business_day(day):
            return None
        return (
            datetime.combine(day, self.opens, tzinfo=self.tz),
            datetime.combine(day, self.closes, tzinfo=self.tz),
        )

    @property
    def day_seconds(self) -> int:
        return (datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)).seconds


DEFAULT_CALENDAR = BusinessCalendar()
_MAX_DAYS = 366 * 20  # no SLA target is longer than this; stops a runaway loop on bad input


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("business time needs time-zone-aware datetimes")


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> int:
    """Whole business seconds from `start` to `end`; 0 when `end` is not after `start`."""
    _require_aware(start, end)
    if end <= start:
        return 0
    total = 0.0
    day = start.astimezone(calendar.tz).date()
    last = end.astimezone(calendar.tz).date()
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            lo = max(window[0], start)
            hi = min(window[1], end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def add_business_time(start: datetime, seconds: int, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> datetime:
    """The instant at which `seconds` of business time have passed since `start`.

    That is the earliest `t` with business_seconds_between(start, t) == seconds, so a target that
    runs out exactly at closing time is due at closing, not at the next opening. Zero returns
    `start` unchanged.
    """
    _require_aware(start)
    if seconds < 0:
        raise ValueError("business time to add must not be negative")
    if seconds == 0:
        return start
    left = float(seconds)
    day = start.astimezone(calendar.tz).date()
    for _ in range(_MAX_DAYS):
        window = calendar.window(day)
        if window is not None:
            lo = max(window[0], start)
            available = (window[1] - lo).total_seconds()
            if available > 0:
                if left <= available:
                    return (lo + timedelta(seconds=left)).astimezone(start.tzinfo)
                left -= available
        day += timedelta(days=1)
    raise ValueError("business time to add is out of range")
