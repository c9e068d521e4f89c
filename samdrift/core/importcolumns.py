"""Which column of an import file holds which field (part of the pipeline in `core.importing`).

Recognised by aliases (`recognise_columns`), or chosen by the user (`guess_columns` proposes,
`check_columns` checks, `map_chosen` reads the table through the choice). Every mapped cell goes
through the one formula rule of `core.tabular` before an import's rules see it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from samdrift.core.tabular import (
    Table,
    cells_by_name,
    file_error,
    formula_error,
    looks_like_formula,
    normalise_header,
)


@dataclass
class MappedTable:
    """The rows of a file by field: [(row number, {field: text})], formula cells left out and
    their errors kept per row (`formula_errors`), to be added to the rows' plans."""

    file_format: str
    headers: list[str]
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    ignored_columns: list[str] = field(default_factory=list)
    formula_errors: dict[int, list[str]] = field(default_factory=dict)


def alias_lookup(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """{normalised header: field} of {field: (header, ...)}; a field's own name is an alias too."""
    lookup = {normalise_header(a): name for name, names in aliases.items() for a in names}
    for name in aliases:
        lookup.setdefault(normalise_header(name), name)
    return lookup


def guess_columns(headers: Iterable[str], aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """The field each header is recognised as, for a proposal the user may change: {field: header}."""
    lookup = alias_lookup(aliases)
    found: dict[str, str] = {}
    for header in headers:
        name = lookup.get(normalise_header(header))
        if name and name not in found:
            found[name] = header
    return found


def check_columns(
    headers: Iterable[str], columns: dict[str, str], fields: Iterable[str], label: Callable[[str], str]
) -> tuple[dict[str, str], list[str]]:
    """The chosen columns that exist, and the errors: a column missing, or chosen for two fields."""
    errors: list[str] = []
    chosen: dict[str, str] = {}
    used: dict[str, str] = {}
    present = {normalise_header(h) for h in headers}
    for name in fields:
        header = (columns.get(name) or "").strip()
        if not header:
            continue
        key = normalise_header(header)
        if key not in present:
            errors.append(_("The file has no column “%(column)s”.") % {"column": header})
        elif key in used:
            errors.append(
                _("The column “%(column)s” is chosen for both %(first)s and %(second)s.")
                % {"column": header, "first": label(used[key]), "second": label(name)}
            )
        else:
            used[key] = name
            chosen[name] = header
    return chosen, errors


def _strip_formulas(
    body: list[tuple[int, list[str]]], positions: dict[str, int], label: Callable[[str], str]
) -> tuple[list[tuple[int, dict[str, str]]], dict[int, list[str]]]:
    rows: list[tuple[int, dict[str, str]]] = []
    errors: dict[int, list[str]] = {}
    for number, cells in body:
        values: dict[str, str] = {}
        for name, i in positions.items():
            text = cells[i] if i < len(cells) else ""
            if text and looks_like_formula(text):
                errors.setdefault(number, []).append(formula_error(label(name), text))
                text = ""
            values[name] = text
        rows.append((number, values))
    return rows, errors


def map_chosen(table: Table, columns: dict[str, str], label: Callable[[str], str]) -> MappedTable:
    """The rows by field, with the columns the user chose ({field: header})."""
    if not table.rows:
        raise file_error(_("The file is empty."))
    index = cells_by_name(table.header)
    positions: dict[str, int] = {}
    missing: list[str] = []
    for name, wanted in columns.items():
        if not wanted:
            continue
        found = index.get(normalise_header(wanted))
        if found is None:
            missing.append(f"“{wanted}” ({label(name)})")
        else:
            positions[name] = found
    if missing:
        raise file_error(
            _("The file has no column %(columns)s. Choose the columns again.") % {"columns": ", ".join(missing)}
        )
    if not table.body:
        raise file_error(_("The file has column names but no rows."))
    rows, errors = _strip_formulas(table.body, positions, label)
    return MappedTable(table.file_format, [h for h in table.header if h], list(positions), rows, [], errors)


def recognise_columns(
    table: Table,
    fields: Iterable[str],
    aliases: Mapping[str, Iterable[str]],
    required: Iterable[str],
    label: Callable[[str], str],
    *,
    missing_hint: Callable[[list[str]], str] | None = None,
) -> MappedTable:
    """The rows by field, the columns recognised from the header row by their aliases. Unknown
    headers are ignored (and named); a missing required column or a field named twice refuses the
    file (`missing_hint` may add a sentence to the missing-columns error, e.g. another import to use)."""
    if not table.rows:
        raise file_error(_("The file is empty."))
    wanted = list(fields)
    lookup = alias_lookup(aliases)
    positions: dict[str, int] = {}
    headers_by_field: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[str] = []
    for index, raw in enumerate(table.header):
        if not raw:
            continue
        name = lookup.get(normalise_header(raw))
        if name is None or name not in wanted:
            ignored.append(raw)
            continue
        if name in positions:
            errors.append(
                _("The columns “%(first)s” and “%(second)s” both mean %(column)s; keep one of them.")
                % {"first": headers_by_field[name], "second": raw, "column": label(name)}
            )
            continue
        positions[name] = index
        headers_by_field[name] = raw
    missing = [c for c in wanted if c in set(required) and c not in positions]
    if missing:
        message = _("Required columns are missing: %(columns)s. The first row must hold the column names.") % {
            "columns": ", ".join(label(c) for c in missing)
        }
        extra = missing_hint(table.header) if missing_hint else ""
        errors.append(f"{message} {extra}" if extra else message)
    if errors:
        raise ValidationError({"file": errors})
    if not table.body:
        raise file_error(_("The file has column names but no rows."))
    ordered = {name: positions[name] for name in wanted if name in positions}
    rows, formula_errors = _strip_formulas(table.body, ordered, label)
    return MappedTable(table.file_format, [h for h in table.header if h], list(ordered), rows, ignored, formula_errors)
