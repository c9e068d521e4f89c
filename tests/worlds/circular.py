"""Take-back for owners A and B: one partner (operator data), a security officer each, and per
owner a batch of two of its devices that the partner has reported and that has been applied
(one erased and reused with a certificate and a credit, one not erased with its incident) and a
stolen device with its loss report, so that the isolation test tries every take-back route with
owner B's rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from samdrift.assets import actions as asset_actions
from samdrift.billing import actions as billing_actions
from samdrift.circular import actions, reports
from samdrift.circular.losses import do_report_loss
from samdrift.circular.models import Certificate, Credit, PartnerReport, ReportLine


def awaiting_erasure(ow: Any, model: Any, tag: str, serial: str, site: Any = None) -> Any:
    asset = asset_actions.do_create_asset(
        {"owner": ow.owner, "asset_tag": tag, "model": model, "serial_number": serial, "site": site}, actor=None
    )
    return asset_actions.do_change_asset_status(asset, "awaiting_erasure", actor=None)


def extend(world: Any) -> None:
    billing_actions.do_create_article(
        {"code": "RESTVARDE", "name": "Restvärde återtagna enheter", "unit_code": "C62", "revenue_account": "3990"},
        actor=world.finance,
    )
    partner = actions.do_create_partner(
        {"name": "Cirkulär IT Partner AB", "email": "upphamtning@partner.example", "attachment_format": "csv"},
        actor=world.admin,
    )
    world.extra["circular_partner"] = partner
    maker = asset_actions.do_create_manufacturer({"name": "Återtagstillverkare"}, actor=None)
    model = asset_actions.do_create_asset_model(
        {"manufacturer": maker, "name": "Återtagsdator 14", "category": "laptop"}, actor=None
    )
    world.extra["circular_model"] = model
    for ow in (world.a, world.b):
        m = ow.marker
        actions.do_set_security_contact({"owner": ow.owner, "person": ow.employee}, actor=world.admin)
        one = awaiting_erasure(ow, model, f"ÅT1-{m}", f"ATSN1-{m}")
        two = awaiting_erasure(ow, model, f"ÅT2-{m}", f"ATSN2-{m}")
        batch = actions.do_create_batch({"partner": partner, "pickup_address": f"Förrådet {m}"}, actor=world.technician)
        actions.do_add_batch_items(batch, [one, two], actor=world.technician, box=f"L-{m}", seal=f"S-{m}")
        actions.do_order_pickup(batch, actor=world.technician)
        actions.do_advance_batch(batch, "picked_up", actor=world.technician)
        actions.do_advance_batch(batch, "received", actor=world.technician)
        csv = (
            "Serienummer;Metod;Resultat;Utfall;Restvärde\n"
            f"ATSN1-{m};Purge;Raderad;Återbruk;1 000,00\n"
            f"ATSN2-{m};Purge;Ej raderad;;\n"
        ).encode()
        report = reports.do_upload_report(batch, f"rapport-{m}.csv", csv, actor=world.technician)
        report = reports.check_report(report, actor=world.technician)
        line = ReportLine.objects.get(report=report, problem="not_erased")
        reports.do_resolve_line(line, "incident", actor=world.technician)
        reports.do_apply_report(report, actor=world.technician)
        mapping = actions.do_save_report_mapping(
            {
                "name": f"Mall {m}",
                "partner": partner,
                "columns": {"serial_number": "Serienummer", "result": "Resultat"},
            },
            actor=world.technician,
        )
        stolen = awaiting_erasure(ow, model, f"ÅT3-{m}", f"ATSN3-{m}")
        loss = do_report_loss(
            stolen,
            {"kind": "stolen", "occurred_on": date(2026, 11, 2), "place": f"Pendeltåget {m}",
             "police_report": f"5000-K{m}", "encrypted": True, "description": f"Väskan stulen {m}"},
            actor=world.technician,
        )  # fmt: skip
        ow.extra.update(
            circular_loss=loss,
            circular_batch=batch,
            circular_report=PartnerReport.objects.get(pk=report.pk),
            circular_line=line,
            circular_partner=partner,
            circular_mapping=mapping,
            circular_certificate=Certificate.objects.get(asset=one),
            circular_credit=Credit.objects.get(report=report),
        )
        assert Credit.objects.get(report=report).amount == Decimal("1000.00")
