"""Outgoing mail of ordering (run on commit, never inside an action's transaction), each in the
recipient's language: approvers get a link to the order, suppliers the purchase order as a file,
the responsible person the agreement's expiry alerts."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def absolute(path: str) -> str:
    base = getattr(settings, "SAMDRIFT_BASE_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + path


def _send(user: Any, subject: Any, body: Any) -> None:
    if user is None or not user.email:
        return
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        send_mail(str(subject()), str(body()), None, [user.email], fail_silently=False)


def notify_approvers(order_id: int) -> None:
    from samdrift.ordering.actions import approvers_for
    from samdrift.ordering.models import Order

    order = Order.objects.select_related("cost_centre", "orderer").get(pk=order_id)
    link = absolute(reverse("order_detail", args=[order.pk]))
    for user in approvers_for(order):
        if user.pk == order.orderer_id:
            continue
        _send(
            user,
            lambda: _("[%(number)s] An order awaits your approval") % {"number": order.number},
            lambda: (
                _(
                    "%(orderer)s has ordered for cost centre %(cc)s.\n"
                    "One-time cost: %(once)s SEK. Monthly cost: %(monthly)s SEK.\n\n"
                    "Approve or reject it here: %(link)s"
                )
                % {
                    "orderer": order.orderer.get_full_name() or order.orderer.username,
                    "cc": order.cost_centre,
                    "once": order.one_time_total,
                    "monthly": order.monthly_total,
                    "link": link,
                }
            ),
        )


def notify_orderer_decided(order_id: int) -> None:
    from samdrift.ordering.models import Order

    order = Order.objects.select_related("orderer").get(pk=order_id)
    link = absolute(reverse("order_detail", args=[order.pk]))
    _send(
        order.orderer,
        lambda: (
            _("[%(number)s] Your order is %(status)s")
            % {"number": order.number, "status": order.get_status_display().lower()}
        ),
        lambda: "\n".join(filter(None, [order.decision_reason, link])),
    )


def send_purchase_order(po_id: int) -> bool:
    """Email the purchase order with its CSV/XLSX attachment; False when the supplier has no address."""
    from samdrift.ordering.models import OrderChannel, PurchaseOrder
    from samdrift.ordering.purchasing import purchase_order_file

    po = PurchaseOrder.objects.select_related("supplier", "agreement", "order__cost_centre").get(pk=po_id)
    supplier = po.supplier
    if supplier.channel != OrderChannel.EMAIL or not supplier.email:
        log.info("purchase order %s not mailed: supplier %s has no email channel", po.pk, supplier.pk)
        return False
    fmt = supplier.attachment_format
    with translation.override(settings.LANGUAGE_CODE):
        message = EmailMessage(
            subject=_("Purchase order %(number)s under %(ref)s") % {"number": po.number, "ref": po.agreement.reference},
            body=_(
                "Please find purchase order %(number)s attached (%(total)s SEK excl. VAT). Confirm it with your order reference."
            )
            % {"number": po.number, "total": po.total},
            to=[supplier.email],
        )
    mime = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    message.attach(f"{po.number}.{fmt}", purchase_order_file(po, fmt), mime)
    message.send()
    return True


def notify_agreement_expiry(agreement_id: int, months: int) -> None:
    from samdrift.ordering.models import Agreement

    agreement = Agreement.objects.select_related("responsible").get(pk=agreement_id)
    link = absolute(reverse("agreement_detail", args=[agreement.pk]))
    _send(
        agreement.responsible,
        lambda: (
            _("The framework agreement %(ref)s ends in %(months)s months")
            % {"ref": agreement.reference, "months": months}
        ),
        lambda: (
            _("%(name)s ends on %(end)s. Extension options left: %(left)s.\n%(link)s")
            % {"name": agreement.name, "end": agreement.end, "left": agreement.extensions_left, "link": link}
        ),
    )
