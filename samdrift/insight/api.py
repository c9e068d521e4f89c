"""The insight figures for the owners' own BI tools: /api/v1/insight/… (read-only, scoped)."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from samdrift.core.api import ERRORS
from samdrift.insight.models import Dimension, OwnerMonth, OwnerMonthBreakdown, OwnerMonthLeadTime, Stage


class OwnerMonthSerializer(serializers.ModelSerializer):
    cost_per_employee = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    cost_per_pupil = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    sla_attainment = serializers.DecimalField(max_digits=5, decimal_places=1, read_only=True, allow_null=True)
    csat_average = serializers.DecimalField(max_digits=4, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = OwnerMonth
        exclude = ["refreshed_at"]


class BreakdownSerializer(serializers.ModelSerializer):
    class Meta:
        model = OwnerMonthBreakdown
        fields = ["id", "owner", "month", "dimension", "key", "label", "amount", "count"]


class LeadTimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OwnerMonthLeadTime
        fields = ["id", "owner", "month", "stage", "lines", "median_days", "p90_days"]


class MonthFilter(django_filters.FilterSet):
    owner = django_filters.NumberFilter(field_name="owner_id", min_value=1, max_value=2**31 - 1)
    month_from = django_filters.DateFilter(field_name="month", lookup_expr="gte")
    month_to = django_filters.DateFilter(field_name="month", lookup_expr="lte")


class OwnerMonthFilter(MonthFilter):
    class Meta:
        model = OwnerMonth
        fields = ["owner"]


class BreakdownFilter(MonthFilter):
    dimension = django_filters.ChoiceFilter(choices=Dimension.choices)

    class Meta:
        model = OwnerMonthBreakdown
        fields = ["owner", "dimension"]


class LeadTimeFilter(MonthFilter):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)

    class Meta:
        model = OwnerMonthLeadTime
        fields = ["owner", "stage"]


class ScopedList(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A list only: a BI tool reads the figures by owner and month, never one row by id."""

    def get_queryset(self) -> Any:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]


class ScopedReadOnly(mixins.RetrieveModelMixin, ScopedList):
    lookup_value_regex = r"[0-9]+"


@extend_schema_view(list=extend_schema(responses={200: OwnerMonthSerializer(many=True), **ERRORS}))
@extend_schema(responses={200: OwnerMonthSerializer, **ERRORS})
class OwnerMonthViewSet(ScopedReadOnly):
    """Per owner and month: cost, headcount, service, delivery and device figures."""

    queryset = OwnerMonth.objects.order_by("owner_id", "month")
    serializer_class = OwnerMonthSerializer
    filterset_class = OwnerMonthFilter


@extend_schema_view(list=extend_schema(responses={200: BreakdownSerializer(many=True), **ERRORS}))
class BreakdownViewSet(ScopedList):
    """Per owner and month: cost by service and by cost centre, tickets by category."""

    queryset = OwnerMonthBreakdown.objects.order_by("owner_id", "month", "dimension", "key")
    serializer_class = BreakdownSerializer
    filterset_class = BreakdownFilter


@extend_schema_view(list=extend_schema(responses={200: LeadTimeSerializer(many=True), **ERRORS}))
class LeadTimeViewSet(ScopedList):
    """Per owner, month and stage: order lead time, median and 90th percentile (days)."""

    queryset = OwnerMonthLeadTime.objects.order_by("owner_id", "month", "stage")
    serializer_class = LeadTimeSerializer
    filterset_class = LeadTimeFilter


def register(router: Any) -> None:
    router.register("insight/months", OwnerMonthViewSet)
    router.register("insight/breakdowns", BreakdownViewSet)
    router.register("insight/lead-times", LeadTimeViewSet)
