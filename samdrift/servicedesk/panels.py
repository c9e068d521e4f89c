"""What the service desk shows on other apps' detail pages (core/panels.py)."""

from __future__ import annotations

from typing import Any

from samdrift.servicedesk.models import Ticket

TICKETS_ON_ASSET_LIMIT = 50


def tickets_for_asset(user: Any, asset: Any, limit: int = TICKETS_ON_ASSET_LIMIT) -> list[Ticket]:
    """The tickets about a device that the user may see, newest first: one query."""
    qs = Ticket.objects.for_user(user).filter(assets=asset).select_related("requester").order_by("-id")  # type: ignore[attr-defined]
    return list(qs.distinct()[:limit])


def asset_tickets_panel(user: Any, asset: Any) -> dict[str, Any]:
    return {"tickets": tickets_for_asset(user, asset)}
