"""Applying a checked partner report, all-or-nothing and set-based: certificates, the devices
closed with their CO2e, one credit per owner through billing, incidents for the security officers."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Case, CharField, DecimalField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.assets import actions as asset_actions
from samdrift.assets.models import Asset, AssetStatus
from samdrift.circular.actions import staff_role
from samdrift.circular.models import (
    Batch,
    BatchItem,
    BatchStatus,
    Certificate,
    CertificateSource,
    Co2eFactor,
    Credit,
    EraseResult,
    ItemState,
    Outcome,
    PartnerReport,
    Problem,
    ReportLine,
    ReportState,
    Resolution,
    SecurityContact,
)
from samdrift.core.audit import PendingEvent, record_event, record_events, record_events_fast
from samdrift.core.models import AuditEventType

log = logging.getLogger(__name__)

# --- applying ------------------------------------------------------------------------------------


def co2e_factors() -> dict[str, Co2eFactor]:
    return {f.category: f for f in Co2eFactor.objects.all()}


def co2e_avoided(factor: Co2eFactor | None, outcome: str) -> tuple[Decimal, str, str]:
    """kg CO2e avoided by one device's outcome, the factor as written and its source.

    Reused or resold: the saving the source attributes to one reused unit, or else the
    manufacturing share of the life-cycle footprint (a new device not made). Recycled: the
    reference gives no factor, so nothing is claimed."""
    if factor is None:
        return Decimal(0), _("no factor for this category"), ""
    if outcome in {Outcome.REUSED, Outcome.RESOLD}:
        if factor.reuse_saving_kg is not None:
            return factor.reuse_saving_kg, _("%(kg)s kg per reused unit (%(category)s)") % {
                "kg": factor.reuse_saving_kg, "category": factor.reference_category,
            }, factor.reuse_source  # fmt: skip
        if factor.lifecycle_kg is not None and factor.manufacturing_share is not None:
            kg = (factor.lifecycle_kg * factor.manufacturing_share).quantize(Decimal("0.01"))
            return kg, _("%(kg)s kg × manufacturing share %(share)s (%(category)s)") % {
                "kg": factor.lifecycle_kg, "share": factor.manufacturing_share, "category": factor.reference_category,
            }, factor.lifecycle_source  # fmt: skip
        return Decimal(0), _("no reuse factor for %(category)s") % {"category": factor.reference_category}, ""
    return Decimal(0), _("recycling: no factor in the source"), ""


class Stale(ValidationError):
    pass


def do_apply_report(report: PartnerReport, *, actor: Any) -> PartnerReport:
    """Apply a checked report whose exceptions are all resolved: everything, or nothing."""
    role = staff_role(actor)
    with transaction.atomic():
        report = PartnerReport.objects.select_for_update().select_related("batch__partner").get(pk=report.pk)
        if report.status not in {ReportState.READY, ReportState.APPLYING}:
            raise ValidationError(_("Resolve every exception in the dry run before applying the report."))
        result = _apply(report, actor=actor, role=role)
    from samdrift.circular import tasks

    transaction.on_commit(lambda: tasks.render_certificates_task.enqueue())
    return result


def _apply_lines(report: PartnerReport) -> Any:
    """The lines applied as erased: matched rows without an exception, or with one accepted."""
    return ReportLine.objects.filter(
        Q(problem="") | Q(resolution=Resolution.ACCEPT),
        report=report,
        item__isnull=False,
        row__isnull=False,
        result__in=[EraseResult.ERASED, EraseResult.EXCEPTIONS],
    )


APPLY_VALUES = (
    "pk", "row", "item_id", "item__owner_id", "item__asset_id", "item__asset__owner_id", "item__asset__asset_tag",
    "item__asset__model__category", "serial_number", "method", "standard", "erasure_report_id", "erased_at", "result",
    "outcome", "grade", "residual_value",
)  # fmt: skip


CERTIFICATE_COLUMNS = {
    "owner_id": F("item__asset__owner_id"),
    "asset_id": F("item__asset_id"),
    "item_id": F("item_id"),
    "report_line_id": F("pk"),
    "number": Concat(Value("RI-"), Cast("item_id", CharField())),
    "source": Value(CertificateSource.RENDERED, CharField()),
    "serial_number": F("serial_number"),
    "method": F("method"),
    "standard": F("standard"),
    "erasure_report_id": F("erasure_report_id"),
    "erased_at": F("erased_at"),
    "result": F("result"),
    "filename": Concat(Value("raderingsintyg-RI-"), Cast("item_id", CharField()), Value(".pdf")),
    "mimetype": Value("application/pdf", CharField()),
    "sha256": Value("", CharField()),
}


def certificate_number(item_id: int) -> str:
    return f"RI-{item_id}"


def _insert_certificates(applied: Any, now: datetime) -> None:
    from django.db import connection

    names = {f"c_{column}": expression for column, expression in CERTIFICATE_COLUMNS.items()}
    select_sql, params = applied.annotate(**names).values_list(*names).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    columns = [*CERTIFICATE_COLUMNS, "issued", "content"]
    picked = ", ".join(f"sub.{qn(name)}" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(Certificate._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608 - SQL compiled by the ORM
            f"SELECT {picked}, %s, %s FROM ({select_sql}) sub",
            [connection.ops.adapt_datetimefield_value(now), b"", *params],
        )


def _close_assets(applied: Any) -> None:
    """Each erased device's asset to its outcome, in one UPDATE ... FROM its report line."""
    from django.db import connection

    names = {"a_asset": F("item__asset_id"), "a_status": F("outcome")}
    select_sql, params = applied.annotate(**names).values_list(*names).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(Asset._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {qn('status')} = s.a_status, {qn('assigned_to_id')} = NULL "  # noqa: S608 - SQL compiled by the ORM
            f"FROM ({select_sql}) s WHERE {table}.{qn('id')} = s.a_asset",
            params,
        )


