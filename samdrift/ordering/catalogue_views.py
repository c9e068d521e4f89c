"""The catalogue's pages (operator): suppliers, framework agreements with their price lists,
services with their prices, client packages with their lines, and approvers. One bundle per model
(samdrift.core.crud); the detail pages that show more than their fields are classes given to it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.core.access import access_object
from samdrift.core.crud import ModelViews
from samdrift.core.jobs import progress_context
from samdrift.core.views import ScopedDetailView, apply_validation_error
from samdrift.ordering import actions, imports, reports
from samdrift.ordering.filters import AgreementFilter, ApproverFilter, PackageFilter, ServiceFilter, SupplierFilter
from samdrift.ordering.forms import (
    AgreementForm,
    ApproverForm,
    PackageForm,
    PackageLineForm,
    PriceImportForm,
    ServiceForm,
    ServicePriceForm,
    SupplierForm,
)
from samdrift.ordering.models import (
    Agreement,
    AgreementArticle,
    Approver,
    ImportStatus,
    Package,
    PackageLine,
    PriceImport,
    Service,
    ServicePrice,
    Supplier,
)
from samdrift.ordering.permissions import may_write
from samdrift.ordering.tables import AgreementTable, ApproverTable, PackageTable, ServiceTable, SupplierTable
from samdrift.ordering.views import OrderingAction, _model

SUPPLIER_FIELDS = ("name", "org_number", "contact_name", "email", "phone", "channel", "attachment_format", "active")
APPROVER_FIELDS = ("owner", "cost_centre", "user", "level", "limit", "substitute", "away_from", "away_until", "active")

# --- suppliers ---------------------------------------------------------------------------------
suppliers = ModelViews(
    Supplier,
    "ordering/suppliers",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": SupplierTable,
        "filterset_class": SupplierFilter,
        "title": gettext_lazy("Suppliers"),
        "export_fields": ("name", "org_number", "contact_name", "email", "phone", "channel", "active"),
    },
    detail={"detail_fields": SUPPLIER_FIELDS},
    form={"form_class": SupplierForm},
    create_action=actions.do_create_supplier,
    update_action=actions.do_update_supplier,
    active_action=actions.do_set_supplier_active,
)


# --- agreements --------------------------------------------------------------------------------
class AgreementDetailPage(ScopedDetailView):
    """The agreement with what has been called off, its parties, prices and price imports."""

    template_name = "ordering/agreement_detail.html"
    detail_fields = (
        "reference", "name", "supplier", "start", "end", "extension_options", "extensions_taken", "max_value",
        "call_off_method", "responsible", "secret_until_award", "awarded", "handling_fee_percent", "active",
    )  # fmt: skip

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        agreement = self.object
        used = actions.called_off_value([agreement.pk]).get(agreement.pk, 0)
        context["used"] = used
        context["used_percent"] = min(100, int(used * 100 / agreement.max_value)) if agreement.max_value else 0
        context["parties"] = list(agreement.parties.all())
        today = actions.today()
        context["prices"] = (
            AgreementArticle.objects.filter(agreement=agreement, valid_from__lte=today)
            .exclude(valid_to__lt=today)
            .order_by("article_number")[:200]
        )
        context["price_count"] = (
            AgreementArticle.objects.filter(agreement=agreement, valid_from__lte=today)
            .exclude(valid_to__lt=today)
            .count()
        )
        context["imports"] = PriceImport.objects.filter(agreement=agreement).order_by("-id")[:10]
        context["import_url"] = (
            reverse("agreement_price_import", args=[agreement.pk]) if may_write(self.request.user, "catalogue") else ""
        )
        context["procurement"] = reports.joint_procurement(self.request.user, agreement.pk)
        return context


agreements = ModelViews(
    Agreement,
    "ordering/agreements",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": AgreementTable,
        "filterset_class": AgreementFilter,
        "title": gettext_lazy("Framework agreements"),
        "select_related": ("supplier",),
        "export_fields": ("reference", "name", "supplier__name", "start", "end", "max_value", "call_off_method"),
    },
    detail=AgreementDetailPage,
    form={"form_class": AgreementForm},
    create_action=actions.do_create_agreement,
    update_action=actions.do_update_agreement,
    active_action=actions.do_set_agreement_active,
)


@login_required
@_model(Agreement)
def agreement_price_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a supplier's price list: a dry run first, applied from its report page."""
    agreement = access_object(Agreement, request.user, pk)
    if not may_write(request.user, "catalogue"):
        raise PermissionDenied
    form = PriceImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imp = imports.do_check_price_list(
                agreement, upload.read(), upload.name, form.cleaned_data["valid_from"], actor=request.user
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return HttpResponseRedirect(imp.get_absolute_url())
    return render(
        request, "ordering/price_import.html", {"form": form, "object": agreement, "title": _("Import a price list")}
    )


@login_required
@_model(PriceImport)
def priceimport_detail(request: HttpRequest, pk: int) -> HttpResponse:
    imp = access_object(PriceImport, request.user, pk)
    poll_url = f"{imp.get_absolute_url()}?part=progress"
    if request.method == "POST":
        if not may_write(request.user, "catalogue"):
            raise PermissionDenied
        try:
            if "recheck" in request.POST:
                imp = imports.do_recheck_price_list(imp, actor=request.user)
            else:
                imp = imports.do_apply_price_list(imp, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if imp.is_running:
                messages.info(
                    request, _("The price list is processed in the background; this page shows its progress.")
                )
            elif imp.status == ImportStatus.IMPORTED:
                messages.success(request, _("The price list has been imported."))
        return HttpResponseRedirect(imp.get_absolute_url())
    if getattr(request, "htmx", False) and request.GET.get("part") == "progress":
        return render(
            request,
            "core/_job_progress.html",
            progress_context(imp, poll_url=poll_url, after="ordering/_priceimport_done.html"),
        )
    imp.agreement = Agreement.objects.get(pk=imp.agreement_id)
    may = may_write(request.user, "catalogue")
    return render(
        request,
        "ordering/priceimport_detail.html",
        {
            "object": imp,
            "report": imp.report,
            "may_apply": may and imp.status == ImportStatus.CHECKED,
            "may_recheck": may and imp.status in {ImportStatus.FAILED, ImportStatus.UPLOADED},
            "progress_url": poll_url,
        },
    )


# --- service catalogue -------------------------------------------------------------------------
class ServiceDetailPage(ScopedDetailView):
    """The service with its prices over time, and the form for a new price."""

    template_name = "ordering/service_detail.html"
    detail_fields = ("code", "name", "kind", "unit", "description", "sla", "orderable_by", "billing_article", "active")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["prices"] = ServicePrice.objects.filter(service=self.object).order_by("-valid_from")
        if may_write(self.request.user, "catalogue"):
            context["price_form"] = ServicePriceForm()
            context["price_url"] = reverse("service_price", args=[self.object.pk])
        return context


services = ModelViews(
    Service,
    "ordering/services",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": ServiceTable,
        "filterset_class": ServiceFilter,
        "title": gettext_lazy("Services"),
        "export_fields": ("code", "name", "kind", "unit", "active"),
    },
    detail=ServiceDetailPage,
    form={"form_class": ServiceForm},
    create_action=actions.do_create_service,
    update_action=actions.do_update_service,
    active_action=actions.do_set_service_active,
)


class _CatalogueAction(OrderingAction):
    """A POST on the catalogue by operator staff who may change it; back to the service or package."""

    def allowed(self, user: Any, obj: Any) -> bool:
        return may_write(user, "catalogue")


class ServicePriceSet(_CatalogueAction):
    """A new price of the service from a date."""

    model = Service
    form_class = ServicePriceForm

    def perform(self, service: Service, data: dict[str, Any]) -> Any:
        actions.do_set_service_price(service, data["price"], data["valid_from"], actor=self.request.user)
        return _("Saved.")


# --- client packages ---------------------------------------------------------------------------
class PackageDetailPage(ScopedDetailView):
    """The package with its lines and price, and the form for another line."""

    template_name = "ordering/package_detail.html"
    detail_fields = ("code", "name", "description", "active")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        package = Package.objects.prefetch_related(
            "lines__service", "lines__agreement", "lines__asset_model", "lines__billing_article"
        ).get(pk=self.object.pk)
        context["lines"] = package.lines.all()
        context["price"] = actions.price_packages([package], actions.today())[package.pk]
        if may_write(self.request.user, "catalogue"):
            context["line_form"] = PackageLineForm(user=self.request.user)
            context["line_url"] = reverse("package_add_line", args=[package.pk])
        return context


packages = ModelViews(
    Package,
    "ordering/packages",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": PackageTable,
        "filterset_class": PackageFilter,
        "title": gettext_lazy("Client packages"),
        "export_fields": ("code", "name", "active"),
    },
    detail=PackageDetailPage,
    form={"form_class": PackageForm},
    create_action=actions.do_create_package,
    update_action=actions.do_update_package,
    active_action=actions.do_set_package_active,
)


