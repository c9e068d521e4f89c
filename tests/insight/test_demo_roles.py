"""The issue's "done when", on the demo data `make run` loads: logged in as each demo role, the
start page shows that person's work with counts that agree with the data; Hörby's owner viewer
sees Hörby's costs, service and delivery for 24 months beside the group average and nothing of
Höör or Östra Göinge; and the monthly owner report arrives in the outbox and is kept as a record."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samdrift.assets.models import Asset
from samdrift.billing.models import Invoice
from samdrift.core.models import OutgoingMessage
from samdrift.insight.figures import last_full_month
from samdrift.insight.models import OwnerMonth, OwnerReport
from samdrift.insight.refresh import add_months, months_back
from samdrift.insight.reports import first_working_day, send_due_reports
from samdrift.ordering.models import Order, PurchaseOrder
from samdrift.records.models import AccessRequest, DisposalBatch
from samdrift.records.sources import SOURCES
from samdrift.servicedesk.models import OPEN_STATUSES, WAITING_STATUSES, Ticket
from samdrift.tenancy.demo import DEMO_LOGINS
from samdrift.tenancy.models import Owner, User

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<a href="([^"]+)">([^<]+)</a><span class="badge [^"]*rounded-pill">([^<]+)</span>')


@pytest.fixture
def demo(demo_data: None) -> dict[str, User]:
    return {login.username: User.objects.get(username=login.username) for login in DEMO_LOGINS}


def start(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200, user.username
    return response.content.decode()


def badges(html: str) -> dict[str, int]:
    """Each linked count on the page, by its link (the label where two share a link)."""
    out = {}
    for href, label, count in BADGE.findall(html):
        out[f"{href.replace('&amp;', '&')} {label.strip()}"] = 1001 if count == "1000+" else int(count)
    return out


def by_link(counts: dict[str, int], href: str) -> int:
    found = [n for key, n in counts.items() if key.split(" ", 1)[0] == href]
    assert len(found) == 1, (href, counts)
    return found[0]


def each_demo_role_sees_its_work_with_counts_that_agree_with_the_data(demo: dict[str, User]) -> None:
    horby = Owner.objects.get(name="Hörby")
    # Agent: its queues, counted as the ticket list counts them.
    agent = demo["agent"]
    counts = badges(start(agent))
    tickets = reverse("sd_ticket_list")
    mine = Ticket.objects.filter(assignee=agent, status__in=OPEN_STATUSES)
    assert by_link(counts, f"{tickets}?queue=mine") == mine.count()
    assert (
        by_link(counts, f"{tickets}?queue=waiting&assignee={agent.pk}")
        == mine.filter(status__in=WAITING_STATUSES).count()
    )
    groups = [k for k in counts if k.startswith(f"{tickets}?queue=unassigned&group=")]
    assert groups, "the demo agent is in support groups"
    for key in groups:
        group_id = int(key.split(" ", 1)[0].rsplit("=", 1)[1])
        expected = Ticket.objects.filter(group_id=group_id, assignee__isnull=True, status__in=OPEN_STATUSES).count()
        assert counts[key] == expected, key
    # Technician: purchase orders to receive, devices to prepare and to pack, orders to hand over.
    counts = badges(start(demo["tekniker"]))
    for status in ("sent", "confirmed", "partial"):
        expected = PurchaseOrder.objects.filter(status=status).count()
        assert by_link(counts, f"{reverse('purchaseorder_list')}?status={status}") == expected
    for status in ("in_stock", "returned", "awaiting_erasure"):
        expected = min(Asset.objects.filter(status=status).count(), 1001)
        assert by_link(counts, f"{reverse('asset_list')}?status={status}") == expected
    assert (
        by_link(counts, f"{reverse('order_list')}?status=delivered") == Order.objects.filter(status="delivered").count()
    )
    # Approver of Hörby: the orders waiting for the decision, none of another owner's.
    approver = demo["horby.attest"]
    html = start(approver)
    waiting = Order.objects.filter(owner=horby, status="submitted").exclude(orderer=approver)
    shown = re.search(rf'href="{reverse("order_approval_queue")}">(\d+) ', html)
    assert shown and int(shown.group(1)) == waiting.count()
    for order in Order.objects.filter(status="submitted").exclude(owner=horby):
        assert order.number not in html
    # Orderer of Hörby: the own orders still moving, by status.
    orderer = demo["horby.bestallare"]
    counts = badges(start(orderer))
    for status in ("submitted", "approved", "ordered", "delivered"):
        expected = Order.objects.filter(orderer=orderer, status=status).count()
        assert by_link(counts, f"{reverse('order_list')}?mine=true&status={status}") == expected
    # Finance: documents that fail their check.
    counts = badges(start(demo["ekonomi"]))
    assert by_link(counts, reverse("invoice_list")) == Invoice.objects.exclude(problems=[]).count()
    # Records officer: open access requests and proposed disposal batches.
    counts = badges(start(demo["registrator"]))
    assert (
        by_link(counts, f"{reverse('accessrequest_list')}?status=open")
        == AccessRequest.objects.filter(status="open").count()
    )
    assert (
        by_link(counts, f"{reverse('disposalbatch_list')}?status=proposed")
        == DisposalBatch.objects.filter(status="proposed").count()
    )
    # Administrator: operations; owner viewer: the insight card; end user: the portal.
    assert "Uppgifter som väntar i kön" in start(demo["admin"])
    assert "Öppna ägarinsyn" in start(demo["horby.insyn"])
    client = Client()
    client.force_login(demo["horby.anvandare"])
    assert client.get(reverse("home"))["Location"] == reverse("sd_portal")


def horby_viewer_sees_24_months_beside_the_group_and_nothing_of_the_others(demo: dict[str, User]) -> None:
    horby = Owner.objects.get(name="Hörby")
    months = months_back(last_full_month(), 24)
    rows = {r.month: r for r in OwnerMonth.objects.filter(owner=horby, month__in=months)}
    # 24 months of history: costs (billing closes a month after it ends), service and delivery.
    invoiced = [m for m in months if m in rows and rows[m].cost]
    assert len(invoiced) >= 22, f"{len(invoiced)} months with costs"
    assert sum(1 for m in months if m in rows and rows[m].tickets_resolved) >= 23
    assert sum(1 for m in months if m in rows and rows[m].lines_handed_over) >= 20
    client = Client()
    client.force_login(demo["horby.insyn"])
    html = client.get(reverse("insight_owner", args=[horby.pk])).content.decode()
    assert "Hörby" in html and "Gruppens genomsnitt" in html
    for name in ("Höör", "Östra Göinge"):
        assert name not in html
    for other in Owner.objects.exclude(pk=horby.pk):
        assert client.get(reverse("insight_owner", args=[other.pk])).status_code == 404
    # The chart's table lists the 24 months.
    for month in (months[0], months[-1]):
        assert f"{month:%Y-%m}" in html or month.strftime("%b %Y").lower() in html.lower()


def monthly_owner_report_arrives_in_the_outbox_and_is_kept(demo: dict[str, User]) -> None:
    horby = Owner.objects.get(name="Hörby")
    day = first_working_day(add_months(timezone.localdate().replace(day=1), 1))
    result = send_due_reports(day)
    assert result["made"] == Owner.objects.filter(active=True).count()
    month = add_months(day, -1)
    report = OwnerReport.objects.get(owner=horby, month=month)
    message = OutgoingMessage.objects.get(object_type="insight.ownerreport", object_id=str(report.pk))
    assert message.to == [demo["horby.insyn"].email] and demo["goinge.insyn"].email not in message.to
    assert message.subject == f"Månadsrapport {month:%Y-%m}: Hörby"
    assert message.attachments.get().content[:5] == b"%PDF-"
    hits = SOURCES["insight.ownerreport"].search("Hörby", None, None)
    assert str(report.pk) in {h.object_id for h in hits}


def test_done_when_on_the_demo_data(demo: dict[str, User]) -> None:
    """One test, so the demo (a minute or more on a busy machine) loads once."""
    each_demo_role_sees_its_work_with_counts_that_agree_with_the_data(demo)
    horby_viewer_sees_24_months_beside_the_group_and_nothing_of_the_others(demo)
    monthly_owner_report_arrives_in_the_outbox_and_is_kept(demo)
