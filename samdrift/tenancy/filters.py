"""One FilterSet per list, used by the UI list and the API list alike."""

import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import django_filters
from django.core.exceptions import EmptyResultSet
from django.db.models import Q, QuerySet
from django.forms.models import ModelChoiceField, ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from samdrift.core.access import scope_for
from samdrift.tenancy.models import (
    CostCentre,
    OrgUnit,
    OrgUnitKind,
    Owner,
    Person,
    PersonKind,
    User,
)


def _owners(request) -> QuerySet[Owner]:  # type: ignore[no-untyped-def]
    if request is None:
        return Owner.objects.none()
    # The filter's options need the name only; the operator's select holds every owner (290 in
    # bench/servicedesk_queue.py), and building full Owner rows for it was a tenth of a list page.
    return Owner.objects.for_user(request.user).only("pk", "name")


def _org_units(request) -> QuerySet[OrgUnit]:  # type: ignore[no-untyped-def]
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.for_user(request.user)


# A select with more options than this is neither usable nor cheap to render (an operator of 290
# owners sees some 13,000 org units).
MAX_OPTIONS = 300


# Choice querysets (their SQL, which holds the user's scope) last seen with more than MAX_OPTIONS
# rows, and when: for a minute they are not fetched again only to learn that there are too many.
# An operator's asset list fetched 3 x 301 org units, cost centres and sites on every page for
# three "(choose an owner first)" options: a fifth of the page's CPU (bench/http_pages.py).
CROWDED_SECONDS = 60.0
_crowded: dict[str, float] = {}


class OrgUnitChoices(ModelChoiceIterator):
    """The options of an org-unit select, made when the form is rendered: every org unit the user
    may see when they are few, else those of the owner chosen in the same form. Validation is not
    narrowed: any org unit the user may see is accepted (the API takes ids)."""

    def __init__(self, field: Any, owner_id: int | None = None) -> None:
        super().__init__(field)
        self.owner_id = owner_id
        self._units: list[OrgUnit] | None = None
        self._too_many = False

    def _fetch(self) -> tuple[bool, list[OrgUnit]]:
        """(too many to offer, the units)."""
        units = self.queryset
        if self.owner_id is not None:
            units = units.filter(owner_id=self.owner_id)
        try:
            key = f"{MAX_OPTIONS}:{units.query}"
        except EmptyResultSet:  # a scope that sees nothing (`none()`): nothing to offer
            return False, []
        seen = _crowded.get(key)
        if seen is not None and time.monotonic() - seen < CROWDED_SECONDS:
            return True, []
        found = list(units[: MAX_OPTIONS + 1])
        if len(found) > MAX_OPTIONS:
            if len(_crowded) > 10_000:
                _crowded.clear()
            _crowded[key] = time.monotonic()
            return True, []
        _crowded.pop(key, None)
        return False, found

    def __iter__(self) -> Iterator[Any]:
        if self._units is None:  # the widget reads its choices twice (for the required attribute)
            self._too_many, self._units = self._fetch()
        if self._too_many:
            yield "", _("(choose an owner first)")
            return
        if self.field.empty_label is not None:
            yield "", self.field.empty_label
        for unit in self._units:
            yield self.choice(unit)

    def __len__(self) -> int:  # Django would COUNT the whole queryset
        return MAX_OPTIONS

    def __bool__(self) -> bool:
        return True


def limit_org_unit_options(form: Any, owner: Any) -> None:
    """Org-unit selects of a filter form offer few enough options to render (OrgUnitChoices)."""
    owner_id = int(owner) if isinstance(owner, str) and owner.isdigit() and len(owner) < 19 else None
    for field in form.fields.values():
        if isinstance(field, ModelChoiceField) and field.queryset is not None and field.queryset.model is OrgUnit:
            field.iterator = partial(OrgUnitChoices, owner_id=owner_id)  # type: ignore[assignment]
            field.depends_on_owner = True  # type: ignore[attr-defined]  # re-rendered when the owner changes
            field.widget.choices = field.choices  # type: ignore[attr-defined]


class SearchFilterSet(django_filters.FilterSet):
    """`q` searches the fields in `search_fields` (prefix match, case-insensitive)."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(label=_("Search"), method="search")

    @property
    def form(self) -> Any:
        if not hasattr(self, "_form"):
            limit_org_unit_options(super().form, self.data.get("owner") if self.data else None)
        return self._form

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for word in value.split()[:5]:
            part = Q()
            for field in self.search_fields:
                part |= Q(**{f"{field}__istartswith": word})
            condition &= part
        return queryset.filter(condition)


class OwnerFilter(SearchFilterSet):
    search_fields = ("name", "municipality_code", "org_number")
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Owner
        fields = ["active"]


class OrgUnitFilter(SearchFilterSet):
    search_fields = ("name", "code")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    kind = django_filters.ChoiceFilter(choices=OrgUnitKind.choices, label=_("Kind"))
    parent = django_filters.ModelChoiceFilter(queryset=_org_units, label=_("Part of"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = OrgUnit
        fields = ["owner", "kind", "parent", "active"]


class CostCentreFilter(SearchFilterSet):
    search_fields = ("code", "name", "invoice_reference")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = CostCentre
        fields = ["owner", "active"]


class PersonFilter(SearchFilterSet):
    search_fields = ("first_name", "last_name", "email", "external_id")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    kind = django_filters.ChoiceFilter(choices=PersonKind.choices, label=_("Kind"))
    org_unit = django_filters.ModelChoiceFilter(queryset=_org_units, label=_("Org unit"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Person
        fields = ["owner", "kind", "org_unit", "active"]


class UserFilter(SearchFilterSet):
    search_fields = ("username", "first_name", "last_name", "email")
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields = ["is_active"]


def owner_choices_for(user) -> QuerySet[Owner]:  # type: ignore[no-untyped-def]
    scope = scope_for(user)
    return Owner.objects.for_user(user) if scope.user_id else Owner.objects.none()
