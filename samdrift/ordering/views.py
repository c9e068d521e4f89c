"""Ordering pages: the orderer's shop and orders with their approval. The catalogue and agreements
(operator) are in catalogue_views.py; purchase orders, lead times and joint procurement in
views_purchasing.py.

Views are thin: they fetch through the scoped layer, parse a form, call one action and render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.core.access import access_object, scope_for
from samdrift.core.actionviews import ObjectActionView
from samdrift.core.outbox import may_see_outbox, messages_about
from samdrift.core.roles import Role
from samdrift.core.views import HistoryView, ScopedListView, apply_validation_error
from samdrift.ordering import actions, purchasing
from samdrift.ordering.filters import OrderFilter, OrderLineFilter
from samdrift.ordering.forms import MAX_ORDER_ITEMS, DecisionForm, OrderForm, OrderItemFormSet
from samdrift.ordering.models import Approver, Order, OrderLine, OrderStatus, Package, PurchaseOrder, Service
from samdrift.ordering.permissions import may_write
from samdrift.ordering.tables import OrderLineTable, OrderTable
from samdrift.tenancy.models import Person


def _model(model: Any) -> Any:
    """Name the model a function view's <pk> refers to (the isolation test reads it)."""

    def mark(view: Any) -> Any:
        view.model = model
        return view

    return mark


class OrderingAction(ObjectActionView):
    """A POST on one object of the ordering pages; an invalid form is said in one message of its errors."""

    def form_invalid(self, form: forms.Form, obj: Any) -> HttpResponse:
        messages.error(self.request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(self.redirect_url(obj))


class PurchasingAction(OrderingAction):
    """A POST by purchasing staff of the object's owner (orders, their lines, purchase orders)."""

    def allowed(self, user: Any, obj: Any) -> bool:
        return may_write(user, "purchasing", obj.owner_id)


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


class OrderPurchase(PurchasingAction):
    """Purchase orders for this approved order now, without waiting for the hourly run."""

    model = Order

    def perform(self, order: Order, data: dict[str, Any]) -> Any:
        result = purchasing.bulk_create_purchase_orders(Order.objects.filter(pk=order.pk), actor=self.request.user)
        if order.pk in result.refused:
            raise ValidationError(result.refused[order.pk])
        return _("%(n)s purchase order(s) created and sent.") % {"n": len(result.purchase_orders)}


class OrderLineHandOver(PurchasingAction):
    """The delivered device is with its recipient: the line is closed; back to the order."""

    model = OrderLine

    def perform(self, line: OrderLine, data: dict[str, Any]) -> Any:
        purchasing.do_hand_over_line(line, actor=self.request.user)

    def redirect_url(self, line: OrderLine) -> str:
        return reverse("order_detail", args=[line.order_id])


class OrderHistory(HistoryView):
    model = Order
