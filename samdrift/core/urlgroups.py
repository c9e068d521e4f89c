"""Each capability's pages under one URL group that a request enters only when its path starts with
one of the capability's own first segments (`servicedesk/`, `portal/`, …).

The capabilities' URL modules are included with an empty prefix, one after the other, so a request
for the service desk was tested against every route of tenancy, billing and assets first (about 190
patterns for `/servicedesk/tickets/new/`). A lookahead prefix costs one test per capability and
changes no URL, name or reverse (Django's `reverse` ignores lookaheads).
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

from django.urls import include, path, re_path

_LITERAL = re.compile(r"[A-Za-z0-9_-]+")


def first_segments(patterns: list[Any]) -> set[str] | None:
    """The literal first path segments of these routes; None when one of them has none (the start
    page, or a segment with a converter or a regular expression in it)."""
    found = set()
    for pattern in patterns:
        text = str(pattern.pattern).removeprefix("^")
        head, slash, _ = text.partition("/")
        if not slash or not _LITERAL.fullmatch(head):
            return None
        found.add(head)
    return found


def app_urls(module: str) -> Any:
    """`path("", include(module))`, entered only for the first segments its routes begin with."""
    segments = first_segments(list(import_module(module).urlpatterns))
    if not segments:
        return path("", include(module))
    alternatives = "|".join(re.escape(s) for s in sorted(segments))
    return re_path(rf"^(?=(?:{alternatives})/)", include(module))
