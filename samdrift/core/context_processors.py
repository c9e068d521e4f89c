"""Role-aware navigation: each entry is shown only to the roles that can use it."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import scope_for
from samdrift.core.roles import OPERATOR_ROLES, Role

STAFF_AND_OWNER_ROLES = OPERATOR_ROLES | {Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER}

NAV: list[tuple[str, Any, frozenset[str]]] = [
    ("owner_list", _("Owners"), frozenset(STAFF_AND_OWNER_ROLES)),
    ("orgunit_list", _("Org units"), frozenset(STAFF_AND_OWNER_ROLES)),
    ("costcentre_list", _("Cost centres"), frozenset(STAFF_AND_OWNER_ROLES)),
    ("person_list", _("People"), frozenset(STAFF_AND_OWNER_ROLES)),
    ("user_list", _("Users"), frozenset({Role.ADMIN})),
    ("import_list", _("Imports"), frozenset({Role.ADMIN})),
    ("audit_search", _("Audit trail"), frozenset({Role.ADMIN, Role.RECORDS_OFFICER})),
    ("operations", _("Operations"), frozenset({Role.ADMIN})),
    ("operator_detail", _("Operator"), frozenset(OPERATOR_ROLES)),
    ("outbox_list", _("Outgoing e-mail"), frozenset({Role.ADMIN})),
    ("invoice_list", _("Invoices"), frozenset({Role.FINANCE, Role.ADMIN, Role.OWNER_VIEWER})),
    ("billingperiod_list", _("Billing"), frozenset({Role.FINANCE, Role.ADMIN})),
    ("billing_trend", _("Costs over time"), frozenset({Role.FINANCE, Role.ADMIN, Role.OWNER_VIEWER})),
    ("asset_list", _("Assets"), frozenset(STAFF_AND_OWNER_ROLES)),
    ("my_devices", _("My devices"), frozenset({Role.END_USER})),
    ("sd_ticket_list", _("Tickets"), frozenset(STAFF_AND_OWNER_ROLES)),
    ("sd_portal", _("My tickets"), frozenset({Role.END_USER, Role.OWNER_VIEWER, Role.ORDERER, Role.APPROVER})),
    ("sd_category_list", _("Ticket categories"), frozenset({Role.ADMIN, Role.AGENT})),
    ("sd_slapolicy_list", _("SLA policies"), frozenset({Role.ADMIN, Role.AGENT})),
    ("sd_article_list", _("Knowledge base"), frozenset(STAFF_AND_OWNER_ROLES | {Role.END_USER})),
    ("sd_report", _("Service desk report"), frozenset(STAFF_AND_OWNER_ROLES)),
]


def add_nav(url_name: str, label: Any, roles: frozenset[str] | set[str]) -> None:
    """Add a menu entry from an app's AppConfig.ready(); entries keep registration order."""
    if not any(entry[0] == url_name for entry in NAV):
        NAV.append((url_name, label, frozenset(roles)))


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    held = scope_for(user).all_roles
    current = request.path
    items = []
    for url_name, label, roles in NAV:
        if held & roles:
            url = reverse(url_name)
            items.append({"url": url, "label": label, "active": current.startswith(url)})
    return {"nav": items, "roles": sorted(held)}
