"""Ordering's periodic tasks (enqueued by the scheduler, run by the worker)."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task
def agreement_expiry_alerts() -> dict[str, Any]:
    """Daily: alert responsible people 12 and 6 months before their agreement ends (once each)."""
    from samdrift.ordering.actions import do_send_agreement_alerts

    sent = do_send_agreement_alerts(actor=None)
    return {"alerts": len(sent)}


@task
def purchase_approved_orders() -> dict[str, Any]:
    """Every quarter hour: purchase orders for everything approved since the last run."""
    from samdrift.ordering.purchasing import bulk_create_purchase_orders

    result = bulk_create_purchase_orders(actor=None)
    return {"purchase_orders": len(result.purchase_orders), "lines": result.lines, "refused": len(result.refused)}
