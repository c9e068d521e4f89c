"""The WSGI application for benchmarks: Samdrift as it is, plus two response headers: the number
of database queries each request made (`X-Bench-Queries`) and the time the server spent on it
until the response started, in milliseconds (`X-Bench-Time`; without the time the request waited
for a free worker).

Used only by `bench/` (gunicorn `bench.querycount:application`); production runs
`samdrift.wsgi:application` and is not touched. The count is taken with Django's
`connection.execute_wrapper`, so it covers everything the request does (session, user, scope,
page) and is read when Django starts the response, after the view and all middleware ran.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connections

from samdrift.wsgi import application as _django  # production's app, with its GC tuning

HEADER = "X-Bench-Queries"
TIME_HEADER = "X-Bench-Time"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    count = 0
    started = time.perf_counter()

    def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        headers.append((HEADER, str(count)))
        headers.append((TIME_HEADER, f"{(time.perf_counter() - started) * 1000:.2f}"))
        return start_response(status, headers, exc_info)

    with connections["default"].execute_wrapper(counter):
        return _django(environ, start)
