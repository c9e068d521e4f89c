"""The start page per role: each role's section with counts that agree with the lists they link
to, an end user sent to the portal, and a query count that does not grow with the data."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.core.formats import format_money
from samdrift.ordering import actions as ordering_actions
from samdrift.servicedesk import actions as sd_actions
from samdrift.servicedesk.models import OPEN_STATUSES, Ticket

pytestmark = pytest.mark.django_db


def page(web: Any, user: Any) -> str:
    response = web(user).get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def badge_after(html: str, href: str) -> int:
    """The count shown beside the link to `href`."""
    pattern = re.escape(f'href="{href}"') + r".*?rounded-pill\">(\d+)<"
    match = re.search(pattern.replace("&", "&amp;"), html, re.S) or re.search(pattern, html, re.S)
    assert match, f"no count beside {href}"
    return int(match.group(1))


def listed(web: Any, user: Any, url: str) -> int:
    """How many rows the linked list says it has (its API twin counts the same filter)."""
    api_url = url.replace("/servicedesk/tickets/", "/api/v1/tickets/") + "&page_size=500"
    response = web(user).get(api_url)
    assert response.status_code == 200, api_url
    return len(response.json()["results"])


def test_each_role_sees_its_own_section(world: Any, web: Any) -> None:
    expected = {
        world.agent: "Mina öppna ärenden",
        world.technician: "Enheter i lager att förbereda",
        world.finance: "Dokument som inte klarar kontrollen",
        world.records: "Gallringsomgångar som väntar på beslut",
        world.admin: "Uppgifter som väntar i kön",
        world.a.approver: "Beställningar som väntar på mitt beslut",
        world.a.orderer: "Ny beställning",
        world.a.viewer: "Öppna ägarinsyn",
    }
    for user, text in expected.items():
        html = page(web, user)
        assert text in html, f"{user.username}: {text!r} missing"
    # Sections are per role: the agent sees no approvals, the approver no queue.
    assert "Beställningar som väntar på mitt beslut" not in page(web, world.agent)
    assert "Mina öppna ärenden" not in page(web, world.a.approver)


def test_end_user_goes_to_the_portal(world: Any, web: Any) -> None:
    response = web(world.a.end_user).get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("sd_portal")


def test_approver_sees_the_orders_waiting_with_amount_and_orderer(world: Any, web: Any) -> None:
    waiting = world.a.extra["ordering"]["waiting"]
    html = page(web, world.a.approver)
    assert f'href="{reverse("order_approval_queue")}"' in html
    assert waiting.number in html
    assert world.a.orderer.get_full_name() or world.a.orderer.username in html
    assert (
        format_money(waiting.approval_amount).replace("\u00a0", "&nbsp;") in html
        or format_money(waiting.approval_amount) in html
    )
    # The count is the approval queue's own: after deciding, one fewer.
    before = len(re.findall(r"/ordering/orders/\d+/\"", html))
    ordering_actions.do_approve_order(waiting, actor=world.a.approver)
    after_html = page(web, world.a.approver)
    assert waiting.number not in after_html
    assert len(re.findall(r"/ordering/orders/\d+/\"", after_html)) == before - 1
    # Owner B's approver does not see owner A's order.
    assert waiting.number not in page(web, world.b.approver)


def test_agent_counts_match_the_ticket_lists_they_link_to(world: Any, web: Any) -> None:
    ticket = Ticket.objects.filter(owner=world.a.owner, status__in=OPEN_STATUSES).order_by("id").first()
    assert ticket is not None
    sd_actions.do_assign_ticket(ticket, group=None, assignee=world.agent, actor=world.agent)
    html = page(web, world.agent)
    for key in ("mine", "breaching", "waiting"):
        href = re.search(rf'href="(/servicedesk/tickets/\?queue={key}[^"]*)"', html)
        assert href, key
        url = href.group(1).replace("&amp;", "&")
        assert badge_after(html, href.group(1)) == listed(web, world.agent, url), key
    assert badge_after(html, re.search(r'href="(/servicedesk/tickets/\?queue=mine)"', html).group(1)) >= 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "who", ["admin", "agent", "technician", "finance", "records", "a.approver", "a.orderer", "a.viewer"]
)
def test_start_page_queries_do_not_grow_with_the_data(world: Any, web: Any, who: str) -> None:
    user: Any = world
    for part in who.split("."):
        user = getattr(user, part)
    client = web(user)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("home")).status_code == 200
    # More of everything each section counts: tickets, orders waiting, assets.
    for i in range(6):
        sd_actions.do_create_ticket(
            {"owner": world.a.owner, "requester": world.a.employee, "subject": f"Fler {i}"}, actor=world.agent
        )
        ordering_actions.do_create_order(
            {"cost_centre": world.a.cost_centre, "delivery_address": f"Väg {i}"},
            [ordering_actions.OrderItem(recipients=[world.a.employee], package=world.extra["ordering"]["package"])],
            actor=world.a.orderer,
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("home")).status_code == 200
    assert len(many) == len(few), f"{who}: {len(few)} then {len(many)} queries"