def _update_items(
    applied: Any, co2e: dict[tuple[str, str], tuple[Decimal, str, str]], credits: dict[int, int], now: datetime
) -> None:
    """Every erased device's row from its report line in one UPDATE ... FROM (PostgreSQL, and
    SQLite 3.33+): its state, line, outcome, grade, value, current owner, its owner's credit when
    it had a residual value, and CO2e with factor."""
    from django.db import connection

    def case(position: int, field: Any) -> Case:
        return Case(
            *[
                When(outcome=o, item__asset__model__category=c, then=Value(v[position], field))
                for (c, o), v in co2e.items()
            ],
            default=Value(Decimal(0) if position == 0 else "", field),
            output_field=field,
        )

    names = {
        "l_item": F("item_id"), "l_line": F("pk"), "l_outcome": F("outcome"), "l_grade": F("grade"),
        "l_value": Coalesce(F("residual_value"), Value(Decimal("0.00")), output_field=DecimalField()),
        "l_owner": F("item__asset__owner_id"),
        "l_kg": case(0, DecimalField(max_digits=10, decimal_places=2)),
        "l_factor": case(1, CharField()), "l_source": case(2, CharField()),
        # Cast: with no credit the CASE is a bare NULL, which PostgreSQL types as text in a subquery.
        "l_credit": Cast(
            Case(
                *[When(item__asset__owner_id=o, residual_value__gt=0, then=Value(c)) for o, c in sorted(credits.items())],
                default=Value(None), output_field=BigIntegerField(),
            ),
            BigIntegerField(),
        ),
    }  # fmt: skip
    select_sql, params = applied.annotate(**names).values_list(*names).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(BatchItem._meta.db_table)
    sets = {
        "state": "%s", "closed_at": "%s", "report_line_id": "s.l_line", "outcome": "s.l_outcome",
        "grade": "s.l_grade", "residual_value": "s.l_value", "owner_id": "s.l_owner",
        "co2e_avoided_kg": "s.l_kg", "co2e_factor": "s.l_factor", "co2e_source": "s.l_source",
        "credit_id": "s.l_credit",
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(f'{qn(k)} = {v}' for k, v in sets.items())} "  # noqa: S608 - SQL compiled by the ORM
            f"FROM ({select_sql}) s WHERE {table}.{qn('id')} = s.l_item",
            [ItemState.ERASED, connection.ops.adapt_datetimefield_value(now), *params],
        )


