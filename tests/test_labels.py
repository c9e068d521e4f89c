"""Issue 12: a renamed model keeps the audit events written under its old label.

The knowledge base's `servicedesk.Article` became `servicedesk.KnowledgeArticle` (billing's
price-list `Article` is the other one). Events are hash-chained and never rewritten, so the events
from before the rename still say `servicedesk.article`: the object's history, the trail's filters
and the masking rule must read them as the renamed model's."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from samdrift.core.audit import record_event
from samdrift.core.audit_reading import mask_unreadable
from samdrift.core.crud import LIST_URL_NAMES
from samdrift.core.labels import labels_of, model_for_label
from samdrift.core.models import AuditEvent
from samdrift.core.templatetags.samdrift_ui import list_url
from samdrift.servicedesk.models import KnowledgeArticle

pytestmark = pytest.mark.django_db

OLD = "servicedesk.article"


def _old_event(article: KnowledgeArticle, words: str) -> AuditEvent:
    """An event as the trail held it before the rename: under the old label."""
    return record_event(
        None,
        "system",
        "updated",
        owner_id=article.owner_id,
        changes={"body": ["", words]},
        object_type=OLD,
        object_id=str(article.pk),
        object_repr=words,
    )


def test_the_old_label_names_the_renamed_model_and_no_current_model_claims_it() -> None:
    assert model_for_label(OLD) is KnowledgeArticle
    assert model_for_label("servicedesk.knowledgearticle") is KnowledgeArticle
    assert labels_of(KnowledgeArticle) == ("servicedesk.knowledgearticle", OLD)
    assert model_for_label("servicedesk.nosuchthing") is None
    current = {m._meta.label_lower for m in apps.get_models()}
    for model in apps.get_models():
        for label in getattr(model, "FORMER_LABELS", ()):
            assert label not in current, f"{label} is both a former and a current label"
            assert label == label.lower()


def test_the_history_page_shows_the_events_from_before_the_rename(world: Any, web: Any) -> None:
    article = world.a.extra["sd_article"]
    _old_event(article, "Skrivet före namnbytet")
    page = web(world.agent).get(reverse("sd_article_history", args=[article.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Skrivet före namnbytet" in body
    assert "created" in {e.event_type for e in AuditEvent.objects.filter(object_type__in=labels_of(KnowledgeArticle))}


def test_an_event_under_the_old_label_is_masked_like_one_under_the_new(world: Any) -> None:
    internal = world.a.extra["sd_internal_article"]
    public = world.a.extra["sd_article"]
    hidden = _old_event(internal, "Valvets kod")
    other_owner = _old_event(public, "Byt toner")
    # The owner's end user reads public articles of their owner only; owner B's reads none of A's.
    (masked,) = mask_unreadable(world.a.end_user, [AuditEvent.objects.get(pk=hidden.pk)])
    assert masked.masked and masked.object_repr == "" and masked.changes == {}
    (masked,) = mask_unreadable(world.b.end_user, [AuditEvent.objects.get(pk=other_owner.pk)])
    assert masked.masked and masked.object_repr == ""
    (shown,) = mask_unreadable(world.a.end_user, [AuditEvent.objects.get(pk=other_owner.pk)])
    assert not shown.masked and shown.object_repr == "Byt toner"


def test_the_trail_filtered_by_the_new_label_includes_the_old_events(world: Any, web: Any, api: Any) -> None:
    article = world.a.extra["sd_article"]
    old = _old_event(article, "Skrivet före namnbytet")
    query = {"object_type": "servicedesk.knowledgearticle", "object_id": article.pk}
    rows = api(world.admin).get("/api/v1/audit-events/", query).json()["results"]
    assert old.pk in {row["id"] for row in rows} and len(rows) >= 2
    # The old label still finds them too, and the page's filter reads the same way.
    rows = api(world.admin).get("/api/v1/audit-events/", {**query, "object_type": OLD}).json()["results"]
    assert old.pk in {row["id"] for row in rows} and len(rows) >= 2
    page = web(world.admin).get(reverse("audit_search"), query).content.decode()
    assert "Skrivet före namnbytet" in page
    # A label of no model filters by the text as before.
    assert api(world.admin).get("/api/v1/audit-events/", {"object_type": "x.y"}).json()["results"] == []


def test_the_breadcrumbs_go_back_to_the_list_the_views_named(world: Any) -> None:
    article = world.a.extra["sd_article"]
    assert LIST_URL_NAMES[KnowledgeArticle] == "sd_article_list"
    assert list_url(article) == reverse("sd_article_list")
