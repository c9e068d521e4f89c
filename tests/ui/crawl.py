"""Walk the pages a role's navigation reaches, as that role, and the pages they link to.

Shared by the test-client crawl (every link a role is shown must open for it) and the browser crawl
(axe-core, timing). One URL per route pattern (`/assets/123/` and `/assets/456/` are one page), so
that a list leads to one object page, not to fifty.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.urls import Resolver404, resolve

# Links that are not pages: downloads and files, the API, the language switch, logging out, and
# /health/, the load balancer's machine endpoint, which answers 503 by design while no worker or
# scheduler heartbeat is fresh (as in tests); tests/test_jobs.py covers its answers.
SKIP = re.compile(
    r"(^/api/|^/accounts/logout|^/i18n/|^/health/|[?&]export=|/download/?$|/file/?$|/pdf/?$|\.pdf$|\.xml$|\.sie$"
    r"|/xml/?$|/sie/?$|/labels|/csv/?$|/xlsx/?$|/static/|/media/|/admin/)"
)


class _Links(HTMLParser):
    """The href of every <a> inside <main> and the navigation."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith(("#", "mailto:", "tel:", "javascript:")):
                self.links.append(href)


def links_in(html: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.links:
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.netloc != urlsplit(base).netloc:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if SKIP.search(path):
            continue
        out.append(path)
    return out


def pattern_of(path: str) -> str:
    """The route a path belongs to, with its query's keys: one page per pattern is visited."""
    parts = urlsplit(path)
    try:
        route = resolve(parts.path).route
    except Resolver404:
        route = parts.path
    keys = sorted({item.split("=")[0] for item in parts.query.split("&") if item and "cursor" not in item})
    return route + ("?" + "&".join(keys) if keys else "")


@dataclass
class Visit:
    path: str
    status: int
    referrer: str
    html: str


def crawl(fetch: Callable[[str], tuple[int, str]], start: list[str], *, depth: int = 2) -> Iterator[Visit]:
    """Breadth first from `start`, `depth` links deep, one page per route pattern."""
    seen: set[str] = set()
    frontier = [(path, "") for path in start]
    for level in range(depth + 1):
        following: list[tuple[str, str]] = []
        for path, referrer in frontier:
            key = pattern_of(path)
            if key in seen:
                continue
            seen.add(key)
            status, html = fetch(path)
            yield Visit(path, status, referrer, html)
            if status == 200 and level < depth:
                following.extend((link, path) for link in links_in(html, "http://testserver" + path))
        frontier = following