def _apply(report: PartnerReport, *, actor: Any, role: str) -> PartnerReport:
    """Set-based: a few statements per report whatever its size, one audit event per device."""
    from samdrift.billing import services as billing

    batch = Batch.objects.select_for_update().select_related("partner").get(pk=report.batch_id)
    now = timezone.now()
    if ReportLine.objects.filter(report=report).exclude(problem="").filter(resolution="").exists():
        raise ValidationError(_("Resolve every exception in the dry run before applying the report."))
    applied = _apply_lines(report)
    incident_lines = ReportLine.objects.filter(report=report, item__isnull=False, resolution=Resolution.INCIDENT)
    # Devices missing after the deadline, resolved as lost or to go out again in a new batch.
    moved_lines = ReportLine.objects.filter(
        report=report, item__isnull=False, resolution__in=[Resolution.NEW_BATCH, Resolution.LOST]
    )
    touched = BatchItem.objects.filter(
        Q(pk__in=applied.values("item_id"))
        | Q(pk__in=incident_lines.values("item_id"))
        | Q(pk__in=moved_lines.values("item_id"))
    )
    # Lock what is changed; the register may have changed since the dry run: then nothing is applied.
    list(touched.select_for_update().values_list("pk", flat=True))
    list(Asset.objects.select_for_update().filter(pk__in=touched.values("asset_id")).values_list("pk", flat=True))
    stale = list(
        touched.filter(~Q(state=ItemState.PACKED) | ~Q(asset__status=AssetStatus.AWAITING_ERASURE)).values_list(
            "serial_number", flat=True
        )[:10]
    )
    if stale:
        raise ValidationError(
            _("Devices changed since the dry run (%(serials)s); run the dry run again.") % {"serials": ", ".join(stale)}
        )
    rows = list(applied.order_by("row").values(*APPLY_VALUES))
    # Certificates first: no device is closed without one (the closing rule). One INSERT ... SELECT
    # from the report lines: ten thousand certificates never pass through Python.
    _insert_certificates(applied, now)
    if Asset.objects.filter(pk__in=applied.values("item__asset_id"), erasure_certificate__isnull=True).exists():
        raise ValidationError(_("No erasure certificate for a device: a device is closed only with one."))
    # The lifecycle: awaiting erasure → erased → the outcome, in one step per outcome. Each device's
    # own audit event (below) records both steps.
    for outcome in sorted({r["outcome"] for r in rows}):
        asset_actions.check_transition(Asset(status=AssetStatus.ERASED, asset_tag=""), outcome)
    _close_assets(applied)
    factors = co2e_factors()
    co2e: dict[tuple[str, str], tuple[Decimal, str, str]] = {}
    for key in sorted({(r["item__asset__model__category"], r["outcome"]) for r in rows}):
        kg, factor_text, source = co2e_avoided(factors.get(key[0]), key[1])
        co2e[key] = (kg, str(factor_text)[:200], source[:300])
    # Each owner's residual value, credited once on its next invoice.
    totals: dict[int, list[Any]] = defaultdict(lambda: [Decimal("0.00"), 0])
    for r in rows:
        if r["residual_value"] and r["residual_value"] > 0:
            totals[r["item__asset__owner_id"]][0] += r["residual_value"]
            totals[r["item__asset__owner_id"]][1] += 1
    from samdrift.tenancy.models import Owner

    owners = Owner.objects.in_bulk(list(totals))
    events: list[PendingEvent] = []
    credit_ids: dict[int, int] = {}
    if totals:  # insight's owner months show the credits once this commits
        from samdrift.insight.services import request_refresh

        request_refresh()
    for owner_id, (amount, count) in sorted(totals.items()):
        credit = Credit(owner_id=owner_id, report=report, amount=amount, devices=count, created=now)
        credit.save(force_insert=True)
        charge = billing.credit_owner(
            owner=owners[owner_id],
            amount=amount,
            kind=billing.ChargeKind.RESIDUAL_VALUE,
            source=credit,
            source_label=_("Residual value, take-back %(batch)s: %(n)s devices") % {"batch": batch.number, "n": count},
            article=batch.partner.credit_article,
            actor=actor,
        )
        credit.charge_id = charge.pk
        credit.save(update_fields=["charge_id"])
        credit_ids[owner_id] = credit.pk
        events.append(
            PendingEvent(AuditEventType.CREATED, credit, changes={"amount": [None, amount], "devices": [None, count]},
                         extra={"charge": charge.pk, "report": report.pk})
        )  # fmt: skip
    _update_items(applied, co2e, credit_ids, now)
    incidents = list(incident_lines.select_related("item__asset").order_by("row", "id"))
    incident_of = ReportLine.objects.filter(report=report, item_id=OuterRef("pk"), resolution=Resolution.INCIDENT)
    for problem, state in ((Problem.MISSING, ItemState.MISSING), (None, ItemState.NOT_ERASED)):
        chosen = incident_lines.filter(problem=problem) if problem else incident_lines.exclude(problem=Problem.MISSING)
        BatchItem.objects.filter(pk__in=chosen.values("item_id")).update(
            state=state, report_line=Subquery(incident_of.values("pk")[:1])
        )
    _raise_incidents(report, incidents, actor=actor, role=role)
    moved = _resolve_missing(report, batch, list(moved_lines.order_by("id")), actor=actor, role=role, now=now)
    # One event per device, on the device: its closing, the certificate, the report line, the money and CO2e.
    for r in rows:
        kg, factor_text, _source = co2e[(r["item__asset__model__category"], r["outcome"])]
        events.append(
            PendingEvent(
                AuditEventType.UPDATED,
                owner_id=r["item__asset__owner_id"],
                object_type="assets.asset",
                object_id=str(r["item__asset_id"]),
                object_repr=r["item__asset__asset_tag"],
                changes={"status": [AssetStatus.AWAITING_ERASURE, r["outcome"]]},
                extra={"action": "takeback_closed", "via": AssetStatus.ERASED, "batch": batch.number,
                       "item": r["item_id"], "report": report.pk, "line": r["pk"],
                       "certificate": certificate_number(r["item_id"]), "residual_value": r["residual_value"] or "0.00",
                       "co2e_kg": kg, "factor": factor_text,
                       **({"owner_was": r["item__owner_id"]} if r["item__owner_id"] != r["item__asset__owner_id"] else {})},
            )
        )  # fmt: skip
    for ln in incidents:
        events.append(
            PendingEvent(
                AuditEventType.UPDATED, ln.item,
                changes={"state": [ItemState.PACKED, ItemState.MISSING if ln.problem == Problem.MISSING else ItemState.NOT_ERASED]},
                extra={"action": "apply_report", "report": report.pk, "line": ln.pk, "incident": ln.ticket_number},
            )
        )  # fmt: skip
    record_events_fast(actor, role, events)
    status_before = report.status
    report.status, report.applied_at, report.finished = ReportState.APPLIED, now, now
    report.applied_by = actor if getattr(actor, "pk", None) else None
    report.progress, report.message, report.lease_expires = 100, "", None
    report.counts = {
        **(report.counts or {}),
        "applied": len(rows),
        "incidents": len(incidents),
        "certificates": len(rows),
        **moved,
    }
    report.save(
        update_fields=[
            "status",
            "applied_at",
            "applied_by",
            "finished",
            "progress",
            "message",
            "lease_expires",
            "counts",
        ]
    )
    record_event(
        actor, role, AuditEventType.UPDATED, report, changes={"status": [status_before, report.status]},
        extra={"action": "apply_report", "applied": len(rows), "incidents": len(incidents),
               "credits": {str(k): str(v[0]) for k, v in totals.items()}},
    )  # fmt: skip
    if not BatchItem.objects.filter(batch=batch, state=ItemState.PACKED).exists():
        batch_before = batch.status
        batch.status, batch.reported_at = BatchStatus.REPORTED, now
        batch.save(update_fields=["status", "reported_at"])
        record_event(actor, role, AuditEventType.UPDATED, batch, changes={"status": [batch_before, batch.status]})
    return report


