"""Filters of the records lists (UI and API alike)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from samdrift.records.models import (
    AccessLogEntry,
    AccessRequest,
    ArchiveExport,
    BatchStatus,
    Case,
    CaseStatus,
    Direction,
    DisposalBatch,
    ExportStatus,
    GdprKind,
    GdprRequest,
    RequestStatus,
)
from samdrift.tenancy.filters import SearchFilterSet


class CaseFilter(SearchFilterSet):
    search_fields = ("registration_number", "subject", "counterparty")
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, label=_("Status"))
    direction = django_filters.ChoiceFilter(choices=Direction.choices, label=_("Direction"))
    registered_from = django_filters.DateFilter(field_name="registered", lookup_expr="gte", label=_("From"))
    registered_to = django_filters.DateFilter(field_name="registered", lookup_expr="lte", label=_("Until"))

    class Meta:
        model = Case
        fields = ["status", "direction"]


class AccessRequestFilter(SearchFilterSet):
    search_fields = ("reference", "requester_name", "description")
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices, label=_("Status"))

    class Meta:
        model = AccessRequest
        fields = ["status"]


class DisposalBatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, label=_("Status"))

    class Meta:
        model = DisposalBatch
        fields = ["status"]


class GdprRequestFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=GdprKind.choices, label=_("Kind"))

    class Meta:
        model = GdprRequest
        fields = ["kind"]


class AccessLogFilter(django_filters.FilterSet):
    user_label = django_filters.CharFilter(label=_("User"))
    object_repr = django_filters.CharFilter(label=pgettext_lazy("records", "Record"))

    class Meta:
        model = AccessLogEntry
        fields = ["user_label", "object_repr"]


class ArchiveExportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ExportStatus.choices, label=_("Status"))

    class Meta:
        model = ArchiveExport
        fields = ["status"]
