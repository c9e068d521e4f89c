"""Every list's body rows, written in one Python pass (`samdrift/core/tables.py`), are the markup
django-tables2's own template loop writes: each list route of the app is opened by each role,
and every table on it is rendered both ways and compared."""

from __future__ import annotations

import itertools
import re
from typing import Any

import django_tables2 as tables
import pytest
from django.template import Context, Template
from django.urls import reverse

from samdrift.core import tables as fast_tables
from samdrift.core.templatetags import samdrift_tables
from tests.test_isolation import all_routes

# django-tables2 2.x bootstrap5.html, block table.tbody, as it stands in the package.
DJANGO_TABLES2_BODY = Template(
    "{% load l10n %}{% for row in table.paginated_rows %}<tr {{ row.attrs.as_html }}>"
    "{% for column, cell in row.items %}<td {{ column.attrs.td.as_html }}>"
    "{% if column.localize == None %}{{ cell }}{% else %}{% if column.localize %}{{ cell|localize }}"
    "{% else %}{{ cell|unlocalize }}{% endif %}{% endif %}</td>{% endfor %}</tr>"
    '{% empty %}{% if table.empty_text %}<tr><td colspan="{{ table.columns|length }}">{{ table.empty_text }}</td></tr>'
    "{% endif %}{% endfor %}"
)


def rendered_both_ways(table: tables.Table) -> tuple[str, str]:
    """Ours and django-tables2's, each from the same row counter (rows alternate even and odd
    by a counter on the table that every rendering advances)."""
    start = next(table._counter)
    table._counter = itertools.count(start)
    ours = fast_tables.body_html(table)
    table._counter = itertools.count(start)
    theirs = DJANGO_TABLES2_BODY.render(Context({"table": table}))
    return ours, theirs


def normal(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


def test_every_table_body_is_django_tables2s_markup(world: Any, web: Any, monkeypatch: Any) -> None:
    compared: dict[str, int] = {}
    fast_kinds: set[str] = set()

    def both_ways(table: tables.Table) -> Any:
        ours, theirs = rendered_both_ways(table)
        name = type(table).__name__
        assert normal(ours) == normal(theirs), name
        rows = len(list(table.paginated_rows))
        compared[name] = max(compared.get(name, 0), rows)
        if rows:
            for bound in table.columns:
                if fast_tables._cell_for(table, bound) is not None:
                    fast_kinds.add(type(bound.column).__name__)
        return ours

    monkeypatch.setattr(samdrift_tables, "body_html", both_ways)
    lists = [
        r
        for r in all_routes()
        if not r.kwargs and getattr(getattr(r.callback, "view_class", None), "table_class", None)
    ]
    assert len(lists) > 40
    users = [world.admin, world.agent, world.technician, world.finance, world.records, world.a.viewer, world.a.orderer]
    for user in users:
        client = web(user)
        for route in lists:
            response = client.get(reverse(route.name))
            assert response.status_code in (200, 302, 403, 404), (route.name, user, response.status_code)
    with_rows = {name for name, rows in compared.items() if rows}
    # Most lists have rows in the test world, and every kind of column written here was used.
    assert len(with_rows) > 25, sorted(compared)
    assert fast_kinds >= {"Column", "DateColumn", "DateTimeColumn", "BooleanColumn", "CheckBoxColumn"}, fast_kinds


@pytest.mark.parametrize("sort", ["", "?sort=-asset_tag", "?sort=status&status=in_use"])
def test_a_sorted_and_filtered_list_matches_too(world: Any, web: Any, monkeypatch: Any, sort: str) -> None:
    seen = []

    def both_ways(table: tables.Table) -> Any:
        ours, theirs = rendered_both_ways(table)
        assert normal(ours) == normal(theirs)
        seen.append(table)
        return ours

    monkeypatch.setattr(samdrift_tables, "body_html", both_ways)
    response = web(world.admin).get(reverse("asset_list") + sort)
    assert response.status_code == 200 and seen
