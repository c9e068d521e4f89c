"""Service-desk demo data for the three demo owners: support groups, a category tree per owner,
SLA policies, a few hundred tickets in every state with replies, notes and time, knowledge-base
articles, a saved view, and a mailbox pointing at localhost that is switched off (turn it on and
set its password to try email in)."""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction

from samdrift.core.roles import Role
from samdrift.servicedesk import actions, intake, saved_views
from samdrift.servicedesk.models import Mailbox, Status, SupportGroup
from samdrift.tenancy.models import Membership, Owner, Person, User

TICKETS = 300
CATEGORIES = {
    "Klient": ["Dator", "Skrivare", "Mobiltelefon"],
    "Nätverk": ["Wifi", "VPN"],
    "Konton och behörigheter": ["Lösenord", "Ny användare"],
    "E-post och kalender": [],
    "Verksamhetssystem": [],
}
SUBJECTS = [
    ("Skrivaren skriver inte ut", "Skrivare"),
    ("Datorn startar inte", "Dator"),
    ("Glömt lösenordet", "Lösenord"),
    ("Ingen wifi i aulan", "Wifi"),
    ("VPN kopplar ner hela tiden", "VPN"),
    ("Behöver konto till nyanställd", "Ny användare"),
    ("Kalendern synkar inte i mobilen", "E-post och kalender"),
    ("Skärmen flimrar", "Dator"),
    ("Kan inte logga in i ekonomisystemet", "Verksamhetssystem"),
    ("Telefonen tar inte emot samtal", "Mobiltelefon"),
]
ARTICLES = [
    ("Så byter du ditt lösenord", "Gå till lösenordsportalen, logga in med BankID och välj ett nytt lösenord."),
    ("Skrivaren skriver inte ut", "Kontrollera att skrivaren har papper och toner, starta om den och försök igen."),
    ("Anslut till wifi på skolan", "Välj nätverket eduroam och logga in med din e-postadress och ditt lösenord."),
    ("Så kopplar du upp VPN", "Starta VPN-klienten, välj profilen Kommun och logga in med din kod."),
]
SLA = {1: (30, 240), 2: (60, 540), 3: (240, 1620), 4: (480, 4500)}


def is_loaded() -> bool:
    return Mailbox.objects.filter(name="Servicedesk demo").exists()


@transaction.atomic
def load_app_demo(*, seed: int = 2026, tickets: int = TICKETS) -> dict[str, int]:
    if is_loaded():
        raise RuntimeError("service-desk demo data is already loaded")
    owners = list(Owner.objects.filter(active=True).order_by("name")[:3])
    if not owners:
        raise RuntimeError("load the tenancy demo first (samdrift demo)")
    rnd = random.Random(seed)
    desk = list(
        User.objects.filter(
            memberships__active=True, memberships__owner__isnull=True, memberships__role__in=[Role.AGENT, Role.ADMIN]
        )
        .distinct()
        .order_by("username")
    )
    agents = [u for u in desk if Membership.objects.filter(user=u, role=Role.AGENT, owner__isnull=True).exists()]
    counts = {"groups": 0, "categories": 0, "SLA policies": 0, "tickets": 0, "articles": 0, "mailboxes": 0}
    groups = []
    for name in ("Servicedesk", "Klient", "Nätverk"):
        group = SupportGroup.objects.filter(name=name).first() or actions.do_create_support_group(
            {"name": name}, actor=None, members=desk
        )
        groups.append(group)
        counts["groups"] += 1
    leaf_categories: dict[int, dict[str, Any]] = {}
    for owner in owners:
        by_name: dict[str, Any] = {}
        for parent_name, children in CATEGORIES.items():
            parent = actions.do_create_category(
                {"owner": owner, "name": parent_name, "default_group": groups[1 if parent_name == "Klient" else 0]},
                actor=None,
            )
            by_name[parent_name] = parent
            counts["categories"] += 1
            for child in children:
                by_name[child] = actions.do_create_category(
                    {
                        "owner": owner,
                        "parent": parent,
                        "name": child,
                        "default_group": groups[2 if parent_name == "Nätverk" else 1],
                    },
                    actor=None,
                )
                counts["categories"] += 1
        leaf_categories[owner.pk] = by_name
        for priority, (first, resolution) in SLA.items():
            actions.do_create_sla_policy(
                {
                    "owner": owner,
                    "priority": priority,
                    "first_response_minutes": first,
                    "resolution_minutes": resolution,
                },
                actor=None,
            )
            counts["SLA policies"] += 1
        for title, body in ARTICLES:
            actions.do_create_article({"owner": owner, "title": title, "body": body}, actor=None)
            counts["articles"] += 1
        actions.do_create_article(
            {
                "owner": owner,
                "title": "Rutin vid driftstörning",
                "body": "Internt: ring jouren.",
                "visibility": "internal",
            },
            actor=None,
        )
        counts["articles"] += 1
    people = {
        owner.pk: list(
            Person.objects.filter(owner=owner, kind="employee", active=True).exclude(email="").order_by("id")[:200]
        )
        for owner in owners
    }
    for i in range(tickets):
        owner = owners[i % len(owners)]
        if not people[owner.pk]:
            continue
        subject, category_name = SUBJECTS[rnd.randrange(len(SUBJECTS))]
        ticket = actions.do_create_ticket(
            {
                "requester": rnd.choice(people[owner.pk]),
                "subject": subject,
                "description": f"{subject}. Hör av er så snart som möjligt.",
                "channel": rnd.choice(["portal", "email", "phone"]),
                "type": rnd.choice(["incident", "incident", "request", "question"]),
                "category": leaf_categories[owner.pk][category_name],
                "impact": rnd.choice([1, 2, 3, 3]),
                "urgency": rnd.choice([1, 2, 3, 3]),
            },
            actor=None,
        )
        counts["tickets"] += 1
        fate = i % 10
        if fate == 0 or not agents:
            continue  # new, unassigned
        agent = agents[i % len(agents)]
        actions.do_assign_ticket(ticket, group=ticket.group, assignee=agent, actor=agent)
        if fate == 1:
            continue
        actions.do_add_comment(ticket, "Tack, vi tittar på det.", actor=agent)
        actions.do_change_ticket_status(ticket, Status.IN_PROGRESS, actor=agent)
        if fate in (2, 3):
            continue
        if fate == 4:
            actions.do_change_ticket_status(ticket, Status.WAITING_REQUESTER, actor=agent)
            continue
        actions.do_log_time(ticket, rnd.choice([10, 15, 30, 45]), actor=agent)
        actions.do_add_comment(ticket, "Felsökning gjord.", actor=agent, kind="note")
        actions.do_change_ticket_status(ticket, Status.RESOLVED, actor=agent)
        if fate >= 8:
            actions.do_change_ticket_status(ticket, Status.CLOSED, actor=agent)
    intake.do_create_mailbox(
        {
            "owner": owners[0],
            "name": "Servicedesk demo",
            "address": "servicedesk@localhost",
            "host": "localhost",
            "port": 143,
            "security": "none",
            "username": "servicedesk",
            "password": "",
            "default_group": groups[0],
            "unknown_senders": "reject",
            "active": False,
        },
        actor=None,
    )
    counts["mailboxes"] += 1
    if agents:
        saved_views.do_save_view(
            {"name": "Prio 1 och 2", "query": "queue=open&priority=1", "shared": True}, actor=agents[0]
        )
    return counts
