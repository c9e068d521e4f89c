"""Owner insight: figures from the summary tables, refreshed from the other apps' data; an owner
viewer of Hörby sees Hörby beside the group and nothing of Höör or Östra Göinge; exports, API,
the drill-down and the monthly report; constant query counts."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samdrift.billing.models import Invoice, InvoiceKind, InvoiceLine
from samdrift.core.models import AuditEvent, OutgoingMessage
from samdrift.core.roles import Role
from samdrift.insight import actions
from samdrift.insight.charts import bar_chart, line_chart
from samdrift.insight.figures import last_full_month
from samdrift.insight.models import Dimension, OwnerMonth, OwnerMonthBreakdown, OwnerReport
from samdrift.insight.refresh import add_months, months_back, percentile, refresh_owner_months
from samdrift.insight.reports import first_working_day, send_due_reports
from samdrift.tenancy import actions as tenancy_actions
from samdrift.tenancy.demo import fictitious_orgnr

pytestmark = pytest.mark.django_db


def body(response: Any) -> str:
    content = response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            return " ".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return content.decode("utf-8", "replace")


# --- the three demo municipalities: Hörby sees nothing of Höör or Östra Göinge -----------------


@pytest.fixture
def skane(world: Any) -> dict[str, Any]:
    """Hörby, Höör and Östra Göinge with 24 months of figures each (distinct, recognisable
    amounts), a Hörby owner viewer, and the other owners' figures in the group average."""
    owners = {}
    for i, (name, code, cost) in enumerate(
        [("Hörby", "1266", "101111.11"), ("Höör", "1267", "202222.22"), ("Östra Göinge", "1256", "303333.33")]
    ):
        owner = tenancy_actions.do_create_owner(
            {"name": name, "municipality_code": code, "org_number": fictitious_orgnr(700 + i)}, actor=world.admin
        )
        owners[name] = owner
        for month in months_back(last_full_month(), 24):
            OwnerMonth.objects.create(
                owner=owner, month=month, employees=1000 + i, pupils=900, cost=Decimal(cost), tickets_opened=40 + i,
                tickets_resolved=40, resolution_met=36 - i,
            )  # fmt: skip
            OwnerMonthBreakdown.objects.create(
                owner=owner, month=month, dimension=Dimension.COST_CENTRE, key=str(900 + i),
                label=f"Kostnadsställe {name}", amount=Decimal(cost), count=3,
            )  # fmt: skip
    viewer = tenancy_actions.do_create_user(
        {"username": "horby.insyn.test", "email": "insyn@horby.example"}, actor=None
    )
    tenancy_actions.do_grant_role(viewer, Role.OWNER_VIEWER, owners["Hörby"], actor=world.admin)
    return {"owners": owners, "viewer": viewer}


FOREIGN = [
    "Höör",
    "Östra Göinge",
    "202 222,22",
    "303 333,33",
    "202222.22",
    "303333.33",
    "Kostnadsställe H\u00f6\u00f6r",
]


def test_horby_viewer_sees_horby_beside_the_group_and_nothing_of_the_others(skane: Any, web: Any) -> None:
    client = web(skane["viewer"])
    horby, hoor, goinge = (skane["owners"][n] for n in ("Hörby", "Höör", "Östra Göinge"))
    html = client.get(reverse("insight_owner", args=[horby.pk])).content.decode()
    assert "Insyn: Hörby" in html
    assert "101&nbsp;111,11" in html or "101\u00a0111,11" in html  # Hörby's own cost
    assert "Gruppens genomsnitt" in html  # beside the group
    # Every insight route and format, the start page and the API: nothing of Höör or Östra Göinge.
    urls = [
        reverse("home"),
        reverse("insight_index"),
        reverse("insight_owner", args=[horby.pk]),
        reverse("insight_export", args=[horby.pk]) + "?export=csv",
        reverse("insight_export", args=[horby.pk]) + "?export=xlsx",
        reverse("insight_lines", args=[horby.pk]) + f"?month={last_full_month():%Y-%m}",
        "/api/v1/insight/months/",
        "/api/v1/insight/breakdowns/",
        "/api/v1/insight/lead-times/",
        f"/api/v1/insight/months/?owner={hoor.pk}",
    ]
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        text = body(response)
        for foreign in FOREIGN:
            assert foreign not in text, f"{url} shows {foreign}"
    for other in (hoor, goinge):
        for name in ("insight_owner", "insight_lines", "insight_export"):
            assert client.get(reverse(name, args=[other.pk])).status_code == 404
    api = client.get("/api/v1/insight/months/").json()
    assert {row["owner"] for row in api["results"]} == {horby.pk}


