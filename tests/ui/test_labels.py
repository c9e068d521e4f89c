"""Stored codes are shown through their labels: a ticket's history names the status and the
assignee in words, the audit log names the kind of object, an asset's hand-outs say why in words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from samdrift.servicedesk import actions
from samdrift.servicedesk.models import Ticket
from tests.billing.test_engine import billing  # noqa: F401  (fixture)


@pytest.mark.django_db
def test_history_shows_labels_and_names_not_codes(world: Any, web: Any) -> None:
    ticket = Ticket.objects.filter(owner=world.b.owner).order_by("pk").first()
    world.agent.first_name, world.agent.last_name = "Sven", "Lind"
    world.agent.save(update_fields=["first_name", "last_name"])
    actions.do_assign_ticket(ticket, group=None, assignee=world.agent, actor=world.admin)
    html = web(world.admin).get(reverse("sd_ticket_history", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="sv")
    text = re.sub(r"<[^>]+>", " ", html.content.decode())
    assert "Sven Lind" in text or "agent_op" in text
    assert f"→ {world.agent.pk} " not in text.replace("\u00a0", " ")
    assert " assigned " not in text and " new " not in text


@pytest.mark.django_db
def test_the_audit_log_names_the_kind_of_object(world: Any, web: Any) -> None:
    html = web(world.admin).get(reverse("audit_search"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "tenancy.user" not in html and "servicedesk.ticket" not in html


@pytest.mark.django_db
def test_the_audit_log_shows_changes_in_words(world: Any, web: Any) -> None:
    """Field names, choices and related rows of every event's changes in words, with one query per
    related model for the page (not one per event)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = Ticket.objects.filter(owner=world.a.owner).order_by("pk").first()
    world.agent.first_name, world.agent.last_name = "Sven", "Lind"
    world.agent.save(update_fields=["first_name", "last_name"])
    actions.do_assign_ticket(ticket, group=None, assignee=world.agent, actor=world.admin)
    client = web(world.admin)
    client.get(reverse("audit_search"))
    with CaptureQueriesContext(connection) as first:
        html = client.get(reverse("audit_search"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    text = re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ")
    assert "Sven Lind" in text
    assert "assignee" not in text and "Handläggare" in text
    assert f"→ {world.agent.pk} " not in text and " True " not in text
    for other in Ticket.objects.filter(owner=world.a.owner).exclude(pk=ticket.pk)[:3]:
        actions.do_assign_ticket(other, group=None, assignee=world.admin, actor=world.admin)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("audit_search"))
    assert len(more.captured_queries) <= len(first.captured_queries)  # one query per related model, not per row


def test_invoice_units_and_line_sources_in_words(billing: Any, web: Any) -> None:  # noqa: F811
    """An invoice's units are named ("mån.", "st"), not their Rec. 20 codes ("MON", "C62"); a
    line's source is named with its pool, not "pool #3"."""
    from samdrift.billing import actions as billing_actions
    from samdrift.billing.models import Invoice

    w = billing.world
    billing_actions.do_run_billing(billing.period, actor=w.finance)
    invoice = Invoice.objects.get(period=billing.period, owner=w.a.owner)
    client = web(w.finance)
    html = client.get(reverse("invoice_detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    codes = set(invoice.lines.values_list("unit_code", flat=True))
    assert codes and not any(f"<td>{code}</td>" in html for code in codes), codes
    line = invoice.lines.filter(source_type="pool").select_related("pool").first()
    page = client.get(reverse("invoiceline_detail", args=[line.pk]), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "pool #" not in page and f"#{line.source_id}" not in page and line.pool.name in page
