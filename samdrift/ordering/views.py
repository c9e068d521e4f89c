"""Ordering pages: the catalogue and agreements (operator), the orderer's shop, orders with their
approval, purchase orders with confirmation and delivery, lead times and joint procurement.

Views are thin: they fetch through the scoped layer, parse a form, call one action and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from samdrift.core.access import access_object, scope_for
from samdrift.core.actionviews import ObjectActionView
from samdrift.core.jobs import progress_context
from samdrift.core.outbox import may_see_outbox, messages_about
from samdrift.core.roles import Role
from samdrift.core.views import (
    ActionFormView,
    HistoryView,
    ScopedDetailView,
    ScopedListView,
    SetActiveView,
    apply_validation_error,
    permission_checks,
)
from samdrift.ordering import actions, imports, purchasing, reports
from samdrift.ordering.filters import (
    AgreementFilter,
    ApproverFilter,
    OrderFilter,
    OrderLineFilter,
    PackageFilter,
    ServiceFilter,
    SupplierFilter,
)
from samdrift.ordering.forms import (
    MAX_ORDER_ITEMS,
    AgreementForm,
    ApproverForm,
    DecisionForm,
    OrderForm,
    OrderItemFormSet,
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
    Order,
    OrderLine,
    OrderStatus,
    Package,
    PackageLine,
    PriceImport,
    PurchaseOrder,
    Service,
    ServicePrice,
    Supplier,
)
from samdrift.ordering.permissions import may_write
from samdrift.ordering.tables import (
    AgreementTable,
    ApproverTable,
    OrderLineTable,
    OrderTable,
    PackageTable,
    ServiceTable,
    SupplierTable,
)
from samdrift.tenancy.models import Person

_writer, _creator = permission_checks(may_write)


def _model(model: Any) -> Any:
    """Name the model a function view's <pk> refers to (the isolation test reads it)."""

    def mark(view: Any) -> Any:
        view.model = model
        return view

    return mark


# --- suppliers ---------------------------------------------------------------------------------
class SupplierList(ScopedListView):
    model, table_class, filterset_class = Supplier, SupplierTable, SupplierFilter
    title = gettext_lazy("Suppliers")
    export_fields = ("name", "org_number", "contact_name", "email", "phone", "channel", "active")
    create_url_name = "supplier_create"
    may_create = _creator("catalogue")


class SupplierDetail(ScopedDetailView):
    model = Supplier
    detail_fields = ("name", "org_number", "contact_name", "email", "phone", "channel", "attachment_format", "active")
    edit_url_name, history_url_name, active_url_name = "supplier_edit", "supplier_history", "supplier_active"
    may_edit = _writer("catalogue")


class SupplierFormView(ActionFormView):
    model, form_class = Supplier, SupplierForm
    create_action, update_action = actions.do_create_supplier, actions.do_update_supplier
    may_write = _writer("catalogue")
    success_url_name = "supplier_detail"


class SupplierActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Supplier, actions.do_set_supplier_active, _writer("catalogue"), "supplier_detail",
    )  # fmt: skip


class SupplierHistory(HistoryView):
    model = Supplier


# --- agreements --------------------------------------------------------------------------------
class AgreementList(ScopedListView):
    model, table_class, filterset_class = Agreement, AgreementTable, AgreementFilter
    title = gettext_lazy("Framework agreements")
    select_related = ("supplier",)
    export_fields = ("reference", "name", "supplier__name", "start", "end", "max_value", "call_off_method")
    create_url_name = "agreement_create"
    may_create = _creator("catalogue")


class AgreementDetail(ScopedDetailView):
    model = Agreement
    template_name = "ordering/agreement_detail.html"
    detail_fields = (
        "reference", "name", "supplier", "start", "end", "extension_options", "extensions_taken", "max_value",
        "call_off_method", "responsible", "secret_until_award", "awarded", "handling_fee_percent", "active",
    )  # fmt: skip
    edit_url_name, history_url_name, active_url_name = "agreement_edit", "agreement_history", "agreement_active"
    may_edit = _writer("catalogue")

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


class AgreementFormView(ActionFormView):
    model, form_class = Agreement, AgreementForm
    create_action, update_action = actions.do_create_agreement, actions.do_update_agreement
    may_write = _writer("catalogue")
    success_url_name = "agreement_detail"


class AgreementActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Agreement, actions.do_set_agreement_active, _writer("catalogue"), "agreement_detail",
    )  # fmt: skip


class AgreementHistory(HistoryView):
    model = Agreement


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
class ServiceList(ScopedListView):
    model, table_class, filterset_class = Service, ServiceTable, ServiceFilter
    title = gettext_lazy("Services")
    export_fields = ("code", "name", "kind", "unit", "active")
    create_url_name = "service_create"
    may_create = _creator("catalogue")


