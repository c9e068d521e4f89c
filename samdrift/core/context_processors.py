"""Role-aware navigation: each entry is shown only to the roles that can use it, grouped by
capability (Servicedesk, Tillgångar, Beställningar, Ekonomi, Diarium, Administration). A user who
holds only the end-user role gets the portal's own short menu instead."""

from typing import Any

from django.http import HttpRequest
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    ("identity_provider_list", _("Sign-in and directories"), frozenset({Role.ADMIN})),
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


# The capability groups of the menu, in the order shown.
GROUPS: dict[str, Any] = {
    "servicedesk": pgettext_lazy("navigation", "Service desk"),
    "assets": pgettext_lazy("navigation", "Assets"),
    "ordering": pgettext_lazy("navigation", "Ordering"),
    "finance": pgettext_lazy("navigation", "Finance"),
    "records": pgettext_lazy("navigation", "Records"),
    "administration": pgettext_lazy("navigation", "Administration"),
}
# An entry's group when its app does not name one: the app that serves the page.
APP_GROUPS = {
    "servicedesk": "servicedesk",
    "assets": "assets",
    "ordering": "ordering",
    "billing": "finance",
    "records": "records",
    "tenancy": "administration",
    "core": "administration",
}
NAV_GROUPS: dict[str, str] = {"audit_search": "records"}

# What an end user (and nobody else) sees: the portal as a site of its own.
PORTAL_NAV: list[tuple[str, Any]] = [
    ("sd_portal", _("My tickets")),
    ("my_devices", _("My devices")),
    ("my_order_lines", _("My orders")),
    ("sd_article_list", pgettext_lazy("navigation", "Help")),
]


def add_nav(url_name: str, label: Any, roles: frozenset[str] | set[str], group: str | None = None) -> None:
    """Add a menu entry from an app's AppConfig.ready(); entries keep registration order.

    `group` is one of GROUPS; without it the entry joins the group of the app serving the page."""
    if not any(entry[0] == url_name for entry in NAV):
        NAV.append((url_name, label, frozenset(roles)))
    if group is not None:
        NAV_GROUPS[url_name] = group


def group_of(url_name: str) -> str:
    if url_name in NAV_GROUPS:
        return NAV_GROUPS[url_name]
    module = getattr(resolve(reverse(url_name)).func, "__module__", "")
    app = module.split(".")[1] if module.startswith("samdrift.") else ""
    group = APP_GROUPS.get(app, "administration")
    NAV_GROUPS[url_name] = group
    return group


def is_portal_user(held: frozenset[str]) -> bool:
    return held == frozenset({Role.END_USER})


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "nav_groups": []}
    held = scope_for(user).all_roles
    current = request.path
    items = []
    for url_name, label, roles in NAV:
        if held & roles:
            url = reverse(url_name)
            items.append({"url": url, "label": label, "active": current.startswith(url), "group": group_of(url_name)})
    if is_portal_user(held):
        names = {entry[0] for entry in NAV if held & entry[2]}
        portal = []
        for url_name, label in PORTAL_NAV:
            if url_name in names:
                url = reverse(url_name)
                portal.append({"url": url, "label": label, "active": current.startswith(url)})
        return {"nav": portal, "nav_groups": [], "portal_nav": True, "roles": sorted(held)}
    groups = []
    for key, label in GROUPS.items():
        entries = [item for item in items if item["group"] == key]
        if entries:
            groups.append({"key": key, "label": label, "items": entries, "active": any(i["active"] for i in entries)})
    return {"nav": items, "nav_groups": groups, "roles": sorted(held)}
