"""The monthly report per owner."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from samdrift.core.models import AuditEvent
from samdrift.servicedesk import actions
from samdrift.servicedesk.models import Status
from samdrift.servicedesk.reports import get_monthly_report_for_owner


def test_report_counts_attainment_medians_and_rating(world: Any, clock: Any) -> None:
    a = world.a
    clock.set(2026, 6, 1, 9, 0)
    tickets = [
        actions.do_create_ticket(
            {"requester": a.employee, "subject": f"R{i}", "category": a.extra["sd_category"]}, actor=world.agent
        )
        for i in range(3)
    ]
    clock.set(2026, 6, 1, 10, 0)
    actions.do_add_comment(tickets[0], "Svar", actor=world.agent)
    actions.do_change_ticket_status(tickets[0], Status.RESOLVED, actor=world.agent)
    clock.set(2026, 6, 30, 10, 0)  # long after the P4 due time
    actions.do_change_ticket_status(tickets[1], Status.RESOLVED, actor=world.agent)
    report = get_monthly_report_for_owner(world.agent, a.owner.pk, date(2026, 6, 1))
    assert report.opened == 3 and report.resolved == 2
    assert report.resolution_attainment == 50.0 and report.first_response_attainment == 100.0
    assert report.median_first_response_minutes == 60.0
    assert report.by_category == [{"category__name": a.extra["sd_category"].name, "opened": 3}]
    assert get_monthly_report_for_owner(world.agent, a.owner.pk, date(2026, 7, 1)).opened == 0


def test_report_page_export_and_isolation(world: Any, web: Any) -> None:
    client = web(world.a.viewer)
    page = client.get(reverse("sd_report")).content.decode()
    assert world.a.owner.name in page and world.b.marker not in page
    assert client.get(reverse("sd_report") + f"?owner={world.b.owner.pk}").status_code == 404
    response = client.get(reverse("sd_report") + "?export=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert AuditEvent.objects.filter(event_type="exported", object_type="servicedesk.report").count() == 1
