"""The WSGI application of the HTTP benchmarks (`bench/http_servicedesk.py`): `bench.querycount`
(Samdrift plus `X-Bench-Queries` and `X-Bench-Time`) and one more header, `X-Bench-CPU`: the CPU
time the worker process spent on the request, in milliseconds.

Server time (`X-Bench-Time`) includes waiting for the CPU and for PostgreSQL, so on a busy
machine it grows with everything else that runs there; the process's CPU time does not, and says
what the request itself costs in Python (rendering, serialisation, the ORM). SQL is counted by
`X-Bench-Queries`; its time is the rest of the server time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bench.querycount import application as counted

CPU_HEADER = "X-Bench-CPU"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    started = time.process_time()

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        headers.append((CPU_HEADER, f"{(time.process_time() - started) * 1000:.2f}"))
        return start_response(status, headers, exc_info)

    return counted(environ, start)
