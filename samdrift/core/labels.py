"""Model labels as the audit trail wrote them.

Every audit event names its object by the model's label (`servicedesk.knowledgearticle`). Events
are hash-chained and never rewritten, so when a model is renamed its earlier events keep the old
label. A renamed model declares the labels it had in `FORMER_LABELS`; readers of the trail go
through this module so that an object's history includes its events from before the rename, and an
event under an old label is masked by the same scope rule as one under the new label.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.db import models


@cache
def _former() -> dict[str, type[models.Model]]:
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models():
        for label in getattr(model, "FORMER_LABELS", ()):
            assert label not in found, f"{label} is claimed by {found[label]} and {model}"
            found[label] = model
    return found


def model_for_label(label: str) -> type[models.Model] | None:
    """The model an event's `object_type` names, under its current or a former label."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return _former().get(label.lower())


def labels_of(model: type[models.Model]) -> tuple[str, ...]:
    """Every label the trail may hold for `model`: its own first, then its former ones."""
    return (model._meta.label_lower, *getattr(model, "FORMER_LABELS", ()))


def about_label(queryset: models.QuerySet, label: str) -> models.QuerySet:
    """Events (or outbox messages) whose `object_type` is `label` or, for a model, any of its labels."""
    model = model_for_label(label)
    return queryset.filter(object_type__in=labels_of(model) if model is not None else [label])
