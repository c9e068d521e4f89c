"""Panels on an object's detail page that another app contributes: the tickets about a device,
the take-back batch a device went in, the invoice lines of an order.

The page's own app then needs to know nothing of the app that adds the panel, so the import arrow
runs from the contributing app to the page's app (servicedesk → assets), never back. An app
registers its panels from its AppConfig.ready():

    register_panel(Panel("servicedesk.tickets", "assets.asset", "servicedesk/_asset_tickets_panel.html",
                         tickets_panel, order=20))

`context(user, obj)` reads through the scoped layer (`for_user`, `access_<thing>`) with a fixed
number of queries, and returns the dict its template sees as `data`, or None to show nothing (the
user may see none of it, or the panel does not apply to this object). The template also sees
`object`, `user` and `request`. A detail template shows the panels for its object, by `order`:

    {% load samdrift_panels %}{% panels object %}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model


@dataclass(frozen=True)
class Panel:
    key: str  # unique: "<app>.<what>"
    model: str  # the model label, lower case, of the page it appears on: "assets.asset"
    template: Any  # a template name (or a compiled template); it sees `object`, `user` and `data`
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100


PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    """Add (or replace, by key) a panel; apps call this from ready(), which may run twice."""
    PANELS[panel.key] = panel


def panels_for(model: type[Model] | Model | str) -> list[Panel]:
    """The panels registered for a model (a class, an instance or a label), by order then key."""
    label = model if isinstance(model, str) else model._meta.label_lower
    return sorted((p for p in PANELS.values() if p.model == label.lower()), key=lambda p: (p.order, p.key))


def panel_contexts(user: Any, obj: Model) -> list[tuple[Panel, dict[str, Any]]]:
    """Each panel for the object with what its template shows; panels that return None are left out."""
    shown = []
    for panel in panels_for(obj):
        data = panel.context(user, obj)
        if data is not None:
            shown.append((panel, data))
    return shown
