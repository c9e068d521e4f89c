"""One FilterSet per list of take-back, used by the UI list and the API list alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from samdrift.circular.models import (
    Batch,
    BatchItem,
    BatchStatus,
    Certificate,
    ItemState,
    LossKind,
    LossReport,
    Outcome,
    Partner,
    PartnerReport,
    Problem,
    ReportLine,
    ReportState,
)
from samdrift.tenancy.filters import SearchFilterSet
from samdrift.tenancy.models import Owner


def _scoped(model: Any) -> Any:
    def queryset(request: Any) -> QuerySet:
        if request is None:
            return model.objects.none()
        return model.objects.for_user(request.user)

    return queryset


class PartnerFilter(SearchFilterSet):
    search_fields = ("name",)
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Partner
        fields = ["active"]


class BatchFilter(SearchFilterSet):
    search_fields = ("number",)
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, label=_("Status"))
    partner = django_filters.ModelChoiceFilter(queryset=_scoped(Partner), label=_("Partner"))

    class Meta:
        model = Batch
        fields = ["status", "partner"]


class BatchItemFilter(SearchFilterSet):
    search_fields = ("serial_number", "box", "seal")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))
    batch = django_filters.ModelChoiceFilter(queryset=_scoped(Batch), label=_("Batch"))
    state = django_filters.ChoiceFilter(choices=ItemState.choices, label=_("State"))
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, label=_("Outcome"))

    class Meta:
        model = BatchItem
        fields = ["owner", "batch", "state", "outcome"]


class PartnerReportFilter(django_filters.FilterSet):
    batch = django_filters.ModelChoiceFilter(queryset=_scoped(Batch), label=_("Batch"))
    status = django_filters.ChoiceFilter(choices=ReportState.choices, label=_("Status"))

    class Meta:
        model = PartnerReport
        fields = ["batch", "status"]


class ReportLineFilter(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(queryset=_scoped(PartnerReport), label=_("Report"))
    problem = django_filters.ChoiceFilter(choices=Problem.choices, label=_("Exception"))

    class Meta:
        model = ReportLine
        fields = ["report", "problem"]


class CertificateFilter(SearchFilterSet):
    search_fields = ("serial_number", "number")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))

    class Meta:
        model = Certificate
        fields = ["owner"]


class LossReportFilter(SearchFilterSet):
    search_fields = ("number", "place", "police_report", "asset__asset_tag", "asset__serial_number")
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(Owner), label=_("Owner"))
    kind = django_filters.ChoiceFilter(choices=LossKind.choices, label=_("Lost or stolen"))

    class Meta:
        model = LossReport
        fields = ["owner", "kind"]
