"""Take-back demo data: the partner, a security officer per owner, one completed batch (devices of
two owners, the partner's report checked, one device not erased and raised as an incident, the
report applied: certificates, residual-value credits and CO2e), one open batch being packed, and
one lost laptop with its loss report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from samdrift.assets.models import Asset, AssetStatus
from samdrift.circular import actions, reports
from samdrift.circular.losses import do_report_loss
from samdrift.circular.models import Batch, Certificate, Partner, Problem, ReportLine, SecurityContact
from samdrift.tenancy.models import Owner, Person, User

OUTCOMES = [("Återbruk", "1 450,00"), ("Vidaresåld", "900,00"), ("Materialåtervinning", "0")]


def _technician() -> Any:
    return User.objects.filter(username="tekniker").first()


def _awaiting(owner: Owner, limit: int) -> list[Asset]:
    return list(
        Asset.objects.filter(owner=owner, status=AssetStatus.AWAITING_ERASURE, takeback_item__isnull=True)
        .exclude(serial_number="")
        .order_by("id")[:limit]
    )


def _lost_laptop(owner: Owner, tech: Any) -> bool:
    laptop = (
        Asset.objects.filter(owner=owner, status__in=[AssetStatus.DEPLOYED, AssetStatus.IN_STOCK],
                             model__category="laptop")
        .order_by("id")
        .first()
    )  # fmt: skip
    if laptop is None:
        return False
    do_report_loss(
        laptop,
        {"kind": "lost", "occurred_on": timezone.localdate() - timedelta(days=5), "place": "Buss 4 mot Centrum",
         "encrypted": True, "remotely_wiped": True,
         "description": "Glömd på bussen; Länstrafikens hittegods har inte fått in den. BitLocker på, fjärrraderad."},
        actor=tech,
    )  # fmt: skip
    return True


@transaction.atomic
def load_app_demo() -> dict[str, int]:
    tech = _technician()
    owners = list(Owner.objects.filter(active=True).order_by("name"))
    if tech is None or len(owners) < 2 or Partner.objects.exists():
        return {}
    partner = actions.do_create_partner(
        {
            "name": "Cirkulär IT Partner AB (demo)",
            "email": "upphamtning@cirkular-partner.example",
            "attachment_format": "xlsx",
        },
        actor=tech,
    )
    for owner in owners:
        person = Person.objects.filter(owner=owner, kind="employee", active=True).order_by("id").first()
        if person is not None and not SecurityContact.objects.filter(owner=owner).exists():
            actions.do_set_security_contact({"owner": owner, "person": person}, actor=tech)
    # The completed batch: devices of the first two owners, reported and applied.
    done = actions.do_create_batch(
        {"partner": partner, "pickup_address": "Kommunhuset, godsmottagningen", "notes": "Höstens återtag"}, actor=tech
    )
    devices = _awaiting(owners[0], 8) + _awaiting(owners[1], 6)
    if not devices:
        return {"partners": 1}
    for n, owner in enumerate(owners[:2], 1):
        packed = [d for d in devices if d.owner_id == owner.pk]
        if packed:
            actions.do_add_batch_items(done, packed, actor=tech, box=f"K{n}", seal=f"P-2026-{100 + n}")
    actions.do_order_pickup(done, actor=tech)
    actions.do_advance_batch(done, "picked_up", actor=tech)
    actions.do_advance_batch(done, "received", actor=tech)
    rows = ["Serienummer;Raderingsmetod;Standard;Rapport-ID;Raderingstid;Resultat;Gradering;Utfall;Restvärde SEK"]
    when = timezone.localtime() - timedelta(days=3)
    for i, device in enumerate(devices):
        outcome, value = OUTCOMES[i % 3]
        failed = i == len(devices) - 1
        rows.append(
            ";".join([device.serial_number, "NIST 800-88 Purge", "NIST SP 800-88 Rev. 1", f"BLC-DEMO-{i + 1:04d}",
                      f"{when:%Y-%m-%d} {8 + i % 8:02d}:15", "Ej raderad" if failed else "Raderad", "ABC"[i % 3],
                      "" if failed else outcome, "" if failed else value])
        )  # fmt: skip
    rows.append("DEMO-OKAND-1;NIST 800-88 Purge;;BLC-DEMO-9999;;Raderad;B;Återbruk;500,00")
    report = reports.do_upload_report(done, "partnerrapport-demo.csv", ("\n".join(rows) + "\n").encode(), actor=tech)
    report = reports.check_report(report, actor=tech)
    for line in ReportLine.objects.filter(report=report).exclude(problem=""):
        choice = "incident" if line.problem == Problem.NOT_ERASED else "ignore"
        reports.do_resolve_line(line, choice, note="Demo", actor=tech)
    reports.do_apply_report(report, actor=tech)
    # The open batch: a few devices of the third owner (or the first), packed, pickup not ordered.
    open_batch = actions.do_create_batch({"partner": partner, "pickup_address": "Skolans förråd"}, actor=tech)
    later = _awaiting(owners[2] if len(owners) > 2 else owners[0], 5)
    if later:
        actions.do_add_batch_items(open_batch, later, actor=tech, box="K1", seal="P-2026-201")
    # One laptop lost on the way to school, reported by the technician with its loss report.
    lost = _lost_laptop(owners[0], tech)
    return {
        "loss reports": int(lost),
        "batches": Batch.objects.count(),
        "certificates": Certificate.objects.count(),
        "credited SEK": int(sum((c.amount for c in report.credits.all()), Decimal(0))),
    }
