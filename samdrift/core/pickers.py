"""Search-as-you-type pickers for lists too long for a drop-down (an owner has thousands of people
and devices): the widget shows the chosen object and a search box; htmx asks `pick/<kind>/` for
the first matches, read through the same scoped layer (`for_user`) as every other page, so a picker
offers nothing its user could not open.

A picker can be narrowed to one owner (a device is handed out only to a person of its own owner):
`SearchPicker(kind).within(owner_id)` sends the owner along, and when the form has a field that
chooses the owner (moving a device to another owner), `follow="owner"` makes the choice in that
field win. Narrowing only filters what the scope already allows.

Apps register what can be picked from their AppConfig.ready() (`register_picker`); core imports
no capability.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

MIN_LETTERS = 2
LIMIT = 20


@dataclass(frozen=True)
class Picker:
    model: Any
    search_fields: tuple[str, ...]
    order_by: tuple[str, ...]
    select_related: tuple[str, ...] = ()
    active_field: str | None = "active"
    owner_field: str | None = "owner"


PICKERS: dict[str, Picker] = {}


def register_picker(kind: str, picker: Picker) -> None:
    PICKERS[kind] = picker


def search(kind: str, user: Any, text: str, limit: int = LIMIT, *, owner_id: int | None = None) -> list[Any]:
    picker = PICKERS[kind]
    words = text.split()
    if len(text.strip()) < MIN_LETTERS:
        return []
    qs = picker.model.objects.for_user(user)
    if picker.active_field:
        qs = qs.filter(**{picker.active_field: True})
    if owner_id is not None and picker.owner_field:
        qs = qs.filter(**{f"{picker.owner_field}_id": owner_id})
    for word in words[:5]:
        match = Q()
        for name in picker.search_fields:
            match |= Q(**{f"{name}__icontains": word})
        qs = qs.filter(match)
    if picker.select_related:
        qs = qs.select_related(*picker.select_related)
    return list(qs.order_by(*picker.order_by)[:limit])


class SearchPicker(forms.Select):
    """One object chosen by searching: a radio button for the choice, a search box for more."""

    template_name = "samdrift/widgets/search_picker.html"

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None, *, follow: str | None = None) -> None:
        super().__init__(attrs)
        self.kind = kind
        self.owner_id: int | None = None
        self.follow = follow  # the name of a field in the same form that chooses the owner

    def within(self, owner_id: int | None) -> SearchPicker:
        """Offer only what belongs to this owner (unless the followed field chooses another)."""
        self.owner_id = owner_id
        return self

    def optgroups(self, name: str, value: Any, attrs: Any = None) -> list[Any]:
        return []  # never render the whole list

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = None
        raw = value[0] if isinstance(value, list | tuple) and value else value
        queryset = getattr(self.choices, "queryset", None)
        if raw not in (None, "") and str(raw).isdigit() and queryset is not None:
            chosen = queryset.filter(pk=int(raw)).first()
        context["widget"]["chosen"] = chosen
        context["widget"]["search_url"] = reverse("core_pick", args=[self.kind])
        values: dict[str, Any] = {"field": name}
        if self.owner_id is not None:
            values["within"] = self.owner_id
        context["widget"]["hx_vals"] = json.dumps(values)
        context["widget"]["follow"] = self.follow
        context["widget"]["required"] = self.is_required
        return context


def _owner_param(request: HttpRequest) -> int | None:
    """The owner to narrow to: one chosen in the form's owner field wins over the form's default."""
    for key in ("owner", "within"):
        raw = request.GET.get(key, "")
        if raw.isdigit() and len(raw) < 19:
            return int(raw)
    return None


@login_required
@require_GET
def pick(request: HttpRequest, kind: str) -> HttpResponse:
    """htmx: the first matches for what is typed, as radio buttons named like the form field."""
    if kind not in PICKERS:
        raise Http404
    field = request.GET.get("field", "")[:60]
    if not field.replace("_", "").isalnum():
        raise Http404
    text = request.GET.get(f"{field}__search", "")[:100]
    results = search(kind, request.user, text, owner_id=_owner_param(request))
    return render(
        request,
        "samdrift/widgets/search_picker_results.html",
        {"results": results, "field": field, "typed": len(text.strip()) >= MIN_LETTERS, "limit": LIMIT},
    )
