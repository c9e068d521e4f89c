"""Records rows naming owner B: a register entry with an attachment, a public access request with
B's ticket in it (a marked part, a decision), a secrecy marking, a disposal batch, a GDPR extract of
B's pupil and an archive export holding B's closed register entry, so that the isolation test
tries every records route with them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from samdrift.records import actions, archive
from samdrift.records.models import Case, RecordType, SecrecyGround
from samdrift.servicedesk import actions as sd_actions


def extend(world: Any) -> None:
    officer = world.records
    b = world.b
    # The service-desk world is built after this one (alphabetical order): a ticket of our own.
    ticket = sd_actions.do_create_ticket(
        {"requester": b.employee, "subject": f"Nätverket nere {b.marker}", "description": f"Switch i rack {b.marker}"},
        actor=world.agent,
    )
    sd_actions.do_add_comment(
        ticket,
        f"Lösenordet är {b.marker}",
        actor=world.agent,
        kind="note",
        confidential=True,
        secrecy_ground="osl_18_8",
    )
    security = SecrecyGround.objects.get(code="osl_18_8")
    with override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}):
        case = actions.do_register_case(
            {
                "subject": f"Skrivelse om nätet {b.marker}",
                "counterparty": f"Avsändare {b.marker}",
                "concerns_owner": b.owner,
            },
            actor=officer,
            files=[SimpleUploadedFile(f"brev-{b.marker}.txt", f"Brev {b.marker}".encode())],
        )
    request = actions.do_register_request(
        {"requester_name": f"Journalist {b.marker}", "description": f"Alla ärenden om skrivaren {b.marker}"},
        actor=officer,
    )
    item = actions.do_add_request_item(request, "servicedesk.ticket", ticket.pk, actor=officer)
    marking = actions.do_mark_secret(
        item.content_type, ticket.pk, security, actor=officer, field_name="description", note=f"Nät {b.marker}"
    )
    record_type = actions.do_create_record_type(
        {
            "code": "w-letters",
            "name": f"Testskrivelser {b.marker}",
            "content_type": ContentType.objects.get_for_model(Case),
            "keep": False,
            "retention_years": 1,
            "retention_event": "created",
            "decision": "Testbeslut",
        },
        actor=officer,
    )
    batch = actions.propose_disposal(record_type, actor=officer, now=timezone.now() + timedelta(days=800))
    gdpr = actions.do_gdpr_extract(b.pupil, actor=officer)
    # A closed register entry of B's, delivered to the archive in a package built at once.
    closed = actions.do_register_case(
        {"subject": f"Avslutat ärende {b.marker}", "concerns_owner": b.owner}, actor=officer
    )
    actions.do_close_case(closed, actor=officer)
    today = timezone.localdate()
    export = archive.do_start_archive_export(
        {"record_type": RecordType.objects.get(code="register"), "date_from": today, "date_to": today},
        actor=officer,
        background=False,
    )
    b.extra.update(
        records_case=case,
        records_attachment=case.attachments.get(),
        records_request=request,
        records_item=item,
        records_marking=marking,
        records_type=record_type,
        records_batch=batch,
        records_gdpr=gdpr,
        records_ground=security,
        records_archive_export=export,
    )
