"""Refresh forecast: a laptop checked out to a pupil shows in its owner's forecast, per quarter,
with the replacement cost from the model's price; the CSV export is audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from samdrift.assets import actions
from samdrift.assets.planning import get_refresh_forecast_for_owner, quarters_from
from samdrift.core.models import AuditEvent, AuditEventType

pytestmark = pytest.mark.django_db


def test_pupils_laptop_appears_in_the_owners_forecast(world: Any, web: Any) -> None:
    model = actions.do_update_asset_model(
        world.a.extra["asset_model"],
        {"list_price": Decimal("7500.00"), "expected_lifetime_months": 36},
        actor=world.admin,
    )
    laptop = actions.do_create_asset(
        {
            "owner": world.a.owner,
            "asset_tag": "ELEV-1",
            "model": model,
            "purchase_date": date(2024, 8, 15),
            "warranty_end": date(2027, 8, 15),
        },
        actor=world.technician,
    )
    actions.do_check_out_asset(laptop, world.a.pupil, actor=world.technician)
    rows = get_refresh_forecast_for_owner(world.a.viewer, owner_id=world.a.owner.pk, start=date(2026, 11, 26))
    assert [r.quarter for r in rows][:4] == ["2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3"] and len(rows) == 12
    by_quarter = {r.quarter: r for r in rows}
    assert by_quarter["2027-Q3"].end_of_life == 1 and by_quarter["2027-Q3"].replacement_cost == Decimal("7500.00")
    assert by_quarter["2027-Q3"].warranty_ends == 1
    # Another owner's viewer sees none of it.
    other = get_refresh_forecast_for_owner(world.b.viewer, owner_id=world.a.owner.pk, start=date(2026, 11, 26))
    assert sum(r.end_of_life for r in other) == 0

    client = web(world.a.viewer)
    page = client.get(reverse("asset_forecast"), {"owner": world.a.owner.pk}).content.decode()
    assert "2027-Q3" in page and "7500" in page.replace("\xa0", "").replace(" ", "")
    csv_text = client.get(reverse("asset_forecast"), {"owner": world.a.owner.pk, "export": "csv"}).content.decode()
    assert "2027-Q3;1;7500.00;1" in csv_text
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.event_type == AuditEventType.EXPORTED and event.object_type == "assets.forecast"


def test_quarters_run_three_years_from_the_start() -> None:
    assert quarters_from(date(2026, 1, 1))[0] == "2026-Q1"
    assert quarters_from(date(2026, 12, 31))[-1] == "2029-Q3"
