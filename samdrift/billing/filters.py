"""Filters of the billing lists (UI and API alike)."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samdrift.billing.models import (
    Article,
    BillingPeriod,
    BillingProfile,
    Charge,
    CostPool,
    Invoice,
    InvoiceKind,
    PeriodStatus,
    Subscription,
)
from samdrift.tenancy.filters import SearchFilterSet
from samdrift.tenancy.models import Owner


def _owners(request) -> QuerySet[Owner]:  # type: ignore[no-untyped-def]
    return Owner.objects.for_user(request.user) if request is not None else Owner.objects.none()


def _periods(request) -> QuerySet[BillingPeriod]:  # type: ignore[no-untyped-def]
    return BillingPeriod.objects.all() if request is not None else BillingPeriod.objects.none()


class InvoiceFilter(SearchFilterSet):
    search_fields = ("number", "buyer_reference")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    period = django_filters.ModelChoiceFilter(queryset=_periods, label=_("Period"))
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices, label=_("Kind"))

    class Meta:
        model = Invoice
        fields = ["owner", "period", "kind"]


class PeriodFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PeriodStatus.choices, label=_("Status"))
    year = django_filters.NumberFilter(label=_("Year"), min_value=1, max_value=9999)

    class Meta:
        model = BillingPeriod
        fields = ["status", "year"]


class CostPoolFilter(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = CostPool
        fields = ["kind"]


def _articles(request) -> QuerySet[Article]:  # type: ignore[no-untyped-def]
    return Article.objects.for_user(request.user) if request is not None else Article.objects.none()


class ArticleFilter(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = Article
        fields = ["active"]


class SubscriptionFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    article = django_filters.ModelChoiceFilter(queryset=_articles, label=_("Article"))
    running = django_filters.BooleanFilter(label=_("Running today"), method="filter_running")

    class Meta:
        model = Subscription
        fields = ["owner", "article", "running"]

    def filter_running(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        running = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gte=today))
        return queryset.filter(running) if value else queryset.exclude(running)


class ChargeFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=_owners, label=_("Owner"))
    article = django_filters.ModelChoiceFilter(queryset=_articles, label=_("Article"))
    charge_date__gte = django_filters.DateFilter(field_name="charge_date", lookup_expr="gte", label=_("From"))
    charge_date__lte = django_filters.DateFilter(field_name="charge_date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Charge
        fields = ["owner", "article"]


class BillingProfileFilter(SearchFilterSet):
    search_fields = ("owner__name", "peppol_endpoint", "pdf_email")

    class Meta:
        model = BillingProfile
        fields = ["split_by_reference"]