def test_other_owners_are_named_only_when_the_operator_allows_it(skane: Any, web: Any, world: Any) -> None:
    client = web(skane["viewer"])
    url = reverse("insight_owner", args=[skane["owners"]["Hörby"].pk])
    assert "Höör" not in client.get(url).content.decode()
    events = AuditEvent.objects.count()
    actions.do_update_insight_settings({"name_other_owners": True}, actor=world.admin)
    assert AuditEvent.objects.count() == events + 1
    html = client.get(url).content.decode()
    assert "Ägarna sida vid sida" in html and "Höör" in html and "Östra Göinge" in html
    with pytest.raises(PermissionDenied):
        actions.do_update_insight_settings({"name_other_owners": False}, actor=skane["viewer"])


def test_settings_page_is_for_administrators(world: Any, web: Any) -> None:
    assert web(world.a.viewer).get(reverse("insight_settings")).status_code == 403
    assert web(world.finance).get(reverse("insight_settings")).status_code == 403
    response = web(world.admin).post(reverse("insight_settings"), {"name_other_owners": "on"})
    assert response.status_code == 302


def test_insight_page_queries_do_not_grow_with_owners_or_months(skane: Any, web: Any, world: Any) -> None:
    client = web(world.finance)
    url = reverse("insight_owner", args=[skane["owners"]["Hörby"].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(8):
        owner = tenancy_actions.do_create_owner(
            {"name": f"Extra {i}", "municipality_code": f"88{i:02d}", "org_number": fictitious_orgnr(800 + i)},
            actor=world.admin,
        )
        for month in months_back(last_full_month(), 24):
            OwnerMonth.objects.create(owner=owner, month=month, employees=10, cost=Decimal(100))
    actions.do_update_insight_settings({"name_other_owners": True}, actor=world.admin)
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    # One more query with names on (the owners side by side), however many owners there are.
    assert len(many) <= len(few) + 1, f"{len(few)} then {len(many)}"


# --- refresh: the summary tables follow the sources ---------------------------------------------


def issued_lines(world: Any, month: date) -> dict[str, Any]:
    """For owners A and B in `month`: an issued invoice, an issued credit note and a draft (not
    issued), each with lines on two articles. Rows written directly: billing's own tests cover
    how a run makes them; here only what insight reads of them matters."""
    from samdrift.billing.models import Article, BillingPeriod

    period, _ = BillingPeriod.objects.get_or_create(year=month.year, month=month.month)
    articles = [Article.objects.create(code=f"INS-{i}", name=f"Tjänst {i}", revenue_account="3010") for i in (1, 2)]
    made: dict[str, Any] = {}
    for ow in (world.a, world.b):
        for kind, issued, amount in (
            (InvoiceKind.INVOICE, True, Decimal("1000.00")),
            (InvoiceKind.CREDIT_NOTE, True, Decimal("150.00")),
            (InvoiceKind.INVOICE, False, Decimal("7777.00")),
        ):
            invoice = Invoice.objects.create(
                owner=ow.owner, period=period, kind=kind, number=f"T{ow.marker}{kind}{issued}",
                buyer_reference="REF", issue_date=month, due_date=month,
                issued_at=timezone.now() if issued else None,
            )  # fmt: skip
            for article in articles:
                made.setdefault(ow.marker, []).append(
                    InvoiceLine.objects.create(
                        period=period,
                        invoice=invoice,
                        owner=ow.owner,
                        cost_centre=ow.cost_centre,
                        buyer_reference="REF",
                        description=f"{article.name} {ow.marker} {kind} {'issued' if issued else 'draft'}",
                        quantity=1,
                        unit_price=amount,
                        amount=amount,
                        revenue_account="3010",
                        source_type="test",
                        article=article,
                    )
                )
    return made


def test_refresh_sums_issued_invoice_lines_and_subtracts_credit_notes(world: Any) -> None:
    month = add_months(last_full_month(), -2)
    issued_lines(world, month)
    refresh_owner_months([month], today=date.today())
    row = OwnerMonth.objects.get(owner=world.a.owner, month=month)
    assert row.cost == 2 * (Decimal("1000.00") - Decimal("150.00"))  # the draft does not count
    assert row.invoice_lines == 4
    services = OwnerMonthBreakdown.objects.filter(owner=world.a.owner, month=month, dimension=Dimension.SERVICE)
    assert sorted(b.amount for b in services) == [Decimal("850.00")] * 2
    centres = OwnerMonthBreakdown.objects.filter(owner=world.a.owner, month=month, dimension=Dimension.COST_CENTRE)
    assert [(b.key, b.amount) for b in centres] == [(str(world.a.cost_centre.pk), Decimal("1700.00"))]
    assert OwnerMonth.objects.get(owner=world.b.owner, month=month).cost == Decimal("1700.00")


def signed(line: Any) -> Decimal:
    return -line.amount if line.invoice.kind == InvoiceKind.CREDIT_NOTE else line.amount


def test_refresh_counts_tickets_and_lead_times(world: Any) -> None:
    month = date.today().replace(day=1)
    refresh_owner_months([month], today=date.today())
    row = OwnerMonth.objects.get(owner=world.a.owner, month=month)
    from samdrift.servicedesk.models import Ticket

    start = timezone.make_aware(datetime.combine(month, datetime.min.time()))
    assert (
        row.tickets_opened
        == Ticket.objects.filter(owner=world.a.owner, created__gte=start, merged_into__isnull=True).count()
    )
    assert row.tickets_opened > 0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0


def test_history_months_keep_their_headcount(world: Any) -> None:
    old = add_months(date.today().replace(day=1), -3)
    OwnerMonth.objects.update_or_create(owner=world.a.owner, month=old, defaults={"employees": 4242})
    refresh_owner_months([old], today=date.today())
    assert OwnerMonth.objects.get(owner=world.a.owner, month=old).employees == 4242


# --- drill-down, exports, API ---------------------------------------------------------------------


def test_drill_down_lists_the_invoice_lines_behind_a_month(world: Any, web: Any) -> None:
    month = add_months(last_full_month(), -1)
    made = issued_lines(world, month)
    line = made[world.a.marker][0]
    draft = made[world.a.marker][-1]
    url = reverse("insight_lines", args=[world.a.owner.pk]) + f"?month={line.period.year}-{line.period.month:02d}"
    html = web(world.a.viewer).get(url).content.decode()
    assert line.description in html and reverse("invoiceline_detail", args=[line.pk]) in html
    assert draft.invoice.issued_at is None and draft.description not in html
    assert world.b.marker not in html
    assert web(world.a.viewer).get(url.replace("month=", "month=x")).status_code == 404


def test_exports_are_the_page_figures_and_formula_safe(world: Any, web: Any) -> None:
    refresh_owner_months(months_back(last_full_month(), 24), today=date.today())
    client = web(world.a.viewer)
    csv_text = client.get(reverse("insight_export", args=[world.a.owner.pk]) + "?export=csv").content.decode(
        "utf-8-sig"
    )
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("month;owner;employees")
    assert len(lines) == 1 + 24
    xlsx = client.get(reverse("insight_export", args=[world.a.owner.pk]) + "?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(event_type="exported", object_type="insight.ownermonth").exists()


def test_api_lists_only_what_the_user_may_see(world: Any, api: Any) -> None:
    refresh_owner_months([last_full_month()], today=date.today())
    owners = {r["owner"] for r in api(world.a.viewer).get("/api/v1/insight/months/").json()["results"]}
    assert owners == {world.a.owner.pk}
    assert api(world.a.orderer).get("/api/v1/insight/months/").json()["results"] == []
    assert {world.a.owner.pk, world.b.owner.pk} <= {
        r["owner"] for r in api(world.finance).get("/api/v1/insight/months/?page_size=500").json()["results"]
    }


# --- charts -------------------------------------------------------------------------------------


def test_charts_are_svg_readable_without_colour() -> None:
    months = [date(2026, m, 1) for m in range(1, 7)]
    svg = line_chart("Kostnad", months, [("Hörby", [1, 2, None, 4, 5, 6]), ("Snitt", [2, 2, 2, 2, 2, 2])])
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title>Kostnad</title>" in svg
    assert 'stroke-dasharray="6 4"' in svg  # the second series differs by line style
    assert "<rect" in svg and "<circle" in svg  # and by marker
    assert "Hörby" in svg and "Snitt" in svg  # the legend names them
    bars = bar_chart("Tjänster", [("<script>", Decimal("12.5"))])
    assert "<script>" not in bars and "&lt;script&gt;" in bars


# --- the monthly owner report -------------------------------------------------------------------


def test_monthly_report_is_made_on_the_first_working_day_mailed_and_kept(world: Any, web: Any) -> None:
    day = first_working_day(date(2027, 1, 1))
    assert day == date(2027, 1, 4)  # nyårsdagen, then a weekend
    assert send_due_reports(date(2027, 1, 1))["made"] == 0  # a holiday, before the first working day
    mail.outbox.clear()
    messages = OutgoingMessage.objects.count()
    result = send_due_reports(day)
    assert result["made"] >= 2
    report = OwnerReport.objects.get(owner=world.a.owner, month=date(2026, 12, 1))
    assert bytes(report.pdf)[:5] == b"%PDF-"
    assert world.a.viewer.email in report.recipients
    message = OutgoingMessage.objects.filter(object_type="insight.ownerreport", object_id=str(report.pk)).get()
    assert message.subject.startswith("Månadsrapport 2026-12")
    assert world.a.viewer.email in message.to and world.b.viewer.email not in message.to
    assert message.attachments.get().content[:5] == b"%PDF-"
    assert OutgoingMessage.objects.count() - messages == result["made"]
    # Once per owner and month, however often the scheduler asks.
    assert send_due_reports(day + timedelta(days=1))["made"] == 0
    # Kept: the owner's viewer opens it; another owner's viewer cannot.
    assert web(world.a.viewer).get(reverse("insight_report", args=[report.pk]))["Content-Type"] == "application/pdf"
    assert web(world.b.viewer).get(reverse("insight_report", args=[report.pk])).status_code == 404
