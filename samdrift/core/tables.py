"""Table bodies written in one Python pass, for every django-tables2 table in Samdrift (issue 19).

django-tables2 renders each cell through the template engine: a `{% for %}` over the rows, another
over the cells, `row.items`, the column's attributes and, for date columns, a template compiled
anew for every cell. On a 50-row list of eleven columns that is 60-140 ms of a worker's CPU, most of
the page's server time (the asset list measured 122 ms; docs/assets.md). The project's table
template (`core/table.html`, `DJANGO_TABLES2_TEMPLATE`) keeps django-tables2's header, footer and
paging and writes the body with `body_html` below instead.

The markup is django-tables2's own, cell for cell: the columns whose output is known exactly (a
plain `Column` on model fields, `DateColumn`, `DateTimeColumn`, `BooleanColumn`, `CheckBoxColumn`,
`linkify=True`) are written here;
every other cell (a `render_<name>` method, another kind of link, a template column, a callable
in the cell attributes) goes through django-tables2's own `BoundRow.get_cell`. `tests/test_tables.py`
renders every table of the demo both ways and requires the same HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import date as date_filter
from django.templatetags.l10n import localize as localize_filter
from django.templatetags.l10n import unlocalize as unlocalize_filter
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # public, not in the stubs
from django_tables2.utils import computed_values

Cell = Callable[[Any], Any]  # record -> the cell's content, as `{{ cell }}` would print it

_MISSING = object()


def _path(model: type[models.Model] | None, bits: list[str]) -> list[Any] | None:
    """The model fields an accessor walks through, or None when a step is not a concrete field
    (a property, a method, a reverse relation: left to django-tables2)."""
    if model is None:
        return None
    fields: list[Any] = []
    for i, bit in enumerate(bits):
        try:
            field = model._meta.get_field(bit)
        except FieldDoesNotExist:
            return None
        if not getattr(field, "concrete", False) or field.many_to_many:
            return None
        fields.append(field)
        if i < len(bits) - 1:
            if not field.is_relation or field.related_model is None:
                return None
            model = field.related_model  # type: ignore[assignment]
    return fields


def _value_reader(table: tables.Table, bound: Any, accessor: Any, raw: bool = False) -> Callable[[Any], Any] | None:
    """record -> the value django-tables2 would pass to the column's render (the choice's label
    for a field with choices, as `BoundRow._get_and_render_with` does), or `_MISSING` for an
    empty value; None when the accessor is not a plain walk over model fields. `raw`: the
    attribute itself, choices or not, None when a step is empty (for links)."""
    model = getattr(getattr(table, "data", None), "model", None)
    bits = list(tables.A(accessor).bits)
    if bits == ["pk"] and model is not None:  # the row's own key (a checkbox column's value)
        return lambda record: record.pk
    fields = _path(model, bits)
    if not fields:
        return None
    names = bits  # attribute names as the accessor spells them
    last = fields[-1]
    empty = bound.column.empty_values
    display = f"get_{bits[-1]}_display" if getattr(last, "choices", None) and not raw else None
    head, tail = names[:-1], names[-1]
    labels: dict[Any, Any] = {}

    def read(record: Any) -> Any:
        obj = record
        for name in head:
            obj = getattr(obj, name, None)
            if obj is None:
                return None if raw else _MISSING
        if display is not None and isinstance(obj, models.Model):
            # The label of each choice is looked up (translated) once per page, not once per row.
            raw_value = getattr(obj, tail, None)
            try:
                value = labels[raw_value]
            except (KeyError, TypeError):
                value = getattr(obj, display)()
                try:
                    labels[raw_value] = value
                except TypeError:
                    pass
        else:
            value = getattr(obj, tail, None)
        return value if raw else (_MISSING if value in empty else value)

    return read


def _content_for(table: tables.Table, bound: Any) -> Callable[[Any, Any], Any] | None:
    """(value, record) -> what the column's render returns, for the columns whose render is known
    exactly; None for the rest (a `render_<name>` on the table, a template, a checkbox...)."""
    column = bound.column
    if bound.render != column.render:  # a render_<name> method on the table
        return None
    kind = type(column)
    if kind is tables.Column:
        return lambda value, record: value
    if getattr(kind, "renders_value_only", False):  # core/columns.py: render(value) and nothing else
        return lambda value, record: column.render(value)
    if kind is tables.BooleanColumn:
        path: list[Any] = _path(table.data.model, list(tables.A(bound.accessor).bits)) or [None]
        last = path[-1]
        span = column.attrs.get("span", {})
        if getattr(last, "choices", None) or any(callable(v) for v in span.values()):
            return None
        words = {
            flag: format_html(
                "<span {}>{}</span>",
                tables.utils.AttributeDict({"class": str(flag).lower(), **span}).as_html(),
                escape(column.yesno[int(not flag)]),
            )
            for flag in (True, False)
        }
        return lambda value, record: words[bool(value)]
    if kind is tables.CheckBoxColumn and column.checked is None:
        # CheckBoxColumn.render, without the per-cell lookups around it.
        name, extra = bound.name, column.attrs.get("td__input") or column.attrs.get("input") or {}

        def checkbox(value: Any, record: Any) -> Any:
            attrs = computed_values(
                dict({"type": "checkbox", "name": name, "value": value}, **extra),
                kwargs={"record": record, "value": value},
            )
            return mark_safe(f"<input {tables.utils.AttributeDict(attrs).as_html()} />")

        return checkbox
    if kind in (tables.DateColumn, tables.DateTimeColumn):
        # Their template is '{{ value|date:"<format>"|default:default }}'.
        code = column.template_code or ""
        prefix, suffix = '{{ value|date:"', '"|default:default }}'
        if column.extra_context or not (code.startswith(prefix) and code.endswith(suffix)):
            return None
        fmt, default = code[len(prefix) : -len(suffix)], bound.default
        return lambda value, record: mark_safe(
            conditional_escape(date_filter(template_localtime(value), fmt) or default)
        )
    return None


def _link_for(table: tables.Table, bound: Any) -> Callable[[Any, Any, Any], Any] | None:
    """(content, value, record) -> the content in its `<a>` for `linkify=True` (the link goes to
    the cell's object when it has a page, else to the row's); None for other kinds of link."""
    link = bound.link
    static = link.attrs or {}
    if link.url is not None or link.reverse_args.get("viewname") is not None:
        return None
    if any(callable(value) for value in static.values()):
        return None
    target = _value_reader(table, bound, link.accessor if link.accessor is not None else bound.name, raw=True)
    if target is None:
        return None

    def linked(content: Any, value: Any, record: Any) -> Any:
        obj = target(record)
        if not hasattr(obj, "get_absolute_url"):
            obj = record
        attrs = tables.utils.AttributeDict({**static, "href": obj.get_absolute_url()})
        return format_html("<a {}>{}</a>", attrs.as_html(), content)

    return linked


def _cell_for(table: tables.Table, bound: Any) -> Cell | None:
    """A fast writer for this column's cells, or None to let django-tables2 render them."""
    read = _value_reader(table, bound, bound.accessor)
    content = _content_for(table, bound)
    default = bound.default
    if read is None or content is None or callable(default):
        return None
    if not bound.link:

        def cell(record: Any) -> Any:
            value = read(record)
            return default if value is _MISSING else content(value, record)

        return cell
    link = _link_for(table, bound)
    if link is None:
        return None

    def linked_cell(record: Any) -> Any:
        value = read(record)
        return default if value is _MISSING else link(content(value, record), value, record)

    return linked_cell


