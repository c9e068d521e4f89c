"""Lead times per owner and month: the median and 90th percentile of each stage, the same figures on
screen, in the CSV and in the API, computed by PostgreSQL's percentile_cont or, on SQLite, in
Python, and never another owner's."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samdrift.ordering import actions, reports
from samdrift.ordering.models import LineStatus, OrderLine

pytestmark = pytest.mark.django_db

# Days from submission to approval for five lines; p90 by linear interpolation = 4 + 0.6 * 6.
APPROVAL_DAYS = [1, 2, 3, 4, 10]


def _lines(world: Any, ow: Any, approval_days: list[int], month_start: datetime) -> None:
    cat = world.extra["ordering"]
    order = actions.do_create_order(
        {"cost_centre": ow.cost_centre, "delivery_address": "Storgatan 1"},
        [actions.OrderItem(recipients=[ow.employee], package=cat["package"])],
        actor=ow.orderer,
    )
    OrderLine.objects.filter(order=order).delete()
    rows = []
    for n, days in enumerate(approval_days):
        submitted = month_start + timedelta(days=n, hours=9)
        rows.append(
            OrderLine(
                owner_id=ow.owner.pk, order=order, recipient=ow.employee, package=cat["package"], quantity=1,
                description="Medarbetardator", one_time_price=0, monthly_price=0, status=LineStatus.HANDED_OVER,
                submitted_at=submitted, approved_at=submitted + timedelta(days=days),
                ordered_at=submitted + timedelta(days=days + 1), confirmed_at=submitted + timedelta(days=days + 2),
                delivered_at=submitted + timedelta(days=days + 7), handed_over_at=submitted + timedelta(days=days + 9),
            )
        )  # fmt: skip
    OrderLine.objects.bulk_create(rows)


def _month_start(months_back: int = 1) -> datetime:
    first = timezone.localdate().replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return timezone.make_aware(datetime(first.year, first.month, first.day))


def _in(rows: list[dict[str, Any]], month: datetime) -> list[dict[str, Any]]:
    """The rows of `month` (the world has orders of its own, made today)."""
    return [r for r in rows if r["month"] == month.date()]


def test_median_and_p90_of_each_stage_per_owner_and_month(world: Any) -> None:
    a, b = world.a, world.b
    month = _month_start()
    _lines(world, a, APPROVAL_DAYS, month)
    _lines(world, b, [20, 20], month)
    since = month.date()
    (row,) = _in(reports.lead_times(a.viewer, since), month)
    assert row["owner"] == a.owner.name and row["lines"] == 5
    approval, ordering, confirmation, delivery, hand_over, total = row["stages"]
    assert approval == {"n": 5, "median": 3.0, "p90": 7.6}
    assert ordering == confirmation == {"n": 5, "median": 1.0, "p90": 1.0}
    assert delivery == {"n": 5, "median": 5.0, "p90": 5.0}
    assert hand_over == {"n": 5, "median": 2.0, "p90": 2.0}
    assert total == {"n": 5, "median": 12.0, "p90": 16.6}
    # The operator sees both owners, or every owner together in one row per month.
    per_owner = _in(reports.lead_times(world.admin, since), month)
    assert {r["owner"]: r["lines"] for r in per_owner} == {a.owner.name: 5, b.owner.name: 2}
    (together,) = _in(reports.lead_times(world.admin, since, combine_owners=True), month)
    assert together["lines"] == 7
    assert together["stages"][0] == {"n": 7, "median": 4.0, "p90": 20.0}
    assert str(together["owner"]) == str(reports.ALL_OWNERS)
    (only_b,) = _in(reports.lead_times(world.admin, since, b.owner.pk), month)
    assert only_b["owner"] == b.owner.name


def test_a_line_still_under_way_counts_only_the_stages_it_has_passed(world: Any) -> None:
    a = world.a
    month = _month_start()
    _lines(world, a, [2, 4], month)
    last = OrderLine.objects.filter(owner=a.owner).order_by("-pk").first()
    assert last is not None
    OrderLine.objects.filter(pk=last.pk).update(delivered_at=None, handed_over_at=None, status=LineStatus.CONFIRMED)
    (row,) = _in(reports.lead_times(a.viewer, month.date()), month)
    assert row["lines"] == 2
    assert row["stages"][0]["n"] == 2
    assert row["stages"][3]["n"] == 1 and row["stages"][5]["n"] == 1


def test_the_page_the_csv_and_the_api_agree_and_keep_to_the_users_owner(world: Any, web: Any, api: Any) -> None:
    a, b = world.a, world.b
    month = _month_start()
    _lines(world, a, APPROVAL_DAYS, month)
    _lines(world, b, [20, 20], month)
    since = month.date().isoformat()
    url = reverse("ordering_lead_times")

    default = web(a.viewer).get(url).content.decode()
    year_back = actions.today().replace(day=1) - timedelta(days=365)
    assert f'name="since" value="{year_back.isoformat()}"' in default, "the form shows the day it starts from"
    page = web(a.viewer).get(url, {"since": since})
    body = page.content.decode()
    assert page.status_code == 200
    assert "3.0 / 7.6" in body or "3,0 / 7,6" in body
    assert "<th" in body and "Inköp" in body and "Ordning" not in body, "the stage is named in Swedish"
    # The chart stacks the five stages' medians; widths are CSS numbers whatever the language.
    assert 'class="sd-stage-0" style="width: ' in body and 'class="sd-stage-3"' in body
    assert not re.search(r'style="width: [0-9]+,[0-9]', body), "a width written with a decimal comma"
    assert b.owner.name not in body
    # Owner B's id in the address is refused (the form says no such choice) and shows nothing of B.
    probe = web(a.viewer).get(url, {"since": since, "owner": b.owner.pk}).content.decode()
    assert b.owner.name not in probe

    csv_text = web(world.admin).get(url, {"since": since, "export": "csv"}).content.decode()
    assert a.owner.name in csv_text and b.owner.name in csv_text, "the CSV has a row per owner"
    screen = web(world.admin).get(url, {"since": since}).content.decode()
    assert "Alla ägare" in screen and "4,0 / 20,0" in screen, "every owner together on screen"
    chosen = web(world.admin).get(url, {"since": since, "owner": b.owner.pk}).content.decode()
    assert "20.0 / 20.0" in chosen or "20,0 / 20,0" in chosen

    client = api(a.viewer)
    rows = client.get("/api/v1/ordering/lead-times/", {"since": since}).json()
    assert {r["owner"] for r in rows} == {a.owner.name}
    (row,) = [r for r in rows if r["month"] == month.date().isoformat()]
    assert row["stages"][0] == {"stage": "submitted-approved", "n": 5, "median": 3.0, "p90": 7.6}
    refused = client.get("/api/v1/ordering/lead-times/", {"owner": b.owner.pk})
    assert refused.status_code == 400 and b.owner.name not in refused.content.decode()
    assert client.get("/api/v1/ordering/lead-times/", {"since": "yesterday"}).status_code == 400
    assert api(a.end_user).get("/api/v1/ordering/lead-times/").status_code == 403


def test_the_report_reads_in_a_constant_number_of_queries(world: Any, api: Any) -> None:
    a = world.a
    month = _month_start()
    client = api(world.admin)
    client.get("/api/v1/ordering/lead-times/")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/ordering/lead-times/").status_code == 200
        return len(ctx.captured_queries)

    _lines(world, a, [1], month)
    few = count()
    _lines(world, world.b, list(range(1, 30)), _month_start(2))
    assert count() == few
