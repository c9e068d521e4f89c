"""Two refreshes of the insight summary tables at once (the hourly refresh and the monthly report's,
run by two workers) must both succeed: the second waits for the first to commit. Seen in the fault
test's logs on 8 December 2026: `duplicate key value violates unique constraint
"insight_ownermonth_unique"`, and that task failed."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.db import OperationalError, transaction
from django.db import connection as main

from samdrift.core.locks import hold_for_transaction
from samdrift.insight.models import OwnerMonth
from samdrift.insight.refresh import REFRESH_LOCK_KEY, refresh_owner_months
from samdrift.tenancy import actions
from tests.concurrency import held_in_another_transaction, run_side_by_side

ONLY_POSTGRESQL = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="in-memory SQLite (the test database) cannot hold concurrent writers; the lock tested is PostgreSQL's",
)
MONTHS = [date(2026, 10, 1), date(2026, 11, 1)]


def _owners() -> None:
    for n, (code, orgnr) in enumerate((("9101", "212000-0001"), ("9102", "212000-0019"))):
        actions.do_create_owner(
            {"name": f"Lås kommun {n}", "municipality_code": code, "org_number": orgnr, "population": 1000},
            actor=None,
        )


def test_the_lock_must_be_taken_inside_a_transaction() -> None:
    with pytest.raises(RuntimeError):
        hold_for_transaction(REFRESH_LOCK_KEY)


@ONLY_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_refresh_waits_for_another_refresh_to_commit() -> None:
    _owners()
    with held_in_another_transaction(lambda: hold_for_transaction(REFRESH_LOCK_KEY)):
        with pytest.raises(OperationalError), transaction.atomic():
            with main.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            refresh_owner_months(MONTHS)
    assert refresh_owner_months(MONTHS)["rows"] == 4
    assert OwnerMonth.objects.count() == 4


@ONLY_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_both_succeed() -> None:
    _owners()
    refresh_owner_months(MONTHS)  # rows to delete, as on every hour after the first

    def refresh_five_times() -> None:
        for _ in range(5):
            refresh_owner_months(MONTHS)

    assert run_side_by_side(refresh_five_times, threads=2) == []
    assert OwnerMonth.objects.count() == 4
