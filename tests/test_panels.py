"""core/panels.py: panels another app registers on an object's detail page."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines

from samdrift.core import panels
from samdrift.core.panels import Panel, panels_for, register_panel


@pytest.fixture
def registry(monkeypatch: Any) -> dict[str, Panel]:
    saved = dict(panels.PANELS)
    monkeypatch.setattr(panels, "PANELS", saved)
    return saved


def test_panels_render_in_order_and_a_panel_that_returns_none_is_left_out(registry: Any) -> None:
    from samdrift.tenancy.models import Owner

    seen: list[Any] = []

    def first(user: Any, obj: Any) -> dict[str, Any]:
        seen.append((user, obj))
        return {"word": "first-<b>"}

    tpl = engines["django"].from_string("[{{ data.word }}:{{ object.name }}]")
    register_panel(Panel("t.second", "tenancy.owner", tpl, lambda u, o: {"word": "second"}, 20))
    register_panel(Panel("t.first", "tenancy.owner", tpl, first, 10))
    register_panel(Panel("t.none", "tenancy.owner", tpl, lambda u, o: None, 15))
    register_panel(Panel("t.other", "assets.asset", tpl, lambda u, o: {"word": "other"}, 1))
    assert [p.key for p in panels_for(Owner)] == ["t.first", "t.none", "t.second"]

    owner = Owner(name="Ö")
    page = engines["django"].from_string("{% load samdrift_panels %}{% panels object %}")
    html = page.render({"object": owner, "user": "u"})
    assert html == "[first-&lt;b&gt;:Ö][second:Ö]"
    assert seen == [("u", owner)]


def test_servicedesk_registers_the_tickets_panel_on_the_asset_page() -> None:
    keys = [p.key for p in panels_for("assets.asset")]
    assert "servicedesk.tickets" in keys
