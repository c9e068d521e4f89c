"""Finance's reference screens: articles, billing profiles, subscriptions, charges, pools, work-type rates and key figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.billing import actions
from samdrift.billing.filters import (
    ArticleFilter,
    BillingProfileFilter,
    ChargeFilter,
    SubscriptionFilter,
)
from samdrift.billing.forms import (
    AllocationFiguresForm,
    AllocationKeyForm,
    ArticleEditForm,
    ArticleForm,
    BillingProfileEditForm,
    BillingProfileForm,
    ChargeEditForm,
    ChargeForm,
    CostPoolEditForm,
    CostPoolForm,
    SubscriptionEditForm,
    SubscriptionForm,
    WorkTypeRateEditForm,
    WorkTypeRateForm,
)
from samdrift.billing.models import (
    AllocationKey,
    Article,
    BillingProfile,
    Charge,
    CostPool,
    Subscription,
    WorkTypeRate,
)
from samdrift.billing.tables import (
    ArticleTable,
    BillingProfileTable,
    ChargeTable,
    SubscriptionTable,
    WorkTypeRateTable,
)
from samdrift.billing.views import is_finance
from samdrift.core.access import access_object
from samdrift.core.crud import ModelViews
from samdrift.core.views import ActionFormView, ScopedListView, apply_validation_error

# --- finance screens: articles, subscriptions, charges, pools and keys, work-type rates ------


def _may_write(user: Any, obj: Any = None) -> bool:
    return is_finance(user)


# Each model's list, detail, form and history pages and their URLs come from core's ModelViews;
# only what differs is declared here. Finance writes; the scoped layer decides who reads.

articles = ModelViews(
    Article,
    "billing/articles",
    may_write=_may_write,
    list={
        "table_class": ArticleTable,
        "filterset_class": ArticleFilter,
        "title": gettext_lazy("Articles"),
        "export_fields": ("code", "name", "unit_code", "unit_price", "revenue_account", "vat_rate", "active"),
    },
    detail={"detail_fields": ("code", "name", "unit_code", "unit_price", "revenue_account", "vat_rate", "active")},
    form={"form_class": ArticleForm},
    edit_form_class=ArticleEditForm,
    create_action=actions.do_create_article,
    update_action=actions.do_update_article,
)

_PROFILE_FIELDS = ("owner", "default_cost_centre", "split_by_reference", "payment_days", "peppol_endpoint", "pdf_email")
billing_profiles = ModelViews(
    BillingProfile,
    "billing/profiles",
    may_write=_may_write,
    list={
        "table_class": BillingProfileTable,
        "filterset_class": BillingProfileFilter,
        "title": gettext_lazy("Billing profiles"),
        "export_fields": _PROFILE_FIELDS,
    },
    detail={"detail_fields": _PROFILE_FIELDS},
    form={"form_class": BillingProfileForm},
    edit_form_class=BillingProfileEditForm,
    create_action=actions.do_save_billing_profile,
    update_action=actions.do_update_billing_profile,
)


class _SubscriptionList(ScopedListView):
    table_class = SubscriptionTable
    filterset_class = SubscriptionFilter
    select_related = ("owner", "cost_centre", "article")
    title = gettext_lazy("Subscriptions")
    export_fields = (
        "id",
        "owner__name",
        "cost_centre__code",
        "article__code",
        "description",
        "monthly_price",
        "start",
        "end",
        "external_ref",
    )

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-id")  # the primary key serves every page


subscriptions = ModelViews(
    Subscription,
    "billing/subscriptions",
    may_write=_may_write,
    list=_SubscriptionList,
    detail={
        "detail_fields": (
            "owner",
            "cost_centre",
            "article",
            "description",
            "monthly_price",
            "start",
            "end",
            "external_ref",
        )
    },
    form={"form_class": SubscriptionForm},
    edit_form_class=SubscriptionEditForm,
    create_action=actions.do_create_subscription,
    update_action=actions.do_update_subscription,
)

charges = ModelViews(
    Charge,
    "billing/charges",
    may_write=_may_write,
    list={
        "table_class": ChargeTable,
        "filterset_class": ChargeFilter,
        "select_related": ("owner", "cost_centre", "article"),
        "title": gettext_lazy("One-time charges"),
        "export_fields": (
            "charge_date",
            "owner__name",
            "cost_centre__code",
            "article__code",
            "description",
            "quantity",
            "unit_price",
            "amount",
            "external_ref",
        ),
    },
    detail={
        "detail_fields": (
            "owner",
            "cost_centre",
            "article",
            "description",
            "charge_date",
            "quantity",
            "unit_price",
            "amount",
            "external_ref",
        )
    },
    form={"form_class": ChargeForm},
    edit_form_class=ChargeEditForm,
    create_action=actions.do_create_charge,
    update_action=actions.do_update_charge,
)

work_type_rates = ModelViews(
    WorkTypeRate,
    "billing/rates",
    may_write=_may_write,
    list={
        "table_class": WorkTypeRateTable,
        "select_related": ("article",),
        "title": gettext_lazy("Hourly rates of work types"),
        "export_fields": ("work_type", "valid_from", "article__code", "hourly_rate"),
    },
    detail={"detail_fields": ("work_type", "valid_from", "article", "hourly_rate")},
    form={"form_class": WorkTypeRateForm},
    edit_form_class=WorkTypeRateEditForm,
    create_action=actions.do_save_work_type_rate,
    update_action=actions.do_update_work_type_rate,
)

ArticleList, ArticleDetail, ArticleFormView = articles.list_view, articles.detail_view, articles.form_view
BillingProfileList, BillingProfileDetail, BillingProfileFormView = (
    billing_profiles.list_view,
    billing_profiles.detail_view,
    billing_profiles.form_view,
)
SubscriptionList, SubscriptionDetail, SubscriptionFormView = (
    subscriptions.list_view,
    subscriptions.detail_view,
    subscriptions.form_view,
)
ChargeList, ChargeDetail, ChargeFormView = charges.list_view, charges.detail_view, charges.form_view
WorkTypeRateList, WorkTypeRateDetail, WorkTypeRateFormView = (
    work_type_rates.list_view,
    work_type_rates.detail_view,
    work_type_rates.form_view,
)


class CostPoolFormView(ActionFormView):
    model = CostPool
    create_action = actions.do_create_cost_pool
    update_action = actions.do_update_cost_pool
    may_write = staticmethod(_may_write)
    success_url_name = "costpool_detail"

    def get_form_class(self) -> Any:
        return CostPoolEditForm if self.object else CostPoolForm


def _figures_text(key: AllocationKey) -> str:
    return "\n".join(
        f"{code};{format(figure.normalize(), 'f')}"
        for code, figure in key.figures.order_by("owner__municipality_code").values_list(
            "owner__municipality_code", "figure"
        )
    )


@login_required
def key_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new allocation key for a pool, with the figures given or taken from Samdrift."""
    pool = access_object(CostPool, request.user, pk)
    if not is_finance(request.user):
        raise PermissionDenied
    form = AllocationKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_create_allocation_key(
                pool,
                basis=data["basis"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                figures=data["figures"],
                note=data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(pool.get_absolute_url())
    return render(
        request,
        "core/form.html",
        {"form": form, "object": pool, "title": _("New allocation key for %(pool)s") % {"pool": pool}},
    )


key_create.model = CostPool  # type: ignore[attr-defined]


@login_required
def key_figures(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a key's figures, as long as no closed period was split by it."""
    key = access_object(AllocationKey, request.user, pk, queryset=AllocationKey.objects.select_related("pool"))
    if not is_finance(request.user):
        raise PermissionDenied
    form = AllocationFiguresForm(request.POST or None, initial={"figures": _figures_text(key)})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_allocation_figures(key, form.cleaned_data["figures"], actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(key.pool.get_absolute_url())
    return render(
        request,
        "core/form.html",
        {"form": form, "object": key.pool, "title": _("Figures of the key %(key)s") % {"key": key}},
    )


key_figures.model = AllocationKey  # type: ignore[attr-defined]
