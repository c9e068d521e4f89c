"""The invoice page of a long invoice: its queries do not grow with its lines, and its numbers are
written as the template filters would write them in the reader's language (issue 19)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.billing import actions
from samdrift.billing.models import Invoice, InvoiceLine
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)


def _count(client: Any, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_invoice_page_queries_do_not_grow_with_lines(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    actions.do_run_billing(billing.period, actor=w.finance)
    invoice = Invoice.objects.get(period=billing.period, owner=w.a.owner)
    client = web(w.finance)
    url = reverse("invoice_detail", args=[invoice.pk])
    client.get(url)
    few, _ = _count(client, url)
    line = invoice.lines.order_by("id").first()
    assert line is not None
    copies = []
    for i in range(40):
        copy = InvoiceLine.objects.get(pk=line.pk)
        copy.pk = None
        copy.amount = Decimal("1234567.50") + i
        copy.quantity = Decimal("0.4167")
        copies.append(copy)
    InvoiceLine.objects.bulk_create(copies)
    many, page = _count(client, url)
    assert many == few
    # Swedish as floatformat wrote it: grouped with non-breaking spaces, comma as the decimal sign.
    assert "1\xa0234\xa0567,50" in page and "0,4167" in page
    assert reverse("invoiceline_detail", args=[copies[-1].pk]) in page


def test_invoice_page_numbers_are_written_as_floatformat_writes_them() -> None:
    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from samdrift.billing.views import _local_numbers

    values = ["0", "1234567.5", "-1234.005", "0.8500", "0.1235", "12.3456", "60.0000", "999.995", "-3"]
    for language in ("sv", "en"):
        with translation.override(language):
            money, quantity = _local_numbers()
            for value in map(Decimal, values):
                assert money(value) == floatformat(value, "2g"), (language, value)
                assert quantity(value) == floatformat(value, "-4"), (language, value)
