"""Records demo data for the three demo owners: letters in the register, a ticket about the Wi-Fi
at Höör's library with a note marked under OSL 18 kap. 8 §, a public access request for it (open,
for the records officer to decide), a disposal rule decided for tickets with old closed tickets
proposed for disposal, and a pupil's register extract.

Demo only: timestamps are moved back with queryset updates so that the October ticket and the
tickets closed years ago exist; the app itself never rewrites them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from samdrift.records import actions
from samdrift.records.models import Direction, RecordType, SecrecyGround


def _user(username: str) -> Any:
    from samdrift.tenancy.models import User

    return User.objects.filter(username=username).first()


@transaction.atomic
def load_app_demo() -> dict[str, int]:
    from samdrift.servicedesk import actions as sd
    from samdrift.servicedesk.models import Ticket
    from samdrift.tenancy.models import Owner, Person

    officer = _user("registrator")
    agent = _user("agent")
    owners = list(Owner.objects.order_by("name"))
    if officer is None or agent is None or not owners:
        return {}
    hoor = next((o for o in owners if o.name.startswith("Höör")), owners[0])
    counts = {"register entries": 0, "requests": 0, "tickets": 0, "disposal batches": 0, "GDPR extracts": 0}
    for owner in owners:
        actions.do_register_case(
            {
                "direction": Direction.INCOMING,
                "counterparty": f"{owner.name} kommun",
                "subject": "Beställning av nätverksutredning",
                "concerns_owner": owner,
            },
            actor=officer,
        )
        actions.do_register_case(
            {
                "direction": Direction.OUTGOING,
                "counterparty": f"{owner.name} kommun",
                "subject": "Svar om nätverksutredning",
                "concerns_owner": owner,
                "secrecy_ground": SecrecyGround.objects.get(code="osl_18_8"),
            },
            actor=officer,
        )
        counts["register entries"] += 2
    requester = Person.objects.filter(owner=hoor, kind="employee", active=True).order_by("id").first()
    if requester is None:
        return counts
    october = timezone.make_aware(datetime(timezone.localdate().year, 10, 14, 9, 30))
    if october > timezone.now():
        october = october.replace(year=october.year - 1)
    wifi = sd.do_create_ticket(
        {
            "requester": requester,
            "subject": "Wifi på Höörs bibliotek tappar anslutningen",
            "description": "Besökarna på biblioteket i Höör tappar gästnätet flera gånger i timmen.",
            "impact": 2,
            "urgency": 2,
        },
        actor=agent,
    )
    sd.do_add_comment(wifi, "Vi har felanmält accesspunkten och återkommer.", actor=agent)
    sd.do_add_comment(
        wifi,
        "Gästnätet delar VLAN 20 med personalnätet; switchens administratörslösenord står i valvet under BIB-SW1.",
        actor=agent,
        kind="note",
        confidential=True,
        secrecy_ground="osl_18_8",
    )
    Ticket.objects.filter(pk=wifi.pk).update(created=october, updated=october)
    counts["tickets"] += 1
    request = actions.do_register_request(
        {
            "description": "Alla ärenden om wifi på Höörs bibliotek i oktober.",
            "channel": "email",
            "search_from": october.date().replace(day=1),
            "search_to": october.date().replace(day=31),
        },
        actor=officer,
    )
    actions.do_add_request_item(request, "servicedesk.ticket", wifi.pk, actor=officer)
    counts["requests"] += 1
    # Disposal: tickets are disposed of two years after closure once the board has decided so.
    tickets_type = RecordType.objects.filter(code="tickets").first()
    if tickets_type is not None:
        actions.do_update_record_type(
            tickets_type, {"decision": "Styrelsebeslut 2026-03-12 § 14 (demo)"}, actor=officer
        )
        old = []
        for i in range(3):
            ticket = sd.do_create_ticket(
                {"requester": requester, "subject": f"Skrivaren på plan {i + 2} skriver inte ut"}, actor=agent
            )
            sd.do_change_ticket_status(ticket, "resolved", actor=agent)
            sd.do_change_ticket_status(ticket, "closed", actor=agent)
            old.append(ticket.pk)
        long_ago = timezone.now() - timedelta(days=3 * 365)
        Ticket.objects.filter(pk__in=old).update(created=long_ago, resolved_at=long_ago, closed_at=long_ago)
        counts["tickets"] += len(old)
        tickets_type.refresh_from_db()
        if actions.propose_disposal(tickets_type, actor=officer) is not None:
            counts["disposal batches"] += 1
    pupil = _pupil_with_device() or Person.objects.filter(owner=hoor, kind="pupil").order_by("id").first()
    if pupil is not None:
        actions.do_gdpr_extract(pupil, actor=officer)
        counts["GDPR extracts"] += 1
    return counts


def _pupil_with_device() -> Any:
    from samdrift.assets.models import AssetAssignment

    assignment = AssetAssignment.objects.filter(person__kind="pupil").select_related("person").order_by("id").first()
    return assignment.person if assignment else None
