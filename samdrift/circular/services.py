"""What other apps may ask of take-back (DESIGN.md: nothing imports circular except through here).

- `certificate_for_asset(user, asset)`: the erasure certificate of a device, if the user may see it.
- `check_may_close(asset_ids)`: the closing rule, for any code that closes devices as reused,
  resold or recycled: refused (ValidationError) for a device without an erasure certificate.
- `climate_for_owner(user, owner_id)`: CO2e avoided per year and outcome, with factors and sources.
- `record_sources()`: how records disposes of take-back's official records (certificates, reports,
  loss reports)
  under the information management plan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from samdrift.circular.models import BatchItem, Certificate
from samdrift.circular.reports import check_may_close
from samdrift.circular.views_climate import climate_rows

__all__ = ["certificate_for_asset", "check_may_close", "climate_for_owner", "record_sources"]


def certificate_for_asset(user: Any, asset: Any) -> Certificate | None:
    return Certificate.objects.for_user(user).filter(asset_id=getattr(asset, "pk", asset)).first()  # type: ignore[attr-defined]


def climate_for_owner(user: Any, owner_id: int) -> list[dict[str, Any]]:
    return climate_rows(BatchItem.objects.for_user(user).filter(owner_id=owner_id))  # type: ignore[attr-defined]


class _Disposer:
    """Duck-typed like records' Source for disposal only: take-back's records are not searched by an
    access request (the certificate is answered from the asset page)."""

    label = ""
    verbose: Any = staticmethod(lambda: "")
    identifier_field = "pk"
    date_field = ""
    closed_field = ""
    order = 100  # where records lists the kind among the others

    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.label)

    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def disposal_queryset(self, cutoff: datetime, event: str) -> models.QuerySet | None:
        qs = self.model()._default_manager.all()
        if event == "created":
            return qs.filter(**{f"{self.date_field}__lt": cutoff})
        if event == "closed":
            return qs.filter(**{f"{self.closed_field}__lt": cutoff})
        return None


class CertificateRecords(_Disposer):
    label = "circular.certificate"
    verbose = staticmethod(lambda: _("Erasure certificate"))
    identifier_field = "number"
    date_field = "issued"
    closed_field = "item__closed_at"

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        """A certificate past its retention goes; the device keeps its closed status and the
        audit trail keeps the certificate's number and hash."""
        from samdrift.circular.actions import do_dispose_certificates

        return do_dispose_certificates(ids, method, actor=actor)


class ReportRecords(_Disposer):
    label = "circular.partnerreport"
    verbose = staticmethod(lambda: _("Partner report"))
    date_field = "uploaded"
    closed_field = "applied_at"

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        """The file as received and each row as read go; the structured lines stay, because the
        credits on the owners' invoices and the devices' history refer to them."""
        from samdrift.circular.actions import do_dispose_partner_reports

        return do_dispose_partner_reports(ids, method, actor=actor)


class LossRecords(_Disposer):
    label = "circular.lossreport"
    verbose = staticmethod(lambda: _("Loss report"))
    identifier_field = "number"
    date_field = "created"
    closed_field = "created"

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        from samdrift.circular.losses import do_dispose_loss_reports

        return do_dispose_loss_reports(ids, method, actor=actor)


def record_sources() -> list[Any]:
    return [CertificateRecords(), ReportRecords(), LossRecords()]


def insight_figures(first_month: Any, last_month: Any) -> dict[tuple[int, Any], tuple[Any, Any]]:
    """For insight's owner months: per owner and month a device was closed (Swedish time), the
    residual value credited and the kg CO2e avoided (one grouped query). Registered with
    insight.services.register_circular_source from CircularConfig.ready()."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    end = (last_month.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = (
        BatchItem.objects.filter(closed_at__isnull=False, closed_at__date__gte=first_month, closed_at__date__lt=end)
        .annotate(month=TruncMonth("closed_at"))
        .values("owner_id", "month")
        .annotate(value=Sum("residual_value"), co2e=Sum("co2e_avoided_kg"))
    )
    result: dict[tuple[int, Any], tuple[Any, Any]] = {}
    for r in rows:
        month = r["month"]
        key = (r["owner_id"], date(month.year, month.month, 1))
        result[key] = (r["value"] or Decimal("0"), r["co2e"] or Decimal("0"))
    return result
