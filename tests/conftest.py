"""Shared fixtures: two owners (A and B) with data, and a named user for every role in each.

Tests read like the feature: `world.a.orderer` is an orderer at owner A, `world.admin` an
operator administrator, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from samdrift.core import triggers
from samdrift.core.roles import Role
from samdrift.tenancy import actions
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person, User

# Playwright fixtures (one browser per process) for every app's browser tests.
pytest_plugins = ["tests.playwright_fixtures"]

PASSWORD = "test-password-123"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 costs a third of a second per user; tests make dozens of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _throttles_out_of_the_way(settings: Any) -> None:
    """Throttle counters live in the cache, which outlives a test: each test starts with none, and
    with API rates no walk over every route reaches (tests/test_throttling.py sets its own)."""
    from django.core.cache import cache

    cache.clear()
    settings.SAMDRIFT_API_THROTTLE_RATES = {"token": "100000/min", "user": "100000/min", "anon": "100000/min"}


@pytest.fixture(scope="session", autouse=True)
def _flush_keeps_audit_triggers() -> Any:
    """TransactionTestCase (live_server) empties tables between tests; the append-only triggers
    forbid that, so for the test flush only they are lifted and put back at once."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: Any) -> None:
        triggers.remove(self.connection)
        try:
            original(self, sql_list)
        finally:
            triggers.install(self.connection)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@dataclass
class OwnerWorld:
    owner: Owner
    admin_unit: OrgUnit
    school: OrgUnit
    cost_centre: CostCentre
    employee: Person
    pupil: Person
    viewer: User
    orderer: User
    approver: User
    end_user: User
    marker: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    a: OwnerWorld
    b: OwnerWorld
    admin: User
    agent: User
    technician: User
    finance: User
    records: User
    nobody: User
    users: dict[str, User] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def make_user(username: str, role: str | None = None, owner: Owner | None = None, person: Person | None = None) -> User:
    user = actions.do_create_user(
        {
            "username": username,
            "first_name": username.title(),
            "last_name": "Test",
            "email": f"{username}@example.org",
            "person": person,
        },
        actor=None,
        password=PASSWORD,
    )
    if role:
        actions.do_grant_role(user, role, owner, actor=None)
    return User.objects.get(pk=user.pk)


def make_owner_world(name: str, code: str, orgnr: str, marker: str) -> OwnerWorld:
    owner = actions.do_create_owner(
        {"name": f"{name} {marker}", "municipality_code": code, "org_number": orgnr, "population": 15000},
        actor=None,
    )
    admin_unit = actions.do_create_org_unit(
        {"owner": owner, "code": f"KS-{marker}", "name": f"Kommunledning {marker}", "kind": "administration"},
        actor=None,
    )
    school = actions.do_create_org_unit(
        {"owner": owner, "parent": admin_unit, "code": f"S-{marker}", "name": f"Skola {marker}", "kind": "school"},
        actor=None,
    )
    centre = actions.do_create_cost_centre(
        {
            "owner": owner,
            "code": f"CC-{marker}",
            "name": f"Kostnadsställe {marker}",
            "invoice_reference": f"REF-{marker}",
        },
        actor=None,
    )
    employee = actions.do_create_person(
        {
            "owner": owner,
            "kind": "employee",
            "first_name": f"Anställd{marker}",
            "last_name": f"Efternamn{marker}",
            "email": f"anstalld.{marker.lower()}@example.org",
            "external_id": f"E-{marker}",
            "org_unit": admin_unit,
            "cost_centre": centre,
        },
        actor=None,
    )
    pupil = actions.do_create_person(
        {
            "owner": owner,
            "kind": "pupil",
            "first_name": f"Elev{marker}",
            "last_name": f"Elevsson{marker}",
            "external_id": f"P-{marker}",
            "org_unit": school,
        },
        actor=None,
    )
    slug = marker.lower()
    end_person = actions.do_create_person(
        {
            "owner": owner,
            "kind": "employee",
            "first_name": f"Slut{marker}",
            "last_name": "Användare",
            "external_id": f"U-{marker}",
        },
        actor=None,
    )
    return OwnerWorld(
        owner=owner,
        admin_unit=admin_unit,
        school=school,
        cost_centre=centre,
        employee=employee,
        pupil=pupil,
        viewer=make_user(f"viewer_{slug}", Role.OWNER_VIEWER, owner),
        orderer=make_user(f"orderer_{slug}", Role.ORDERER, owner),
        approver=make_user(f"approver_{slug}", Role.APPROVER, owner),
        end_user=make_user(f"enduser_{slug}", Role.END_USER, owner, person=end_person),
        marker=marker,
    )


@pytest.fixture
def world(db: Any) -> World:
    a = make_owner_world("Kommun A", "9901", "9990000011", "AAAQX")
    b = make_owner_world("Kommun B", "9902", "9990000029", "BBBQZ")
    w = World(
        a=a,
        b=b,
        admin=make_user("admin_op", Role.ADMIN),
        agent=make_user("agent_op", Role.AGENT),
        technician=make_user("tech_op", Role.TECHNICIAN),
        finance=make_user("finance_op", Role.FINANCE),
        records=make_user("records_op", Role.RECORDS_OFFICER),
        nobody=make_user("nobody"),
    )
    for module in _world_extensions():
        module.extend(w)
    return w


def _world_extensions() -> list[Any]:
    import importlib
    import pkgutil

    from tests import worlds

    return [
        importlib.import_module(f"tests.worlds.{info.name}")
        for info in sorted(pkgutil.iter_modules(worlds.__path__), key=lambda i: i.name)
    ]


@pytest.fixture
def api() -> Any:
    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=User.objects.get(pk=user.pk))
        return client

    return client_for


@pytest.fixture
def web(client: Any) -> Any:
    from django.test import Client

    def client_for(user: User | None) -> Client:
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return client_for


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    """Files the tests store (imports, received email, attachments) go to the test's own folder,
    never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SAMDRIFT_AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