class ServiceDetail(ScopedDetailView):
    model = Service
    template_name = "ordering/service_detail.html"
    detail_fields = ("code", "name", "kind", "unit", "description", "sla", "orderable_by", "billing_article", "active")
    edit_url_name, history_url_name, active_url_name = "service_edit", "service_history", "service_active"
    may_edit = _writer("catalogue")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["prices"] = ServicePrice.objects.filter(service=self.object).order_by("-valid_from")
        if may_write(self.request.user, "catalogue"):
            context["price_form"] = ServicePriceForm()
            context["price_url"] = reverse("service_price", args=[self.object.pk])
        return context


class ServiceFormView(ActionFormView):
    model, form_class = Service, ServiceForm
    create_action, update_action = actions.do_create_service, actions.do_update_service
    may_write = _writer("catalogue")
    success_url_name = "service_detail"


class ServiceActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Service, actions.do_set_service_active, _writer("catalogue"), "service_detail",
    )  # fmt: skip


class ServiceHistory(HistoryView):
    model = Service


@login_required
@require_POST
@_model(Service)
def service_price(request: HttpRequest, pk: int) -> HttpResponse:
    service = access_object(Service, request.user, pk)
    if not may_write(request.user, "catalogue"):
        raise PermissionDenied
    form = ServicePriceForm(request.POST)
    if form.is_valid():
        try:
            actions.do_set_service_price(
                service, form.cleaned_data["price"], form.cleaned_data["valid_from"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return HttpResponseRedirect(service.get_absolute_url())


class PackageList(ScopedListView):
    model, table_class, filterset_class = Package, PackageTable, PackageFilter
    title = gettext_lazy("Client packages")
    export_fields = ("code", "name", "active")
    create_url_name = "package_create"
    may_create = _creator("catalogue")


class PackageDetail(ScopedDetailView):
    model = Package
    template_name = "ordering/package_detail.html"
    detail_fields = ("code", "name", "description", "active")
    edit_url_name, history_url_name, active_url_name = "package_edit", "package_history", "package_active"
    may_edit = _writer("catalogue")

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


class PackageFormView(ActionFormView):
    model, form_class = Package, PackageForm
    create_action, update_action = actions.do_create_package, actions.do_update_package
    may_write = _writer("catalogue")
    success_url_name = "package_detail"


class PackageActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Package, actions.do_set_package_active, _writer("catalogue"), "package_detail",
    )  # fmt: skip


class PackageHistory(HistoryView):
    model = Package


@login_required
@require_POST
@_model(Package)
def package_add_line(request: HttpRequest, pk: int) -> HttpResponse:
    package = access_object(Package, request.user, pk)
    if not may_write(request.user, "catalogue"):
        raise PermissionDenied
    form = PackageLineForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            actions.do_add_package_line(package, form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return HttpResponseRedirect(package.get_absolute_url())


@login_required
@require_POST
@_model(PackageLine)
def package_remove_line(request: HttpRequest, pk: int) -> HttpResponse:
    line = access_object(PackageLine, request.user, pk)
    if not may_write(request.user, "catalogue"):
        raise PermissionDenied
    package = line.package
    actions.do_remove_package_line(line, actor=request.user)
    messages.success(request, _("The line was removed."))
    return HttpResponseRedirect(package.get_absolute_url())


# --- approvers ---------------------------------------------------------------------------------
class ApproverList(ScopedListView):
    model, table_class, filterset_class = Approver, ApproverTable, ApproverFilter
    title = gettext_lazy("Approvers")
    select_related = ("user", "owner", "cost_centre", "substitute")
    export_fields = ("owner__name", "cost_centre__code", "user__username", "level", "limit", "active")
    create_url_name = "approver_create"
    may_create = _creator("approver")


class ApproverDetail(ScopedDetailView):
    model = Approver
    detail_fields = (
        "owner",
        "cost_centre",
        "user",
        "level",
        "limit",
        "substitute",
        "away_from",
        "away_until",
        "active",
    )
    edit_url_name, history_url_name, active_url_name = "approver_edit", "approver_history", "approver_active"
    may_edit = _writer("approver")


class ApproverFormView(ActionFormView):
    model, form_class = Approver, ApproverForm
    create_action, update_action = actions.do_create_approver, actions.do_update_approver
    may_write = _writer("approver")
    success_url_name = "approver_detail"


class ApproverActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Approver, actions.do_set_approver_active, _writer("approver"), "approver_detail",
    )  # fmt: skip


class ApproverHistory(HistoryView):
    model = Approver


# --- the orderer's shop and orders -------------------------------------------------------------
def _order_owner_ids(user: Any) -> list[int]:
    # Operator staff order through the API; the form lists one owner's people, the orderer's own.
    return scope_for(user).owner_ids({Role.ORDERER})


RECIPIENT_RESULTS = 20


@login_required
def recipient_search(request: HttpRequest) -> HttpResponse:
    """People of the orderer's owner matching every word typed (start of first or last name, e-mail
    or employee number): at most 20, as ticks for the order form. One query."""
    owner_ids = _order_owner_ids(request.user)
    if not owner_ids:
        raise PermissionDenied
    text = (request.GET.get("recipients_search") or request.GET.get("q") or "").strip()
    words = text.split()[:5]
    people: list[Person] = []
    if len(text) >= 2:
        condition = Q()
        for word in words:
            condition &= (
                Q(first_name__istartswith=word)
                | Q(last_name__istartswith=word)
                | Q(email__istartswith=word)
                | Q(external_id__istartswith=word)
            )
        people = list(
            Person.objects.for_user(request.user)
            .filter(condition, owner_id__in=owner_ids, active=True)
            .select_related("org_unit")
            .order_by("last_name", "first_name", "id")[: RECIPIENT_RESULTS + 1]
        )
    return render(
        request,
        "ordering/_recipient_results.html",
        {
            "people": people[:RECIPIENT_RESULTS],
            "more": len(people) > RECIPIENT_RESULTS,
            "searched": len(text) >= 2,
            "name": "recipients",
        },
    )


@login_required
def order_shop(request: HttpRequest) -> HttpResponse:
    """Pick packages and services, the recipients, the cost centre and where to deliver.

    An order holds up to MAX_ORDER_ITEMS rows, and every recipient gets each of them. *Add another*
    adds a row in the browser, a copy of the formset's empty row (the recipient search needs
    JavaScript anyway)."""
    owner_ids = _order_owner_ids(request.user)
    if not owner_ids:
        raise PermissionDenied
    day = actions.today()
    packages = list(Package.objects.filter(active=True).prefetch_related("lines__service", "lines__agreement"))
    # Only the services the orderer's roles may order on their own (packages carry the rest).
    scope = scope_for(request.user)
    held = set().union(*(scope.roles_in(owner_id) for owner_id in owner_ids))
    services = [s for s in Service.objects.filter(active=True) if actions.may_order_service(scope, held, s)]
    package_prices = actions.price_packages(packages, day)
    service_prices = actions.price_services(services, day)
    catalogue = {"packages": packages, "services": services}
    initial = []
    for kind, key in (("package", "p"), ("service", "s")):
        if request.GET.get(kind, "").isdigit():
            initial.append({"item": f"{key}:{request.GET[kind]}"})
    data = request.POST if request.method == "POST" else None
    form = OrderForm(data, user=request.user, owner_ids=owner_ids)
    items = OrderItemFormSet(data, prefix="items", initial=initial or None, form_kwargs=catalogue)
    form_ok = data is not None and form.is_valid()
    if data is not None and items.is_valid() and form_ok:
        recipients = list(form.cleaned_data["recipients"])
        try:
            picked = items.items(recipients)  # type: ignore[attr-defined]  # BaseOrderItemFormSet
            order = actions.do_create_order(form.cleaned_data, picked, actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Order %(n)s has been sent for approval.") % {"n": order.number})
            return HttpResponseRedirect(order.get_absolute_url())
    prices = {f"p:{p.pk}": package_prices[p.pk] for p in packages} | {
        f"s:{s.pk}": service_prices[s.pk] for s in services
    }
    return render(
        request,
        "ordering/shop.html",
        {
            "form": form,
            "items": items,
            "has_errors": bool(form.errors or items.total_error_count()),
            "max_items": MAX_ORDER_ITEMS,
            "packages": [(p, package_prices[p.pk]) for p in packages],
            "services": [(s, service_prices[s.pk]) for s in services],
            "prices": {k: {"one_time": str(v.one_time), "monthly": str(v.monthly)} for k, v in prices.items()},
        },
    )


class OrderList(ScopedListView):
    model, table_class, filterset_class = Order, OrderTable, OrderFilter
    title = gettext_lazy("Orders")
    select_related = ("owner", "cost_centre")
    export_fields = (
        "id",
        "owner__name",
        "cost_centre__code",
        "status",
        "one_time_total",
        "monthly_total",
        "submitted_at",
    )


class ApprovalQueue(OrderList):
    """Orders awaiting approval on the cost centres of the owners where the user approves."""

    title = gettext_lazy("Awaiting my approval")

    def get_queryset(self) -> Any:
        from django.db.models import Q

        user = self.request.user
        mine = Approver.objects.filter(active=True).filter(Q(user_id=user.pk) | Q(substitute_id=user.pk))
        return (
            super()
            .get_queryset()
            .filter(status=OrderStatus.SUBMITTED, owner_id__in=mine.values("owner_id"))
            .exclude(orderer_id=user.pk)
        )


class MyOrderLines(ScopedListView):
    """The recipient's (and orderer's) view: the lines they follow."""

    model, table_class, filterset_class = OrderLine, OrderLineTable, OrderLineFilter
    title = gettext_lazy("My orders")

    def get_queryset(self) -> Any:
        scope = scope_for(self.request.user)
        qs = super().get_queryset().annotate(expected_delivery=Max("po_lines__confirmed_delivery"))
        return (
            qs.filter(recipient_id=scope.person_id)
            if scope.person_id
            else qs.filter(order__orderer_id=self.request.user.pk)
        )


@login_required
@_model(Order)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = access_object(
        Order,
        request.user,
        pk,
        queryset=Order.objects.select_related("owner", "cost_centre", "orderer", "delivery_site", "decided_by"),
    )
    lines = list(
        OrderLine.objects.filter(order=order)
        .select_related("recipient", "package", "service")
        .annotate(expected_delivery=Max("po_lines__confirmed_delivery"))  # from the supplier's confirmation
        .order_by("id")
    )
    from samdrift.assets.permissions import person_label

    for line in lines:
        line.recipient_label = person_label(request.user, line.recipient)  # type: ignore[attr-defined]
    user = request.user
    may_decide = actions.may_decide(order, user)
    may_buy = may_write(user, "purchasing", order.owner_id)
    purchase_orders = list(PurchaseOrder.objects.filter(order=order).select_related("supplier"))
    outbox_messages = messages_about(
        user, [("ordering.order", [order.pk]), ("ordering.purchaseorder", [po.pk for po in purchase_orders])]
    )
    return render(
        request,
        "ordering/order_detail.html",
        {
            "object": order,
            "lines": lines,
            "purchase_orders": purchase_orders,
            # The approval requests, decisions and purchase orders mailed, with their delivery status.
            "outbox_messages": outbox_messages,
            "may_see_outbox": may_see_outbox(user),
            "may_decide": may_decide,
            "may_cancel": actions.may_cancel(order, user),
            "may_purchase": may_buy and order.status == OrderStatus.APPROVED,
            "may_hand_over": may_buy,
            "decision_form": DecisionForm(),
            "history_url": reverse("order_history", args=[order.pk]),
        },
    )


class OrderDecide(ObjectActionView):
    """The approver's decision: approve, or reject with a reason."""

    model = Order
    form_class = DecisionForm

    def allowed(self, user: Any, order: Order) -> bool:
        return True  # the actions check that this user is the order's approver (or a substitute)

    def perform(self, order: Order, data: dict[str, Any]) -> str:
        reason = data.get("reason", "")
        decision = self.request.POST.get("decision")
        if decision == "approve":
            actions.do_approve_order(order, actor=self.request.user, reason=reason)
            return _("The order has been approved.")
        if decision == "reject":
            actions.do_reject_order(order, reason, actor=self.request.user)
            return _("The order has been rejected.")
        raise ValidationError(_("Choose approve or reject."))


class OrderCancel(ObjectActionView):
    """Cancel an order: the orderer before approval, or who cancel_role names."""

    model = Order

    def allowed(self, user: Any, order: Order) -> bool:
        return actions.cancel_role(order, user) is not None

    def perform(self, order: Order, data: dict[str, Any]) -> str:
        actions.do_cancel_order(order, actor=self.request.user, reason=self.request.POST.get("reason", ""))
        return _("The order has been cancelled.")


@login_required
@require_POST
@_model(Order)
def order_purchase(request: HttpRequest, pk: int) -> HttpResponse:
    order = access_object(Order, request.user, pk)
    if not may_write(request.user, "purchasing", order.owner_id):
        raise PermissionDenied
    result = purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=request.user)
    if order.pk in result.refused:
        messages.error(request, result.refused[order.pk])
    else:
        messages.success(request, _("%(n)s purchase order(s) created and sent.") % {"n": len(result.purchase_orders)})
    return HttpResponseRedirect(order.get_absolute_url())


@login_required
@require_POST
@_model(OrderLine)
def orderline_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    line = access_object(OrderLine, request.user, pk)
    if not may_write(request.user, "purchasing", line.owner_id):
        raise PermissionDenied
    try:
        purchasing.do_hand_over_line(line, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return HttpResponseRedirect(reverse("order_detail", args=[line.order_id]))


class OrderHistory(HistoryView):
    model = Order
