"""The business calendar: Swedish holidays, opening hours, DST, and its algebraic properties."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samdrift.servicedesk.calendar import (
    DEFAULT_CALENDAR,
    STOCKHOLM,
    BusinessCalendar,
    add_business_time,
    business_seconds_between,
)


def sthlm(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def test_midsommarafton_friday_1630_starts_the_clock_on_monday() -> None:
    # 2026-06-19 is midsommarafton (de facto holiday), 20 June midsommardagen, then Sunday.
    start = sthlm(2026, 6, 19, 16, 30)
    assert business_seconds_between(start, sthlm(2026, 6, 22, 8, 0)) == 0
    assert add_business_time(start, 60 * 60) == sthlm(2026, 6, 22, 9, 0)
    # One full business day (9 h) ends at Monday's closing time.
    assert add_business_time(start, 9 * 3600) == sthlm(2026, 6, 22, 17, 0)


def test_an_ordinary_friday_1630_keeps_its_last_half_hour() -> None:
    start = sthlm(2026, 6, 12, 16, 30)
    assert add_business_time(start, 3600) == sthlm(2026, 6, 15, 8, 30)
    assert business_seconds_between(start, sthlm(2026, 6, 15, 8, 30)) == 3600


def test_christmas_and_new_year_are_closed() -> None:
    # 24, 25, 26 Dec and 31 Dec, 1 Jan are closed; 2026-12-23 is a Wednesday.
    start = sthlm(2026, 12, 23, 16, 0)
    assert add_business_time(start, 2 * 3600) == sthlm(2026, 12, 28, 9, 0)
    assert add_business_time(sthlm(2026, 12, 30, 17, 0), 60) == sthlm(2027, 1, 4, 8, 1)


def test_daylight_saving_nights_do_not_change_business_time() -> None:
    # Summer time starts on Sunday 29 March 2026, winter time on Sunday 25 October 2026.
    for friday, monday in (
        (sthlm(2026, 3, 27, 12), sthlm(2026, 3, 30, 12)),
        (sthlm(2026, 10, 23, 12), sthlm(2026, 10, 26, 12)),
    ):
        assert business_seconds_between(friday, monday) == 9 * 3600
        assert add_business_time(friday, 9 * 3600) == monday


def test_opening_hours_of_a_policy() -> None:
    weekend_too = BusinessCalendar(opens=time(7, 0), closes=time(19, 0), weekdays="1234567")
    saturday = sthlm(2026, 6, 6, 7, 0)  # Sweden's national day is 6 June, a public holiday
    assert business_seconds_between(saturday, sthlm(2026, 6, 7, 19, 0), weekend_too) == 12 * 3600
    with pytest.raises(ValueError):
        BusinessCalendar(opens=time(17), closes=time(8))


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError):
        business_seconds_between(datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError):
        add_business_time(sthlm(2026, 1, 5, 9), -1)


# --- properties ------------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)
durations = st.integers(min_value=0, max_value=60 * 9 * 3600)  # up to sixty business days


@settings(max_examples=150, deadline=None)
@given(instants, instants)
def test_elapsed_is_never_negative_and_antisymmetric(a: datetime, b: datetime) -> None:
    assert business_seconds_between(a, b) >= 0
    if b <= a:
        assert business_seconds_between(a, b) == 0


@settings(max_examples=150, deadline=None)
@given(instants, durations)
def test_adding_business_time_then_measuring_it_gives_it_back(start: datetime, seconds: int) -> None:
    due = add_business_time(start, seconds)
    assert due >= start
    assert business_seconds_between(start, due) == seconds


@settings(max_examples=150, deadline=None)
@given(instants, instants)
def test_adding_the_elapsed_time_lands_on_the_same_business_instant(start: datetime, end: datetime) -> None:
    start, end = min(start, end), max(start, end)
    elapsed = business_seconds_between(start, end)
    landed = add_business_time(start, elapsed)
    # The same business instant: no business time lies between the two.
    assert business_seconds_between(min(landed, end), max(landed, end)) == 0
    window = DEFAULT_CALENDAR.window(end.astimezone(STOCKHOLM).date())
    if elapsed > 0 and window is not None and window[0] < end <= window[1]:
        assert landed == end


@settings(max_examples=150, deadline=None)
@given(instants, instants, instants)
def test_elapsed_is_monotonic_and_additive(a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc, ac = business_seconds_between(a, b), business_seconds_between(b, c), business_seconds_between(a, c)
    assert ab <= ac and bc <= ac
    assert abs(ab + bc - ac) <= 1  # whole seconds: at most one lost to truncation


@settings(max_examples=100, deadline=None)
@given(instants, durations, durations)
def test_a_pause_pushes_the_due_time_by_exactly_the_paused_business_time(
    start: datetime, target: int, paused: int
) -> None:
    due = add_business_time(start, target)
    later = add_business_time(start, target + paused)
    assert later >= due
    assert business_seconds_between(due, later) == paused
