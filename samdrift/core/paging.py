"""Keyset ("seek") pagination for the UI lists (DESIGN.md rule 6).

A page is found by seeking past the sort key of the last row seen, not by skipping rows with
OFFSET: every page, the first and the ten-thousandth alike, costs one indexed query of `per_page +
1` rows, and no COUNT. The cursor carries the sort key of the row to continue from and the
ordering it belongs to, so a cursor from another sort order is ignored (the first page is shown).

Any ordering of model fields works, also through foreign keys and on nullable columns; the primary
key is appended as the tie-breaker so that the order is total. When every sort column is NOT NULL
and all go the same way the seek is a row comparison, `(last_name, first_name, id) > (%s, %s, %s)`,
which PostgreSQL answers with one index range scan; otherwise it is spelled out column by column.

Sorting is only as fast as the index behind it: a column of a big list that users may sort by
needs an index on (column, ..., id), or every page sorts the whole list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce

CURSOR_PARAM = "cursor"
_MAX_DEPTH = 4  # foreign-key hops followed when a related model's own ordering is expanded


@dataclass(frozen=True)
class SortKey:
    """One column of the total order: an ORM path, its direction and how to read it from a row."""

    path: str
    descending: bool
    field: models.Field
    nullable: bool
    alias: str | None  # annotation that carries the value when the path crosses a relation

    @property
    def name(self) -> str:
        return f"-{self.path}" if self.descending else self.path

    def order_by(self, *, opaque: bool = False) -> OrderBy:
        # NULLs sort last going up and first going down: PostgreSQL's own default, so that its
        # indexes serve the order; SQLite is told explicitly. COALESCE(x, x) sorts exactly like x
        # but matches no index: see `seek_page(sort_matches=True)`.
        expr: Any = Coalesce(F(self.path), F(self.path)) if opaque else F(self.path)
        return expr.desc(nulls_first=True) if self.descending else expr.asc(nulls_last=True)

    def value(self, obj: Any) -> Any:
        if self.alias is not None:
            return getattr(obj, self.alias)
        return getattr(obj, self.field.attname)

    def after(self, value: Any) -> Q:
        """Rows that come after `value` in this key's direction."""
        if value is None:
            # NULLs are last going up: nothing follows them; going down, every non-NULL follows.
            return Q(**{f"{self.path}__isnull": False}) if self.descending else Q(pk__in=[])
        beyond = Q(**{f"{self.path}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and not self.descending:
            beyond |= Q(**{f"{self.path}__isnull": True})
        return beyond

    def same(self, value: Any) -> Q:
        if value is None:
            return Q(**{f"{self.path}__isnull": True})
        return Q(**{self.path: value})

    def reversed(self) -> SortKey:
        return SortKey(self.path, not self.descending, self.field, self.nullable, self.alias)


def sort_keys(model: type[models.Model], ordering: Sequence[Any]) -> list[SortKey]:
    """Resolve an `order_by()` list to plain columns, as Django does, and make the order total."""
    keys: list[SortKey] = []
    for item in ordering:
        if isinstance(item, OrderBy) and isinstance(item.expression, F):
            _expand(model, item.expression.name, item.descending, keys, 0)  # type: ignore[attr-defined]
        elif isinstance(item, F):
            _expand(model, item.name, False, keys, 0)  # type: ignore[attr-defined]
        elif isinstance(item, str) and item != "?":
            _expand(model, item.lstrip("-"), item.startswith("-"), keys, 0)
        else:
            raise TypeError(f"seek pagination cannot order by {item!r}")
    pk_name = model._meta.pk.name  # type: ignore[union-attr]
    if not any(k.path in (pk_name, "pk") for k in keys):
        descending = keys[-1].descending if keys else False
        keys.append(SortKey(pk_name, descending, model._meta.pk, False, None))  # type: ignore[arg-type]
    seen: set[str] = set()
    unique = []
    for key in keys:
        if key.path not in seen:
            seen.add(key.path)
            unique.append(key)
    return [
        SortKey(k.path, k.descending, k.field, k.nullable, f"_seek{i}" if "__" in k.path else None)
        for i, k in enumerate(unique)
    ]


def _expand(model: type[models.Model], path: str, descending: bool, keys: list[SortKey], depth: int) -> None:
    if path == "pk":
        path = model._meta.pk.name  # type: ignore[union-attr]
    current: type[models.Model] = model
    nullable = False
    field: Any = None
    parts = path.split("__")
    for i, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist as exc:
            raise TypeError(f"seek pagination cannot order by {path!r}") from exc
        if field.many_to_many or field.one_to_many or not field.concrete:
            raise TypeError(f"seek pagination cannot order by the multi-valued {path!r}")
        nullable = nullable or bool(field.null)
        if field.is_relation and i < len(parts) - 1:
            current = field.related_model
    if field.is_relation and part != field.attname and field.related_model._meta.ordering:
        if depth >= _MAX_DEPTH:
            raise TypeError(f"ordering by {path!r} nests too deep for seek pagination")
        for sub in field.related_model._meta.ordering:
            if not isinstance(sub, str):
                raise TypeError(f"seek pagination cannot order by {sub!r} of {field.related_model.__name__}")
            sub_desc = sub.startswith("-")
            _expand(model, f"{path}__{sub.lstrip('-')}", descending != sub_desc, keys, depth + 1)
        return
    if field.is_relation:
        # "owner" with no ordering on Owner, or "owner_id": the column itself
        path = "__".join([*parts[:-1], field.attname]) if len(parts) > 1 else field.attname
    keys.append(SortKey(path, descending, field, nullable, None))


def seek_condition(keys: Sequence[SortKey], values: Sequence[Any]) -> Q | TupleGreaterThan | TupleLessThan:
    """Rows strictly after the row whose sort key is `values`."""
    uniform = len({k.descending for k in keys}) == 1 and not any(k.nullable for k in keys)
    if uniform and None not in values and not _few_values(keys[0].field):
        if len(keys) == 1:
            return keys[0].after(values[0])
        lhs = Tuple(*(F(k.path) for k in keys))
        lookup = TupleLessThan if keys[0].descending else TupleGreaterThan
        return lookup(lhs, tuple(values))
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= prefix & key.after(value)
        prefix &= key.same(value)
    first, v0 = keys[0], values[0]
    if v0 is not None and not first.nullable:
        # a redundant bound on the first column lets an index start at the right place
        condition &= Q(**{f"{first.path}__{'lte' if first.descending else 'gte'}": v0})
    return condition


def _few_values(field: models.Field) -> bool:
    """A column of a few distinct values (a flag, a kind). PostgreSQL estimates a row comparison
    from its first column alone: `(active, id) < (true, 42)` looks like `active < true`, which
    matches nothing, and the plan built for "no rows" (nested loops) then meets a million. The
    spelled-out form below is estimated from every column's own statistics."""
    return isinstance(field, models.BooleanField) or bool(field.choices)


def _signature(keys: Sequence[SortKey]) -> str:
    return ",".join(k.name for k in keys)


def encode_cursor(keys: Sequence[SortKey], values: Sequence[Any], direction: str) -> str:
    payload = {
        "o": _signature(keys),
        "d": direction,
        "v": [v if v is None or isinstance(v, bool | int | str) else str(v) for v in values],
    }
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(keys: Sequence[SortKey], cursor: str) -> tuple[str, list[Any]] | None:
    """The direction and values of a cursor made for this ordering; None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("o") != _signature(keys):
            return None
        direction, values = payload.get("d"), payload.get("v")
        if direction not in ("n", "p") or not isinstance(values, list) or len(values) != len(keys):
            return None
        parsed = [_parse(k.field, v) for k, v in zip(keys, values, strict=True)]
    except (ValueError, TypeError, ValidationError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None
    return direction, parsed


def _parse(field: models.Field, raw: Any) -> Any:
    """A cursor value as the column's Python value; ValueError for what no row could hold."""
    if raw is None:
        return None
    value = field.to_python(raw)
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise ValueError("integer out of range")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("NUL in text")
    return value


@dataclass
class SeekPage:
    """One page of rows and the cursors to its neighbours (None where there is none)."""

    object_list: Any  # the rows; the view may wrap them (django-tables2 BoundRows)
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __len__(self) -> int:
        return len(self.object_list)

    def __iter__(self) -> Any:
        return iter(self.object_list)


def ordering_of(qs: models.QuerySet) -> list[Any]:
    query = qs.query
    if query.order_by:
        return list(query.order_by)
    if query.default_ordering and qs.model._meta.ordering:
        return list(qs.model._meta.ordering)
    return []


def seek_page(qs: models.QuerySet, cursor: str | None, per_page: int, *, sort_matches: bool = False) -> SeekPage:
    """Fetch the page of `qs` (in its own ordering) that `cursor` points to, in one query.

    `sort_matches` is for filters whose matches cluster in the sort order, such as a name search
    sorted by name: PostgreSQL's planner assumes matches are spread evenly and would walk the name
    index from the top, through most of a million rows, to find the first 50 Lindqvists. With
    `sort_matches` the first sort column is written so that no index serves it: the planner finds
    the matches through their own indexes and sorts them, a cost bounded by the number of matches.
    """
    keys = sort_keys(qs.model, ordering_of(qs))
    annotations = {k.alias: F(k.path) for k in keys if k.alias}
    decoded = decode_cursor(keys, cursor) if cursor else None
    direction, values = decoded if decoded else ("n", None)
    walk = keys if direction == "n" else [k.reversed() for k in keys]
    page_qs = qs.annotate(**annotations) if annotations else qs
    if values is not None:
        page_qs = page_qs.filter(seek_condition(walk, values))
    order = [k.order_by(opaque=sort_matches and i == 0) for i, k in enumerate(walk)]
    rows = list(page_qs.order_by(*order)[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not rows and values is not None:
        return seek_page(qs, None, per_page, sort_matches=sort_matches)  # the rows around the cursor are gone
    if direction == "p":
        rows.reverse()
    first_page = values is None or (direction == "p" and not more)
    last_page = direction == "n" and not more
    next_cursor = None if last_page else encode_cursor(keys, [k.value(rows[-1]) for k in keys], "n")
    previous_cursor = None if first_page else encode_cursor(keys, [k.value(rows[0]) for k in keys], "p")
    return SeekPage(rows, next_cursor, previous_cursor, first_page)