class PackageAddLine(_CatalogueAction):
    model = Package
    form_class = PackageLineForm

    def form_kwargs(self, package: Package) -> dict[str, Any]:
        return {"user": self.request.user}

    def perform(self, package: Package, data: dict[str, Any]) -> Any:
        actions.do_add_package_line(package, data, actor=self.request.user)
        return _("Saved.")


class PackageRemoveLine(_CatalogueAction):
    """Take a line out of its package; back to the package."""

    model = PackageLine

    def perform(self, line: PackageLine, data: dict[str, Any]) -> Any:
        actions.do_remove_package_line(line, actor=self.request.user)
        return _("The line was removed.")

    def redirect_url(self, line: PackageLine) -> str:
        return str(line.package.get_absolute_url())


# --- approvers ---------------------------------------------------------------------------------
approvers = ModelViews(
    Approver,
    "ordering/approvers",
    thing="approver",
    may_write=may_write,
    list={
        "table_class": ApproverTable,
        "filterset_class": ApproverFilter,
        "title": gettext_lazy("Approvers"),
        "select_related": ("user", "owner", "cost_centre", "substitute"),
        "export_fields": ("owner__name", "cost_centre__code", "user__username", "level", "limit", "active"),
    },
    detail={"detail_fields": APPROVER_FIELDS},
    form={"form_class": ApproverForm},
    create_action=actions.do_create_approver,
    update_action=actions.do_update_approver,
    active_action=actions.do_set_approver_active,
)