def _printed(column: Any) -> Callable[[Any], str]:
    """What the template's `{{ cell }}` (or `|localize`, `|unlocalize`) makes of a cell."""
    if column.localize is None:
        return lambda cell: conditional_escape(localize(template_localtime(cell)))
    if column.localize:
        return lambda cell: conditional_escape(localize_filter(template_localtime(cell)))
    return lambda cell: conditional_escape(unlocalize_filter(template_localtime(cell)))


def _static_td(bound: Any) -> str | None:
    """The `<td>` attributes when they do not depend on the cell, else None."""
    attrs = {**dict(bound._table.attrs), **dict(bound.column.attrs)}
    td = attrs.get("td", attrs.get("cell", {}))
    if any(callable(value) for value in td.values()):
        return None
    return str(bound.attrs["td"].as_html())


def body_html(table: tables.Table) -> SafeString:
    """The `<tr>` rows of the table's current page, as django-tables2's bootstrap5 template
    writes them (whitespace between tags aside)."""
    columns = list(table.columns)
    for bound in columns:  # attributes computed without a cell, as for the header
        bound.current_record = bound.current_value = None
    plans = [(bound, _cell_for(table, bound), _static_td(bound), _printed(bound.column)) for bound in columns]
    rows = table.paginated_rows
    out: list[str] = []
    plain_rows = not table.row_attrs
    for row in rows:
        record = row.record
        if plain_rows:
            out.append(f'<tr class="{row.get_even_odd_css_class()}">')
        else:
            out.append(f"<tr {row.attrs.as_html()}>")
        for bound, fast, td, printed in plans:
            if fast is not None:
                cell = fast(record)
            else:
                cell = row.get_cell(bound.name)
            if td is None:
                bound.current_value, bound.current_record = cell, record
                td_html = bound.attrs["td"].as_html()
                bound.current_record = bound.current_value = None
            else:
                td_html = td
            out.append(f"<td {td_html}>{printed(cell)}</td>")
        out.append("</tr>")
    if not out and table.empty_text:
        out.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text))
    return mark_safe("\n".join(out))
