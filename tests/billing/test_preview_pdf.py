"""A preview invoice's PDF is laid out once and kept with the hash of its HTML: the same invoice
serves the kept bytes, anything that changes what the PDF shows lays it out again, issuing
replaces it with the issued document, and the worker lays out a period's previews after its run,
a few per task."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from samdrift.billing import actions, documents, pdf, tasks
from samdrift.billing.models import Invoice, InvoicePreview, RunStatus
from samdrift.tenancy import actions as tenancy
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)


@pytest.fixture
def layouts(monkeypatch: Any) -> list[str]:
    """Every PDF laid out from invoice HTML, in order (the real layout still runs)."""
    seen: list[str] = []
    real = pdf.pdf_from_html

    def counting(html: str) -> bytes:
        seen.append(html)
        return real(html)

    monkeypatch.setattr(pdf, "pdf_from_html", counting)
    return seen


def test_a_preview_is_laid_out_once_and_again_only_when_it_changes(
    billing: Billing,  # noqa: F811
    layouts: list[str],
    web: Any,
) -> None:
    w = billing.world
    actions.do_run_billing(billing.period, actor=w.finance)
    invoice = Invoice.objects.select_related("owner", "period").get(period=billing.period, owner=w.a.owner)

    first = documents.pdf_bytes(invoice)
    assert first.startswith(b"%PDF-") and len(layouts) == 1
    # Asked again, in the finance page's download too: the kept bytes, no new layout.
    assert documents.pdf_bytes(invoice) == first
    response = web(w.finance).get(reverse("invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response.content == first
    assert len(layouts) == 1 and InvoicePreview.objects.filter(invoice=invoice).count() == 1

    # The owner's invoice address changes: the PDF shows it, so it is laid out again.
    tenancy.do_update_owner(w.a.owner, {"invoice_street": "Nygatan 7"}, actor=w.admin)
    invoice = Invoice.objects.select_related("owner", "period").get(pk=invoice.pk)
    second = documents.pdf_bytes(invoice)
    assert len(layouts) == 2 and second != first
    assert "Nygatan 7" in layouts[1] and "Nygatan 7" not in layouts[0]
    assert InvoicePreview.objects.filter(invoice=invoice).count() == 1  # replaced, not added

    # A rerun replaces the invoice and its lines; its preview goes with it.
    actions.do_run_billing(billing.period, actor=w.finance)
    assert not InvoicePreview.objects.filter(invoice_id=invoice.pk).exists()

    # Issuing stores the real document; the preview is gone and never served again.
    invoice = Invoice.objects.select_related("owner", "period").get(period=billing.period, owner=w.a.owner)
    documents.pdf_bytes(invoice)
    assert InvoicePreview.objects.filter(invoice=invoice).exists()
    actions.do_close_period(billing.period, actor=w.finance)
    issued = Invoice.objects.select_related("owner", "period").get(pk=invoice.pk)
    assert not InvoicePreview.objects.filter(invoice=issued).exists()
    assert documents.pdf_bytes(issued) == bytes(issued.document.pdf) != second


def test_the_run_queues_the_previews_and_the_worker_lays_them_out_a_few_at_a_time(
    billing: Billing,  # noqa: F811
    layouts: list[str],
    monkeypatch: Any,
) -> None:
    w = billing.world
    run = actions.do_run_billing(billing.period, actor=w.finance, background=True)
    DBTaskResult.objects.all().delete()
    assert tasks.run_billing.call(run.pk)["status"] == RunStatus.DONE

    queued = DBTaskResult.objects.get(task_path="samdrift.billing.tasks.render_previews")
    assert queued.args_kwargs["args"] == [billing.period.pk] and queued.priority == tasks.PREVIEW_PRIORITY
    numbers = list(
        Invoice.objects.filter(period=billing.period, issued_at__isnull=True)
        .order_by("number")
        .values_list("number", flat=True)
    )
    assert len(numbers) >= 2

    # One invoice per task: each task lays out one and queues the next after its number.
    monkeypatch.setattr(tasks, "PREVIEWS_PER_TASK", 1)
    after = ""
    for number in numbers:
        DBTaskResult.objects.all().delete()
        result = tasks.render_previews.call(billing.period.pk, after)
        assert result["laid_out"] == 1
        follow = DBTaskResult.objects.filter(task_path="samdrift.billing.tasks.render_previews").first()
        if number == numbers[-1]:
            assert follow is None and not result["more"]
        else:
            assert follow is not None and follow.args_kwargs["args"] == [billing.period.pk, number]
        after = number
    assert len(layouts) == len(numbers)
    assert InvoicePreview.objects.filter(invoice__number__in=numbers).count() == len(numbers)

    # Run again over unchanged previews: nothing is laid out twice.
    assert tasks.render_previews.call(billing.period.pk)["laid_out"] == 0
    assert len(layouts) == len(numbers)
