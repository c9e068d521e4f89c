"""The start page's sections, one per role: what each person should do now, as counts that link
to the filtered lists. Each section reads its app's published functions with a fixed number of
queries, so the page costs the same at three owners and at 290."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.assets import services as assets_services
from samdrift.billing import services as billing_services
from samdrift.core import operations
from samdrift.core.access import Scope
from samdrift.core.outbox import outbox_summary
from samdrift.core.roles import Role
from samdrift.insight.figures import group_by_month, last_full_month
from samdrift.insight.models import OwnerMonth
from samdrift.insight.refresh import add_months
from samdrift.ordering import services as ordering_services
from samdrift.records import services as records_services
from samdrift.servicedesk import services as servicedesk_services
from samdrift.tenancy import services as tenancy_services


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    template: str
    applies: Callable[[Scope], bool]
    context: Callable[[Any, Scope], dict[str, Any]]


def _agent(user: Any, scope: Scope) -> dict[str, Any]:
    work = servicedesk_services.get_agent_work(user)
    tickets = reverse("sd_ticket_list")
    work["links"] = {
        "mine": f"{tickets}?queue=mine",
        "breaching": f"{tickets}?queue=breaching&assignee={user.pk}",
        "waiting": f"{tickets}?queue=waiting&assignee={user.pk}",
        "unassigned": f"{tickets}?queue=unassigned&group=",
    }
    return work


def _technician(user: Any, scope: Scope) -> dict[str, Any]:
    orders = ordering_services.get_technician_work(user)
    devices = assets_services.get_technician_devices(user)
    po_list, order_list, asset_list = reverse("purchaseorder_list"), reverse("order_list"), reverse("asset_list")
    return {
        "rows": [
            (_("Purchase orders sent, awaiting confirmation"), orders["sent"], f"{po_list}?status=sent"),
            (_("Purchase orders confirmed, to receive"), orders["confirmed"], f"{po_list}?status=confirmed"),
            (_("Purchase orders partly delivered"), orders["partial"], f"{po_list}?status=partial"),
            (_("Devices in stock to prepare"), devices["in_stock"], f"{asset_list}?status=in_stock"),
            (_("Orders delivered, to hand over"), orders["to_hand_over"], f"{order_list}?status=delivered"),
            (_("Returned devices to pack for take-back"), devices["returned"], f"{asset_list}?status=returned"),
            (_("Devices awaiting erasure"), devices["awaiting_erasure"], f"{asset_list}?status=awaiting_erasure"),
        ]
    }


def _approver(user: Any, scope: Scope) -> dict[str, Any]:
    return {**ordering_services.get_approver_work(user), "link": reverse("order_approval_queue")}


def _orderer(user: Any, scope: Scope) -> dict[str, Any]:
    work = ordering_services.get_orderer_work(user)
    base = reverse("order_list")
    work["links"] = {status: f"{base}?mine=true&status={status}" for status, _label, _n in work["by_status"]}
    work["shop"] = reverse("order_shop")
    return work


def _finance(user: Any, scope: Scope) -> dict[str, Any]:
    return billing_services.get_finance_work(user)


def _records(user: Any, scope: Scope) -> dict[str, Any]:
    return records_services.get_records_officer_work(user)


def _admin(user: Any, scope: Scope) -> dict[str, Any]:
    snap = operations.snapshot()
    if snap["database"]["ok"]:
        snap["outbox"] = outbox_summary(snap["now"])
    return snap


def _owner_viewer(user: Any, scope: Scope) -> dict[str, Any]:
    """Each owner the user views: last full month's cost per employee beside the group, SLA."""
    owners = tenancy_services.get_owners_for_user(user, {Role.OWNER_VIEWER}, operator_roles=())
    month = last_full_month(timezone.localdate())
    months = [add_months(month, -i) for i in range(3)]
    rows = {
        (r.owner_id, r.month): r for r in OwnerMonth.objects.for_user(user).filter(owner__in=owners, month__in=months)
    }
    group = group_by_month(months)
    cards = []
    for owner in owners[:20]:
        # The newest month with invoices (billing closes after the month ends).
        row = next((rows[(owner.pk, m)] for m in months if (owner.pk, m) in rows and rows[(owner.pk, m)].cost), None)
        row = row or rows.get((owner.pk, month))
        cards.append(
            {
                "owner": owner,
                "row": row,
                "group": group.get(row.month) if row else None,
                "url": reverse("insight_owner", args=[owner.pk]),
            }
        )
    return {"cards": cards}


SECTIONS: list[Section] = [
    Section(
        "agent", _("Service desk"), "insight/start/_agent.html", lambda s: s.has_operator_role({Role.AGENT}), _agent
    ),
    Section(
        "technician",
        _("Deliveries and devices"),
        "insight/start/_technician.html",
        lambda s: s.has_operator_role({Role.TECHNICIAN}),
        _technician,
    ),
    Section(
        "approver",
        _("Orders waiting for my decision"),
        "insight/start/_approver.html",
        lambda s: bool(s.owner_ids({Role.APPROVER})),
        _approver,
    ),
    Section(
        "orderer", _("My orders"), "insight/start/_orderer.html", lambda s: bool(s.owner_ids({Role.ORDERER})), _orderer
    ),
    Section(
        "finance",
        _("Billing"),
        "insight/start/_finance.html",
        lambda s: s.has_operator_role({Role.FINANCE}),
        _finance,
    ),
    Section(
        "records",
        _("Records"),
        "insight/start/_records.html",
        lambda s: s.has_operator_role({Role.RECORDS_OFFICER}),
        _records,
    ),
    Section(
        "admin",
        _("Operations"),
        "insight/start/_admin.html",
        lambda s: s.has_operator_role({Role.ADMIN}),
        _admin,
    ),
    Section(
        "owner",
        _("Owner insight"),
        "insight/start/_owner.html",
        lambda s: bool(s.owner_ids({Role.OWNER_VIEWER})),
        _owner_viewer,
    ),
]


def sections_for(user: Any, scope: Scope) -> list[dict[str, Any]]:
    """The sections of the user's roles, in a fixed order, each with its data."""
    if scope.is_system:
        return []
    return [
        {"key": s.key, "title": s.title, "template": s.template, "data": s.context(user, scope)}
        for s in SECTIONS
        if s.applies(scope)
    ]
