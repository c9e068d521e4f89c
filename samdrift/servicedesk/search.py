"""Knowledge-base search: PostgreSQL's `swedish` full-text search (stemming, stop words, ranking);
on SQLite every word must occur in the title or text (case-insensitive)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from samdrift.servicedesk.models import KnowledgeArticle

MAX_WORDS = 8


def search_articles(user: Any, query: str, *, limit: int = 10, queryset: QuerySet | None = None) -> QuerySet:
    """Articles the user may see that match `query`, best first."""
    qs = queryset if queryset is not None else KnowledgeArticle.objects.for_user(user)
    words = (query or "").split()[:MAX_WORDS]
    if not words:
        return qs.none()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="swedish") + SearchVector(
            "body", weight="B", config="swedish"
        )
        search = SearchQuery(" ".join(words), config="swedish", search_type="websearch")
        return (
            qs.annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)
            .order_by("-rank", "id")[:limit]
        )
    condition = Q()
    for word in words:
        condition &= Q(title__icontains=word) | Q(body__icontains=word)
    return qs.filter(condition).order_by("title", "id")[:limit]
