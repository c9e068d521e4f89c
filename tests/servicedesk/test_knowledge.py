"""Knowledge base: who sees which articles, search, and suggestions while a ticket is typed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from samdrift.servicedesk import actions
from samdrift.servicedesk.models import KnowledgeArticle
from samdrift.servicedesk.search import search_articles
from tests.servicedesk.conftest import events_for


def test_articles_are_audited_and_written_by_the_desk_only(world: Any) -> None:
    article = world.a.extra["sd_article"]
    assert events_for(article)[0].event_type == "created"
    article = actions.do_update_article(article, {"body": "Byt toner."}, actor=world.agent)
    assert events_for(article)[-1].changes["body"][1] == "Byt toner."
    with pytest.raises(PermissionDenied):
        actions.do_create_article({"owner": world.a.owner, "title": "x", "body": "y"}, actor=world.a.viewer)


def test_end_users_see_their_owners_public_published_articles(world: Any) -> None:
    a = world.a
    visible = set(KnowledgeArticle.objects.for_user(a.end_user))
    assert visible == {a.extra["sd_article"]}
    actions.do_set_article_active(a.extra["sd_article"], False, actor=world.agent)
    assert not KnowledgeArticle.objects.for_user(a.end_user).exists()
    assert KnowledgeArticle.objects.for_user(world.agent).count() == 4


def test_search_finds_words_in_title_and_text_within_scope(world: Any) -> None:
    a = world.a
    assert list(search_articles(a.end_user, "skrivaren")) == [a.extra["sd_article"]]
    assert list(search_articles(a.end_user, "starta om")) == [a.extra["sd_article"]]
    assert list(search_articles(a.end_user, "valvet")) == []  # internal
    assert list(search_articles(a.end_user, "")) == []
    assert a.extra["sd_internal_article"] in list(search_articles(world.agent, "valvet"))


def test_suggestions_while_typing_and_the_api_search(world: Any, web: Any, api: Any) -> None:
    a = world.a
    html = web(a.end_user).get(reverse("sd_article_suggestions") + "?subject=skrivaren").content.decode()
    assert a.extra["sd_article"].title in html and world.b.marker not in html
    assert web(a.end_user).get(reverse("sd_article_detail", args=[a.extra["sd_article"].pk])).status_code == 200
    response = api(a.end_user).get("/api/v1/knowledge-articles/?q=skrivaren")
    assert [r["id"] for r in response.json()["results"]] == [a.extra["sd_article"].pk]
