"""A small world of its own for the records tests: two owners (Höör, and another), a records
officer, an agent, an admin and owner users, and the Wi-Fi ticket of the issue's example with a
note marked under OSL 18 kap. 8 §. (The project-wide `world` is used where the generic tests need
it; building it for every records test would take minutes.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone, translation

from samdrift.core.roles import Role
from samdrift.servicedesk import actions as sd
from samdrift.tenancy.demo import fictitious_orgnr
from tests.conftest import OwnerWorld, make_owner_world, make_user

SECRET_NOTE = "Switchens lösenord är Hemligt123 och gästnätet delar VLAN 20"


@dataclass
class RecordsWorld:
    hoor: OwnerWorld
    other: OwnerWorld
    officer: Any
    agent: Any
    admin: Any
    technician: Any
    wifi: Any
    printer: Any
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def october(day: int, year: int = 2025) -> datetime:
    return timezone.make_aware(datetime(year, 10, day, 10, 0))


@pytest.fixture
def rw(db: Any) -> RecordsWorld:
    hoor = make_owner_world("Höör", "1267", fictitious_orgnr(901), "HOORQ")
    other = make_owner_world("Annan", "9903", fictitious_orgnr(902), "ANNQX")
    agent = make_user("agent_rw", Role.AGENT)
    wifi = sd.do_create_ticket(
        {
            "requester": hoor.employee,
            "subject": "Wifi på Höörs bibliotek tappar anslutningen",
            "description": "Gästnätet försvinner flera gånger i timmen.",
        },
        actor=agent,
    )
    sd.do_add_comment(wifi, "Vi felanmäler accesspunkten.", actor=agent)
    sd.do_add_comment(wifi, SECRET_NOTE, actor=agent, kind="note", confidential=True, secrecy_ground="osl_18_8")
    printer = sd.do_create_ticket(
        {"requester": hoor.employee, "subject": "Skrivaren på biblioteket", "description": "Papper fastnar."},
        actor=agent,
    )
    from samdrift.servicedesk.models import Ticket

    # The example is about October: the tickets were written then.
    Ticket.objects.filter(pk=wifi.pk).update(created=october(14))
    Ticket.objects.filter(pk=printer.pk).update(created=october(20))
    wifi.refresh_from_db()
    printer.refresh_from_db()
    return RecordsWorld(
        hoor=hoor,
        other=other,
        officer=make_user("registrator_rw", Role.RECORDS_OFFICER),
        agent=agent,
        admin=make_user("admin_rw", Role.ADMIN),
        technician=make_user("tech_rw", Role.TECHNICIAN),
        wifi=wifi,
        printer=printer,
    )


def events_for(obj: Any) -> list[Any]:
    from samdrift.core.models import AuditEvent

    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("id"))
