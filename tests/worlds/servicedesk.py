"""Service-desk rows for both owners: categories, SLA policies, tickets with a reply, a
confidential note, time and a link, so that the isolation test tries every service-desk route."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from samdrift.servicedesk import actions, intake, saved_views
from samdrift.servicedesk.models import CommentKind, TicketSecrecyGround


def _owner_rows(world: Any, ow: Any) -> None:
    m = ow.marker
    admin, agent = world.admin, world.agent
    category = actions.do_create_category({"owner": ow.owner, "name": f"Klient {m}"}, actor=admin)
    policy = actions.do_create_sla_policy(
        {"owner": ow.owner, "priority": 3, "first_response_minutes": 240, "resolution_minutes": 1620}, actor=admin
    )
    ticket = actions.do_create_ticket(
        {
            "requester": ow.employee,
            "subject": f"Skrivaren fungerar inte {m}",
            "description": f"Beskrivning {m}",
            "category": category,
            "impact": 2,
            "urgency": 2,
        },
        actor=agent,
    )
    own = actions.do_create_ticket(
        {"subject": f"Mitt lösenord {m}", "description": f"Eget ärende {m}", "assets": [ow.extra["asset"]]},
        actor=ow.end_user,
    )
    reply = actions.do_add_comment(ticket, f"Vi tittar på det {m}", actor=agent)
    note = actions.do_add_comment(
        ticket,
        f"Hemlig anteckning {m}",
        actor=agent,
        kind=CommentKind.NOTE,
        confidential=True,
        secrecy_ground=TicketSecrecyGround.SECURITY,
    )
    entry = actions.do_log_time(ticket, 30, actor=agent, note=f"Felsökning {m}")
    link = actions.do_link_tickets(ticket, own, actor=agent)
    article = actions.do_create_article(
        {"owner": ow.owner, "title": f"Skrivaren skriver inte ut {m}", "body": f"Starta om skrivaren. {m}"},
        actor=agent,
    )
    internal = actions.do_create_article(
        {"owner": ow.owner, "title": f"Intern rutin {m}", "body": f"Lösenord i valvet {m}", "visibility": "internal"},
        actor=agent,
    )
    mailbox = intake.do_create_mailbox(
        {
            "owner": ow.owner,
            "name": f"Support {m}",
            "address": f"support.{m.lower()}@samdrift.example",
            "host": "127.0.0.1",
            "port": 143,
            "security": "none",
            "username": f"support-{m}",
            "password": f"hemligt-{m}",
        },
        actor=admin,
    )
    raw = (
        f"From: {ow.employee.email}\r\nTo: {mailbox.address}\r\nSubject: Datorn startar inte {m}\r\n"
        f"Message-ID: <world-{m}@example.org>\r\n\r\nDen svarta skärmen {m}.\r\n"
    ).encode()
    received = intake.do_store_inbound_message(mailbox, 1, 1, raw)
    assert received is not None
    received = intake.do_process_inbound_message(received)
    attachment = intake.do_add_attachment(
        ticket, SimpleUploadedFile(f"skarmbild-{m}.png", b"\x89PNG " + m.encode(), "image/png"), actor=agent
    )
    ow.extra.update(
        sd_mailbox=mailbox,
        sd_received=received,
        sd_attachment=attachment,
        sd_category=category,
        sd_policy=policy,
        sd_ticket=ticket,
        sd_own_ticket=own,
        sd_reply=reply,
        sd_note=note,
        sd_time=entry,
        sd_link=link,
        sd_article=article,
        sd_internal_article=internal,
    )


def extend(world: Any) -> None:
    group = actions.do_create_support_group({"name": "Servicedesk"}, actor=world.admin, members=[world.agent])
    world.extra["sd_group"] = group
    _owner_rows(world, world.a)
    _owner_rows(world, world.b)
    # Saved views are the desk's, not an owner's; this one names owner B's filter.
    # Support groups are the operator's; owner users see none. This one carries owner B's marker,
    # so that the isolation walk tries every group route and would notice it shown to owner A.
    world.b.extra["sd_support_group"] = actions.do_create_support_group(
        {"name": f"Grupp för Kommun B {world.b.marker}"}, actor=world.admin
    )
    world.b.extra["sd_saved_view"] = saved_views.do_save_view(
        {"name": f"Kommun B {world.b.marker}", "query": f"owner={world.b.owner.pk}"}, actor=agent_of(world)
    )


def agent_of(world: Any) -> Any:
    return world.agent
