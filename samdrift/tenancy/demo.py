"""Demo data: the operator, three owner municipalities, their org units, cost centres, people and
one demo user for every role. `load_demo(owners=N, people=M)` builds larger synthetic data for
benchmarks; everything is written through bulk actions with audit events."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import batched
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction

from samdrift.core.audit import PendingEvent, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.money import split_units
from samdrift.core.roles import SYSTEM_ROLE, Role
from samdrift.tenancy.models import (
    CostCentre,
    Membership,
    Operator,
    OrgUnit,
    OrgUnitKind,
    Owner,
    Person,
    User,
)

DEMO_PASSWORD = "samdrift-demo"  # noqa: S105 - published demo password, shown by `make run`
DATA = Path(__file__).parent / "data"
EMPLOYEES = 4300
PUPILS = 3500
PEOPLE_BATCH = 5000  # rows per INSERT (and per audit batch) when people are generated

FIRST_NAMES = (
    "Anna Eva Maria Karin Sara Lena Emma Kerstin Malin Ingrid Linnea Elin Johanna Sofia Ida Hanna "
    "Lars Erik Anders Johan Per Karl Nils Mikael Jan Olof Peter Fredrik Oskar Gustav Axel Viktor "
    "Astrid Maja Alice Ebba Wilma Elsa Saga Alva Liam Noah Hugo Elias Lucas William Melvin Ali Leo"
).split()
LAST_NAMES = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Olofsson "
    "Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren Lundqvist Mattsson "
    "Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund Danielsson "
    "Håkansson Lundin Björk Bergman Gunnarsson Holm Wikström Samuelsson Isaksson Fransson Nyström"
).split()

ADMINISTRATIONS = [
    ("KS", "Kommunledningsförvaltningen", ["Ekonomi", "HR", "Kommunikation", "Kansli"]),
    ("BUF", "Barn- och utbildningsförvaltningen", []),  # schools are added below
    ("VO", "Vård- och omsorgsförvaltningen", ["Hemtjänst norr", "Hemtjänst söder", "Särskilt boende", "LSS"]),
    ("SBF", "Samhällsbyggnadsförvaltningen", ["Bygglov", "Gata och park", "VA"]),
    ("KF", "Kultur- och fritidsförvaltningen", ["Biblioteket", "Fritidsgårdar", "Idrottshallar"]),
]
SCHOOL_SUFFIXES = ["skolan", "gymnasiet", "förskolan"]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    role: str
    owner_index: int | None  # index into the owners list; None for operator roles
    description: str


DEMO_LOGINS = [
    DemoLogin("admin", "Agneta", "Holm", Role.ADMIN, None, "administrator (operator)"),
    DemoLogin("agent", "Sven", "Lind", Role.AGENT, None, "service-desk agent"),
    DemoLogin("tekniker", "Tove", "Berg", Role.TECHNICIAN, None, "technician"),
    DemoLogin("ekonomi", "Göran", "Ek", Role.FINANCE, None, "finance"),
    DemoLogin("registrator", "Ulla", "Sjö", Role.RECORDS_OFFICER, None, "records officer"),
    DemoLogin("horby.insyn", "Britt", "Åberg", Role.OWNER_VIEWER, 0, "owner viewer, Hörby"),
    DemoLogin("horby.bestallare", "Kent", "Möller", Role.ORDERER, 0, "orderer, Hörby"),
    DemoLogin("horby.attest", "Lisa", "Ström", Role.APPROVER, 0, "approver, Hörby"),
    DemoLogin("horby.anvandare", "Pia", "Nord", Role.END_USER, 0, "end user, Hörby"),
    DemoLogin("hoor.bestallare", "Omar", "Hassan", Role.ORDERER, 1, "orderer, Höör"),
    DemoLogin("hoor.attest", "Kim", "Dahl", Role.APPROVER, 1, "approver, Höör"),
    DemoLogin("goinge.insyn", "Rut", "Falk", Role.OWNER_VIEWER, 2, "owner viewer, Östra Göinge"),
]


def demo_logins() -> list[tuple[str, str]]:
    return [(login.username, login.description) for login in DEMO_LOGINS]


def luhn_complete(nine_digits: str) -> str:
    """Append the Luhn check digit to nine digits (a Swedish organisation number's rule)."""
    total = 0
    for i, ch in enumerate(nine_digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine_digits + str((10 - total % 10) % 10)


def fictitious_orgnr(n: int) -> str:
    """Clearly invented organisation numbers (prefix 999) that pass the check."""
    return luhn_complete(f"999{n:06d}")


def slug(name: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "a", "Ä": "a", "Ö": "o", " ": "-"})
    return name.translate(table).lower()


def read_municipalities() -> list[dict[str, str]]:
    with (DATA / "municipalities.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _events(objs: list[Any], event_type: str = AuditEventType.CREATED) -> Iterator[PendingEvent]:
    for obj in objs:
        yield PendingEvent(event_type=event_type, obj=obj, extra={"source": "demo"})


def _bulk(model: type[Any], objs: list[Any], batch: int = 5000) -> list[Any]:
    created = model.objects.bulk_create(objs, batch_size=batch)
    record_events(None, SYSTEM_ROLE, _events(created))
    return created


def is_empty() -> bool:
    return not Owner.objects.exists()


def _owners_spec(count: int | None) -> list[dict[str, Any]]:
    rows = read_municipalities()
    specs = [
        {
            "name": r["name"],
            "municipality_code": r["municipality_code"],
            "population": int(r["population"]),
            "population_year": int(r["population_year"]) if r["population_year"] else None,
            "population_source": r["population_source"],
        }
        for r in rows
    ]
    if count is None or count <= len(specs):
        return specs[: count or len(specs)]
    rng = random.Random(1266)
    for i in range(len(specs), count):
        specs.append(
            {
                "name": f"Demokommun {i + 1:03d}",
                "municipality_code": f"{9000 + i:04d}",
                "population": rng.randint(2500, 150000),
                "population_year": 2024,
                "population_source": "synthetic benchmark data",
            }
        )
    return specs


def _people(
    rng: random.Random,
    owner_objs: list[Owner],
    employees_per_owner: list[int],
    pupils_per_owner: list[int],
    workplaces_by_owner: dict[int, list[OrgUnit]],
    schools_by_owner: dict[int, list[OrgUnit]],
    centre_by_unit: dict[int | None, CostCentre],
) -> Iterator[Person]:
    """The people of every owner, employees then pupils, made one at a time (never all in memory)."""
    titles = ["Handläggare", "Lärare", "Undersköterska", "Chef", "Assistent", "Ingenjör"]
    for owner, n_emp, n_pup in zip(owner_objs, employees_per_owner, pupils_per_owner, strict=True):
        domain = f"{slug(owner.name)}.example"
        workplaces = workplaces_by_owner[owner.pk]
        schools = schools_by_owner[owner.pk]
        for k in range(n_emp):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            unit = rng.choice(workplaces)
            yield Person(
                owner=owner,
                kind="employee",
                first_name=first,
                last_name=last,
                email=f"{slug(first)}.{slug(last)}{k}@{domain}",
                external_id=f"E{k + 1:06d}",
                title=rng.choice(titles),
                org_unit=unit,
                cost_centre=centre_by_unit[unit.pk],
            )
        for k in range(n_pup):
            unit = rng.choice(schools)
            yield Person(
                owner=owner,
                kind="pupil",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                external_id=f"P{k + 1:06d}",
                org_unit=unit,
                cost_centre=centre_by_unit[unit.pk],
            )


@transaction.atomic
def load_demo(
    *,
    owners: int | None = None,
    people: int | None = None,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Create the demo world in one transaction. Refuses to run on a database that already has owners.

    People are made and written in batches of PEOPLE_BATCH, each with its audit events, so memory
    stays flat however many are asked for; `progress(done, total)` is called after each batch.
    """
    if not is_empty():
        raise RuntimeError("the database already has owners; demo data is only loaded into an empty one")
    rng = random.Random(seed)
    if not Operator.objects.exists():
        operator = Operator(
            id=1,
            name="Samdrift IT AB (demo)",
            org_number=fictitious_orgnr(1),
            vat_number=f"SE{fictitious_orgnr(1)}01",
            bankgiro="999-0001",
            peppol_id=f"0007:{fictitious_orgnr(1)}",
            street="Storgatan 1",
            postcode="242 30",
            city="Hörby",
            email="it@samdrift.example",
            is_fictitious=True,
        )
        operator.full_clean()
        operator.save(force_insert=True)
        record_events(None, SYSTEM_ROLE, _events([operator]))

    specs = _owners_spec(owners)
    owner_objs = []
    for i, spec in enumerate(specs):
        orgnr = fictitious_orgnr(100 + i)
        owner = Owner(
            **spec,
            org_number=orgnr,
            peppol_endpoint=f"0007:{orgnr}",
            invoice_street="Box 1",
            invoice_postcode="000 00",
            invoice_city=spec["name"],
            is_fictitious=True,
        )
        owner.full_clean(validate_unique=False)
        owner_objs.append(owner)
    owner_objs = _bulk(Owner, owner_objs)

    # Org units: administrations, then their units and the schools.
    admins: list[OrgUnit] = []
    for owner in owner_objs:
        for code, name, _units in ADMINISTRATIONS:
            admins.append(OrgUnit(owner=owner, code=code, name=name, kind=OrgUnitKind.ADMINISTRATION))
    admins = _bulk(OrgUnit, admins)
    by_owner_admin = {(a.owner_id, a.code): a for a in admins}
    units: list[OrgUnit] = []
    for owner in owner_objs:
        for code, _name, unit_names in ADMINISTRATIONS:
            parent = by_owner_admin[(owner.pk, code)]
            for j, unit_name in enumerate(unit_names):
                units.append(
                    OrgUnit(
                        owner=owner, parent=parent, code=f"{code}-{j + 1:02d}", name=unit_name, kind=OrgUnitKind.UNIT
                    )
                )
        buf = by_owner_admin[(owner.pk, "BUF")]
        school_count = max(3, (owner.population or 10000) // 3000)
        for j in range(school_count):
            base = rng.choice(LAST_NAMES[:30]).replace("sson", "s").lower().capitalize()
            units.append(
                OrgUnit(
                    owner=owner,
                    parent=buf,
                    code=f"BUF-S{j + 1:02d}",
                    name=f"{base}{SCHOOL_SUFFIXES[j % len(SCHOOL_SUFFIXES)]}",
                    kind=OrgUnitKind.SCHOOL,
                )
            )
    units = _bulk(OrgUnit, units)

    # One cost centre per unit and school, with the owner's invoice reference code.
    centres = [
        CostCentre(
            owner_id=u.owner_id,
            code=f"{1000 + i}",
            name=u.name,
            invoice_reference=f"{u.owner_id:03d}{1000 + i}",
            org_unit=u,
        )
        for i, u in enumerate(units)
    ]
    centres = _bulk(CostCentre, centres)
    centre_by_unit = {c.org_unit_id: c for c in centres}

    # People split by population with the largest remainder, so the totals are exact.
    weights = [o.population or 1 for o in owner_objs]
    if people is None:
        employees_per_owner = split_units(EMPLOYEES, weights)
        pupils_per_owner = split_units(PUPILS, weights)
    else:
        employees_per_owner = split_units(people * EMPLOYEES // (EMPLOYEES + PUPILS), weights)
        pupils_per_owner = split_units(people - sum(employees_per_owner), weights)
    target_people = sum(employees_per_owner) + sum(pupils_per_owner)
    schools_by_owner: dict[int, list[OrgUnit]] = {}
    workplaces_by_owner: dict[int, list[OrgUnit]] = {}
    for u in units:
        (schools_by_owner if u.kind == OrgUnitKind.SCHOOL else workplaces_by_owner).setdefault(u.owner_id, []).append(u)
        if u.kind == OrgUnitKind.SCHOOL:
            workplaces_by_owner.setdefault(u.owner_id, []).append(u)

    people_stream = _people(
        rng, owner_objs, employees_per_owner, pupils_per_owner, workplaces_by_owner, schools_by_owner, centre_by_unit
    )
    total_people = 0
    for chunk in batched(people_stream, PEOPLE_BATCH):
        _bulk(Person, list(chunk))
        total_people += len(chunk)
        reset_queries()  # with DEBUG on, Django keeps every query's SQL; a million rows would fill memory
        if progress is not None:
            progress(total_people, target_people)

    # One demo user for every role, each linked to a person of their owner (or of the first owner).
    def owner_of(login: DemoLogin) -> Owner | None:
        # with fewer owners than the demo logins name, the last owner stands in
        return None if login.owner_index is None else owner_objs[min(login.owner_index, len(owner_objs) - 1)]

    # Hashed once for every demo login: they share the published demo password, and each hash costs
    # about a second of PBKDF2 (Django's production work factor), which every first `make run` paid
    # a dozen times.
    demo_hash = make_password(DEMO_PASSWORD)
    users = []
    for login in DEMO_LOGINS:
        owner = owner_of(login) or owner_objs[0]
        person = Person(
            owner=owner,
            kind="employee",
            first_name=login.first_name,
            last_name=login.last_name,
            email=f"{login.username}@{slug(owner.name)}.example",
            external_id=f"DEMO-{login.username}",
            title="Demo",
            org_unit=workplaces_by_owner[owner.pk][0],
        )
        _bulk(Person, [person])
        user = User(
            username=login.username,
            first_name=login.first_name,
            last_name=login.last_name,
            email=person.email,
            person=person,
        )
        user.password = demo_hash
        users.append(user)
    users = _bulk(User, users)
    memberships = [
        Membership(user=user, role=login.role, owner=owner_of(login))
        for user, login in zip(users, DEMO_LOGINS, strict=True)
    ]
    Membership.objects.bulk_create(memberships)
    record_events(
        None,
        SYSTEM_ROLE,
        (
            PendingEvent(
                AuditEventType.ROLE_GRANTED,
                obj=m.user,
                owner_id=m.owner_id,
                extra={"role": m.role, "owner": m.owner_id},
            )
            for m in memberships
        ),
    )
    record_events(
        None,
        SYSTEM_ROLE,
        [PendingEvent(AuditEventType.DEMO_LOADED, extra={"owners": len(owner_objs), "people": total_people})],
    )
    return {
        "owners": len(owner_objs),
        "org_units": len(admins) + len(units),
        "cost_centres": len(centres),
        "people": total_people,
        "users": len(users),
    }