def _resolve_missing(
    report: PartnerReport, batch: Batch, lines: list[ReportLine], *, actor: Any, role: str, now: datetime
) -> dict[str, Any]:
    """Missing devices resolved as "new batch" go out again in one new batch of the same partner,
    unpacked; those resolved as "lost" get their loss report (and its incident)."""
    from samdrift.circular.actions import do_create_batch
    from samdrift.circular.losses import loss_from_missing

    again = [ln for ln in lines if ln.resolution == Resolution.NEW_BATCH]
    done: dict[str, Any] = {}
    if again:
        new = do_create_batch(
            {"partner": batch.partner, "notes": _("Devices missing from the report of %(batch)s, to send again.")
             % {"batch": batch.number}},
            actor=actor,
        )  # fmt: skip
        BatchItem.objects.filter(pk__in=[ln.item_id for ln in again]).update(
            batch=new, state=ItemState.PACKED, box="", seal="", added_at=now
        )
        record_events(
            actor, role,
            [PendingEvent(AuditEventType.UPDATED, owner_id=ln.owner_id, object_type="circular.batchitem",
                          object_id=str(ln.item_id), object_repr=ln.serial_number,
                          changes={"batch": [batch.number, new.number]},
                          extra={"action": "moved_to_new_batch", "report": report.pk, "line": ln.pk})
             for ln in again],
        )  # fmt: skip
        done.update(new_batch=new.number, moved=len(again))
    lost = [loss_from_missing(ln, actor=actor).number for ln in lines if ln.resolution == Resolution.LOST]
    if lost:
        done["lost"] = len(lost)
    return done


