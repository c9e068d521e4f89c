"""List exports (CSV and XLSX) of every `ScopedListView`: one writer for the request and the job.

A list of up to `SAMDRIFT_EXPORT_MAX_ROWS` rows is written in the request and downloaded at once.
A larger one runs as a job (`ExportJob`, on the core job mechanism: progress, lease, sweep): the
request only records what was asked (the list's route, its filters, the format, the user), the task
builds the same list view for the same user and filters, so the rows are scoped and filtered
exactly as on the page, and writes the file with its progress; the job's page offers the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO, StringIO
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import Workbook

from samdrift.core import cells

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}
CHUNK = 2000


@dataclass
class ExportQuery:
    """What a list export writes: the file's base name, the column headers and the rows."""

    name: str
    headers: list[str]
    rows: Any  # a values_list queryset, ordered


def query_of(view: Any) -> ExportQuery:
    """The rows of the list view as filtered by its request (an invalid filter exports nothing)."""
    filterset = view.get_filterset(view.get_filterset_class())
    qs = filterset.qs if filterset.is_valid() else view.get_queryset().none()
    model = view.model
    headers = [str(model._meta.get_field(f.split("__")[0]).verbose_name) for f in view.export_fields]
    return ExportQuery(model._meta.model_name, headers, qs.values_list(*view.export_fields).order_by("pk"))


def is_large(query: ExportQuery) -> bool:
    """More rows than an export written in the request may hold (one query of at most limit+1 ids)."""
    limit = settings.SAMDRIFT_EXPORT_MAX_ROWS
    return len(query.rows.values_list("pk", flat=True)[: limit + 1]) > limit


def _xlsx_value(value: Any) -> Any:
    """XLSX has no time zones: write aware datetimes as Stockholm local time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write(
    fmt: str, query: ExportQuery, *, total: int = 0, progress: Callable[[int, int], None] | None = None
) -> tuple[bytes, int]:
    """The file's bytes and its number of rows; `progress(done, total)` after every chunk."""
    count = 0

    def rows() -> Iterable[Any]:
        nonlocal count
        for row in query.rows.iterator(chunk_size=CHUNK):
            yield row
            count += 1
            if progress is not None and count % CHUNK == 0:
                progress(count, total)

    if fmt == "csv":
        text = StringIO()
        text.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
        writer = cells.writer(text, delimiter=";")
        writer.writerow(query.headers)
        for row in rows():
            writer.writerow(row)
        return text.getvalue().encode("utf-8"), count
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(query.name)
    sheet.append(query.headers)
    for row in rows():
        sheet.append(cells.xlsx_row(sheet, (_xlsx_value(value) for value in row)))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def view_for(route: str, query: dict[str, list[str]], user: Any) -> Any:
    """The list view of `route` set up as `user` asking with `query` (for the export task)."""
    params = QueryDict(mutable=True)
    for key, values in query.items():
        params.setlist(key, values)
    request = RequestFactory().get(reverse(route), params)
    request.user = user
    match = resolve(request.path)
    view = match.func.view_class(**getattr(match.func, "view_initkwargs", {}))  # type: ignore[attr-defined]
    view.setup(request, *match.args, **match.kwargs)
    return view
