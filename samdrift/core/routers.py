"""The API's router: one URL group per resource, so that resolving a request tries a few dozen
prefixes instead of every route of every resource in turn.

DRF's `DefaultRouter` lists all routes flat (77 resources, about 560 patterns with the `.json`
suffix variants); `/api/v1/tickets/` was matched after some 550 failed regular expressions, about
0.3 ms of every API request. Here each resource's routes sit under `path("<prefix>/", include(...))`,
a plain prefix test, with the same names, views and URLs. The `.json`-style suffixes are left out:
the format is chosen by the Accept header or `?format=json`, and the schema never listed them.
"""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from rest_framework.routers import DefaultRouter, SimpleRouter


class GroupedRouter(DefaultRouter):
    include_format_suffixes = False

    def get_urls(self) -> list[Any]:
        grouped: list[Any] = []
        every: list[Any] = []
        for prefix, viewset, basename in self.registry:
            one = SimpleRouter(trailing_slash=bool(self.trailing_slash))
            one.registry.append(("", viewset, basename))
            routes = one.get_urls()  # with an empty prefix: `^$`, `^(?P<pk>[0-9]+)/$`, `^stats/$` …
            every.extend(routes)
            grouped.append(path(f"{prefix}/", include(routes)))
        if self.include_root_view:
            grouped.append(path("", self.get_api_root_view(api_urls=every), name=self.root_view_name))
        return grouped
