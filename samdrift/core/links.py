"""Links a role can follow: a page links to an object only when its reader may open it.

The question is answered by the same scoped layer that the object's page uses (`for_user`), so a
link and the page behind it cannot disagree. Most models decide for a whole role at once (an
operator sees every manufacturer, an owner role none), which needs no query; the answer is cached
per user and model for the request.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from samdrift.core.access import scope_for

_CACHE_ATTR = "_samdrift_link_cache"
ALL = "all"
NONE = "none"
SOME = "some"


def _model_reach(user: Any, model: type[models.Model]) -> str:
    """ALL when the user's scope leaves the model's rows unfiltered, NONE when it empties them."""
    cache: dict[type[models.Model], str] = getattr(user, _CACHE_ATTR, None) or {}
    if model in cache:
        return cache[model]
    narrow = getattr(model, "scope_queryset", None)
    if narrow is None:
        reach = ALL  # not owner data: every signed-in user may open it
    else:
        qs = narrow(model._default_manager.all(), scope_for(user))
        if qs.query.is_empty():
            reach = NONE
        elif not qs.query.where:
            reach = ALL
        else:
            reach = SOME
    cache[model] = reach
    try:
        setattr(user, _CACHE_ATTR, cache)
    except AttributeError:
        pass
    return reach


def may_view(user: Any, obj: Any) -> bool:
    """Whether `user` may open `obj`'s page: its model's `for_user` scope includes it."""
    if obj is None or not getattr(user, "is_authenticated", False):
        return False
    model = type(obj)
    reach = _model_reach(user, model)
    if reach == ALL:
        return True
    if reach == NONE:
        return False
    return model._default_manager.for_user(user).filter(pk=obj.pk).exists()  # type: ignore[attr-defined]


def may_view_any(user: Any, model: type[models.Model]) -> bool:
    """Whether the user's scope leaves any rows of `model` (the list page is worth linking)."""
    return getattr(user, "is_authenticated", False) and _model_reach(user, model) != NONE


def url_for(user: Any, obj: Any) -> str:
    """`obj`'s page if it has one and `user` may open it, else ''."""
    get_url = getattr(obj, "get_absolute_url", None)
    if get_url is None or not may_view(user, obj):
        return ""
    return str(get_url())
