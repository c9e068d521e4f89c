"""Outgoing mail of ordering, each in the recipient's language: approvers get a link to the order,
suppliers the purchase order as a file, the responsible person the agreement's expiry alerts.

Every message is queued in the outbox inside the action's transaction (`samdrift.core.outbox`)
and sent by the worker; a purchase order's `sent_at` is set when its message has been delivered."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from samdrift.core.outbox import Attachment, queue_message

log = logging.getLogger(__name__)


def absolute(path: str) -> str:
    base = settings.SAMDRIFT_BASE_URL or "http://localhost:8000"
    return base.rstrip("/") + path


def _send(user: Any, subject: Any, body: Any, *, kind: str, about: Any) -> None:
    if user is None or not user.email:
        return
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        queue_message(kind=kind, to=[user.email], subject=str(subject()), body=str(body()), about=about)


def notify_approvers(order: Any) -> None:
    from samdrift.ordering.actions.approvers import approvers_for

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
            kind="ordering.approval_requested",
            about=order,
        )


def notify_orderer_decided(order: Any) -> None:
    link = absolute(reverse("order_detail", args=[order.pk]))
    _send(
        order.orderer,
        lambda: (
            _("[%(number)s] Your order is %(status)s")
            % {"number": order.number, "status": order.get_status_display().lower()}
        ),
        lambda: "\n".join(filter(None, [order.decision_reason, link])),
        kind="ordering.order_decided",
        about=order,
    )


def send_purchase_order(po: Any) -> bool:
    """Queue the purchase order with its CSV/XLSX attachment; False when the supplier has no address."""
    from samdrift.ordering.models import OrderChannel
    from samdrift.ordering.purchasing.purchase_orders import purchase_order_file

    supplier = po.supplier
    if supplier.channel != OrderChannel.EMAIL or not supplier.email:
        log.info("purchase order %s not mailed: supplier %s has no email channel", po.pk, supplier.pk)
        return False
    fmt = supplier.attachment_format
    mime = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with translation.override(settings.LANGUAGE_CODE):
        queue_message(
            kind="ordering.purchase_order",
            to=[supplier.email],
            subject=_("Purchase order %(number)s under %(ref)s") % {"number": po.number, "ref": po.agreement.reference},
            body=_(
                "Please find purchase order %(number)s attached (%(total)s SEK excl. VAT). Confirm it with your order reference."
            )
            % {"number": po.number, "total": po.total},
            attachments=[Attachment(f"{po.number}.{fmt}", purchase_order_file(po, fmt), mime)],
            about=po,
        )
    return True


def notify_agreement_expiry(agreement: Any, months: int) -> None:
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
        kind="ordering.agreement_expiry",
        about=agreement,
    )