def _raise_incidents(report: PartnerReport, lines: list[ReportLine], *, actor: Any, role: str) -> None:
    """One incident per owner for its security officer, listing the devices not erased or missing."""
    if not lines:
        return
    from samdrift.servicedesk.actions import do_create_ticket
    from samdrift.servicedesk.models import Level, TicketSecrecyGround

    by_owner: dict[int, list[ReportLine]] = defaultdict(list)
    for ln in lines:
        by_owner[ln.item.owner_id].append(ln)  # type: ignore[union-attr]
    contacts = {
        c.owner_id: c for c in SecurityContact.objects.filter(owner_id__in=list(by_owner)).select_related("person")
    }
    for owner_id, owner_lines in sorted(by_owner.items()):
        contact = contacts.get(owner_id)
        if contact is None:
            raise ValidationError(_("An owner has no security officer to receive the incident; name one first."))
        rows = "\n".join(
            f"- {ln.serial_number}: {Problem(ln.problem).label}"
            + (f" ({ln.erasure_report_id})" if ln.erasure_report_id else "")
            + (f" — {ln.resolution_note}" if ln.resolution_note else "")
            for ln in owner_lines
        )
        ticket = do_create_ticket(
            {
                "requester": contact.person,
                "subject": _("Take-back %(batch)s: %(n)s devices not erased or missing")
                % {"batch": report.batch.number, "n": len(owner_lines)},
                "description": _(
                    "The partner's report %(file)s for take-back batch %(batch)s leaves these devices without a "
                    "confirmed erasure. They may still hold the owner's data:\n%(rows)s"
                )
                % {"file": report.filename, "batch": report.batch.number, "rows": rows},
                "type": "incident",
                "impact": Level.HIGH,
                "urgency": Level.HIGH,
                "confidential": True,
                "secrecy_ground": TicketSecrecyGround.SECURITY,
                "assets": [ln.item.asset for ln in owner_lines],  # type: ignore[union-attr]
            },
            actor=actor,
        )
        ReportLine.objects.filter(pk__in=[ln.pk for ln in owner_lines]).update(ticket_number=ticket.number)
        for ln in owner_lines:
            ln.ticket_number = ticket.number


def check_may_close(asset_ids: list[int]) -> None:
    """The closing rule: a device is closed as reused, resold or recycled only with a certificate."""
    with_certificate = set(Certificate.objects.filter(asset_id__in=asset_ids).values_list("asset_id", flat=True))
    without = [pk for pk in asset_ids if pk not in with_certificate]
    if without:
        tags = Asset.objects.filter(pk__in=without[:10]).values_list("asset_tag", flat=True)
        raise ValidationError(
            _("No erasure certificate for %(assets)s: a device is closed only with one.") % {"assets": ", ".join(tags)}
        )
