"""Shared fixtures: two owners (A and B) with data, and a named user for every role in each.

Tests read like the feature: `world.a.orderer` is an orderer at owner A, `world.admin` an
operator administrator, and so on.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.db import models
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from samdrift.core import triggers
from samdrift.core.roles import Role
from samdrift.tenancy import actions
from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person, User
from tests import fast_schema

# Playwright fixtures (one browser per process) for every app's browser tests.
pytest_plugins = ["tests.playwright_fixtures"]

# Hypothesis judges its own speed by the wall clock: on a machine where both suites (and more) share
# two cores, one draw of a cheap strategy has taken 10 s and failed a correct test as "too slow".
# Every generated case still runs and still must pass; only the timing checks are off.
hypothesis_settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
hypothesis_settings.load_profile("shared-machine")

PASSWORD = "test-password-123"
# PBKDF2 costs a third of a second per user; tests make dozens of users.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


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
            _Shared.holding = None

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


def build_world() -> World:
    """Two owners with their users, the operator's users, and every `tests/worlds/*.py` extension."""
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


class _Shared:
    """Data built once per process, committed, and shared by the tests that ask for it (each xdist
    worker has its own database). The database holds at most one of them at a time: the shared
    world (`world`) or the demo data (`demo_data`), built again when a test asks for the one it
    does not hold. Every test runs in a transaction that is rolled back (pytest-django's default),
    so no test sees another's changes. A transactional test (`transaction=True`, `live_server`)
    commits, and its teardown empties every table: what was held is put back when next asked for.
    It is put back from a copy of the whole database taken when it was first built: on SQLite with
    the backup API (milliseconds), on PostgreSQL as a database made from the test database as its
    template and made back into it (about a second; building the world again took 4-5 s and the
    demo 45 s). Where the copy cannot be taken, it is built again.
    """

    holding: ClassVar[_Shared | None] = None  # what the database holds now
    run_wide: ClassVar[bool] = False  # built once per run and handed to every worker (see below)

    def __init__(self) -> None:
        self.built = False  # built at least once in this process
        self.media: Path | None = None  # the files it stored, copied into each test's MEDIA_ROOT
        self.copy: sqlite3.Connection | None = None  # SQLite: the whole database as first built
        self.pg_copy: str | None = None  # PostgreSQL: the name of a database made from it
        self.run_dir: Path | None = None  # the run's temporary folder, shared by its workers

    @property
    def present(self) -> bool:
        return _Shared.holding is self

    def make(self) -> None:
        raise NotImplementedError

    def build(self, blocker: Any) -> None:
        from django.conf import settings as django_settings
        from django.db import connection

        assert self.media is not None
        with blocker.unblock():
            if self.copy is not None:
                # Every table as it was right after the first build (its files are still in media).
                assert not connection.in_atomic_block
                connection.ensure_connection()
                self.copy.backup(connection.connection)
                self._now_held()
                return
            if self.pg_copy is not None and _pg_restore(self.pg_copy):
                self._now_held()
                return
            with self._run_lock():
                if not self._take_from_run():
                    self._build_here()
                    self._give_to_run()
                    self._keep_copy()
        assert django_settings.MEDIA_ROOT != str(self.media)

    def _now_held(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # the ids as they were when the copy was taken
        _Shared.holding = self

    def _build_here(self) -> None:
        from django.db import connection, transaction
        from django.test import override_settings

        assert self.media is not None
        shutil.rmtree(self.media, ignore_errors=True)
        self.media.mkdir(parents=True)
        if _Shared.holding is not None or User.objects.exists() or Owner.objects.exists():
            _flush_database()  # the other shared data, or left behind by an interrupted run
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS, MEDIA_ROOT=str(self.media)):
            with transaction.atomic():
                self.make()
                # As when it was built inside each test's transaction: commit hooks
                # (notifications, queued tasks, purchase orders sent) never run for it.
                connection.run_on_commit = []
        _Shared.holding = self
        self.built = True

    def _keep_copy(self) -> None:
        from django.db import connection

        if connection.vendor == "sqlite":
            self.copy = sqlite3.connect(":memory:")
            connection.connection.backup(self.copy)
        elif connection.vendor == "postgresql" and self.pg_copy is None:
            self.pg_copy = _pg_copy(f"{connection.settings_dict['NAME']}_copy_{type(self).__name__.lower()}")

    # Built once per run, not once per process (`run_wide`): the first xdist worker to need it
    # builds it under a lock in the run's temporary folder and leaves it there (a SQLite file, or
    # a PostgreSQL database made from its test database), with its files; the others take it from
    # there (a second or two) instead of building it again (the demo: 40-60 s of CPU each). Every
    # worker's database was made by the same migrations, so the rows, ids and content types are
    # the same as if it had built them itself.

    def _run_lock(self) -> Any:
        import contextlib
        import fcntl

        if not self.run_wide or self.run_dir is None:
            return contextlib.nullcontext()

        @contextlib.contextmanager
        def locked() -> Any:
            assert self.run_dir is not None
            with (self.run_dir / f"{self.key}.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

        return locked()

    @property
    def key(self) -> str:
        return type(self).__name__.lower().lstrip("_")

    def _take_from_run(self) -> bool:
        from django.db import connection

        if not self.run_wide or self.run_dir is None or self.media is None:
            return False
        media = self.run_dir / f"{self.key}-media"
        if connection.vendor == "sqlite":
            path = self.run_dir / f"{self.key}.sqlite3"
            if not path.exists():
                return False
            connection.ensure_connection()
            source = sqlite3.connect(path)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        elif connection.vendor == "postgresql":
            marker = self.run_dir / f"{self.key}.pgcopy"
            if not marker.exists() or not _pg_restore(marker.read_text()):
                return False
            self.pg_copy = marker.read_text()  # later restores take it from there too
        else:
            return False
        shutil.rmtree(self.media, ignore_errors=True)
        shutil.copytree(media, self.media, copy_function=_link_or_copy)
        self._now_held()
        self.built = True
        self._keep_copy()
        return True

    def _give_to_run(self) -> None:
        from django.db import connection

        if not self.run_wide or self.run_dir is None or self.media is None:
            return
        if connection.vendor == "sqlite":
            partial = self.run_dir / f"{self.key}.sqlite3.partial"
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        elif connection.vendor == "postgresql":
            name = _run_copy_name(self.run_dir, self.key)
            if not _pg_make(name, connection.settings_dict["NAME"]):
                return
            self.pg_copy = name  # this worker's later restores take it from there too
        else:
            return
        shutil.copytree(self.media, self.run_dir / f"{self.key}-media", copy_function=_link_or_copy, dirs_exist_ok=True)
        if connection.vendor == "sqlite":
            partial.rename(self.run_dir / f"{self.key}.sqlite3")
        else:
            (self.run_dir / f"{self.key}.pgcopy").write_text(name)

    def copy_media(self, media_root: str) -> None:
        """The stored files into the test's MEDIA_ROOT, as hard links where the file system allows:
        Django's storage never writes into a stored file, it saves under a new name or deletes."""
        assert self.media is not None and self.present
        shutil.copytree(self.media, media_root, dirs_exist_ok=True, copy_function=_link_or_copy)


class _SessionWorld(_Shared):
    """The shared world: two owners and a user for every role (`build_world`)."""

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None  # as built, never handed to a test
        self.snapshot: bytes | None = None  # every object as read back from the database, pickled

    def make(self) -> None:
        self.world = build_world()
        # Read back once (one query per model) and pickled; each test unpickles its own copy:
        # 0.7 ms a test, where `copy.deepcopy` took 3.7 ms and reading the rows again 30 ms (about
        # 3,000 tests a run ask for the world). Both copy a model through its `__reduce__`.
        self.snapshot = pickle.dumps(_reread(self.world), protocol=pickle.HIGHEST_PROTOCOL)

    def for_test(self, media_root: str) -> World:
        assert self.snapshot is not None
        self.copy_media(media_root)
        world: World = pickle.loads(self.snapshot)
        return world


class _SessionDemo(_Shared):
    """The demo data `make run` loads (`manage.py demo`): the three municipalities. It takes about
    a minute to build, and half a dozen tests read it: built once per run, not per test."""

    run_wide = True

    def make(self) -> None:
        from django.core.management import call_command

        call_command("demo", verbosity=0)


def _pg_make(database: str, template: str) -> bool:
    """`database` made anew from `template`; False where PostgreSQL refuses (another session is
    connected to the template)."""
    from django.db import DatabaseError, connection

    connection.close()
    try:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
            cursor.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    except DatabaseError:
        return False
    return True


def _pg_copy(copy_name: str) -> str | None:
    """A database made from the test database as its template, or None where PostgreSQL refuses
    (another session is connected to the test database: a server a test started, say)."""
    from django.db import connection

    if not _pg_make(copy_name, connection.settings_dict["NAME"]):
        return None
    _PG_COPIES.append(copy_name)
    return copy_name


def _pg_restore(copy_name: str) -> bool:
    """The test database made again from the copy; False (and the test database untouched) where
    PostgreSQL refuses to make the new one, so that the caller builds the data instead."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    staging = f"{name}_restoring"
    if not _pg_make(staging, copy_name):
        return False
    with connection._nodb_cursor() as cursor:
        # Sessions a test left behind (a live server's thread, a killed worker) are ended.
        cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        cursor.execute(f'ALTER DATABASE "{staging}" RENAME TO "{name}"')
    return True


_PG_COPIES: list[str] = []


def _run_copy_name(run_dir: Path, key: str) -> str:
    """The name of a run's shared PostgreSQL copy: the test database's name without the worker's
    suffix, and a digest of the run's folder, so that two runs at once never share one."""
    import hashlib

    from django.db import connection

    base = re.sub(r"_gw\d+$", "", connection.settings_dict["NAME"])[:30]
    return f"{base}_run_{key}_{hashlib.sha256(str(run_dir).encode()).hexdigest()[:10]}"


def _run_dir(config: pytest.Config) -> Path:
    """The run's temporary folder: an xdist worker's base folder is a folder inside it."""
    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return base.parent if hasattr(config, "workerinput") else base


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's shared PostgreSQL copies are dropped by the process that started the workers, once
    they have all finished (a worker that finishes early must not drop what another still uses)."""
    if hasattr(session.config, "workerinput"):
        return
    markers = list(_run_dir(session.config).glob("*.pgcopy"))
    if not markers:
        return
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    with session.config.stash[blocking_manager_key].unblock():
        connection.close()
        with connection._nodb_cursor() as cursor:
            for marker in markers:
                cursor.execute(f'DROP DATABASE IF EXISTS "{marker.read_text()}" WITH (FORCE)')
                marker.unlink()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """pytest-django's (each xdist worker's own database), and a new test database is built from
    the models in seconds instead of by replaying the migrations (tests/fast_schema.py)."""
    if fast_schema.wanted():
        fast_schema.install()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """pytest-django's, and before it drops a PostgreSQL test database at the end of the run: the
    other sessions still on it are ended. A server or worker process that a test started and
    stopped can leave a session there for a moment, and the drop then failed ("is being accessed
    by other users") and left the database on the server (seen once in CI)."""
    yield django_db_setup
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _drop_pg_copies() -> None:
    from django.db import connection

    if not _PG_COPIES:
        return
    connection.close()
    with connection._nodb_cursor() as cursor:
        for copy_name in _PG_COPIES:
            cursor.execute(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)')
    _PG_COPIES.clear()


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


_SESSION_WORLD = _SessionWorld()
_SESSION_DEMO = _SessionDemo()


def _flush_database() -> None:
    from django.core.management import call_command

    # Sends post_migrate, which seeds the rows the migrations seed (records' reference data).
    call_command("flush", interactive=False, verbosity=0)
    _Shared.holding = None


def _reread(world: World) -> World:
    """A copy of the world whose model instances are read again from the database, one query per model."""
    instances: dict[type[models.Model], set[Any]] = {}

    def collect(value: Any) -> None:
        if isinstance(value, models.Model):
            instances.setdefault(type(value), set()).add(value.pk)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                collect(item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                collect(getattr(value, f.name))

    collect(world)
    fresh = {
        (model, pk): obj
        for model, pks in instances.items()
        for pk, obj in model._base_manager.in_bulk([pk for pk in pks if pk is not None]).items()
    }

    def copy_of(value: Any) -> Any:
        if isinstance(value, models.Model):
            found = fresh.get((type(value), value.pk))
            return found if found is not None else copy.deepcopy(value)  # deleted while the world was built
        if isinstance(value, dict):
            return {key: copy_of(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return type(value)(copy_of(item) for item in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.replace(
                value, **{f.name: copy_of(getattr(value, f.name)) for f in dataclasses.fields(value)}
            )
        return copy.deepcopy(value)

    result: World = copy_of(world)
    return result


def _session_data(shared: _Shared, django_db_blocker: Any, tmp_path_factory: Any, request: Any) -> Any:
    shared.media = tmp_path_factory.mktemp(f"{type(shared).__name__.lower()}-media")
    shared.run_dir = _run_dir(request.config)
    if not shared.present:
        shared.build(django_db_blocker)
    yield shared
    if shared.present and request.config.getoption("reuse_db") and not request.config.getoption("create_db"):
        # The database is kept for the next run: leave it as the migrations made it.
        with django_db_blocker.unblock():
            _flush_database()
    with django_db_blocker.unblock():
        _drop_pg_copies()


@pytest.fixture(scope="session")
def _session_world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any, request: Any) -> Any:
    yield from _session_data(_SESSION_WORLD, django_db_blocker, tmp_path_factory, request)


@pytest.fixture(scope="session")
def _session_demo(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any, request: Any) -> Any:
    yield from _session_data(_SESSION_DEMO, django_db_blocker, tmp_path_factory, request)


def _uses_world(item: pytest.Item) -> bool:
    return "world" in getattr(item, "fixturenames", ())


def _uses_demo(item: pytest.Item) -> bool:
    return "demo_data" in getattr(item, "fixturenames", ())


def _wanted(item: pytest.Item) -> _Shared | None:
    if _uses_world(item):
        return _SESSION_WORLD
    if _uses_demo(item):
        return _SESSION_DEMO
    return None


def _uses_db(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or any(
        name in names for name in ("db", "transactional_db", "live_server")
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Within each of pytest-django's groups (tests in a transaction, transactional tests, tests
    without a database; it has sorted them already), run the tests that use the shared world first,
    then those that read the demo data, then those that expect the database as the migrations left
    it, so that each process removes and rebuilds the shared data as seldom as possible. The sort is
    stable: xdist sees the same order on every worker. (Not `--dist loadgroup`: it schedules by
    node id, and schemathesis gives each of its 400 operations of one test the same node id, so all
    but one would silently not run.)"""
    group, order = None, []
    groups: list[list[pytest.Item]] = []
    for item in items:
        key = (_uses_db(item), _transactional(item))
        if key != group:
            groups.append([])
            group = key
        groups[-1].append(item)
    for members in groups:
        order.extend(sorted(members, key=lambda item: (not _uses_world(item), not _uses_demo(item))))
    # The few tests marked `long` go first, longest first, so that none is left for the end: with
    # `--dist worksteal` a worker that runs out takes half of what the other has left, from the
    # end of its share, and a minute-long test there could not be shared (the longest now: the
    # administrator's crawl, about a minute).
    order.sort(key=lambda item: -_seconds(item))
    for item in order:
        if _uses_world(item) and _uses_demo(item):
            raise pytest.UsageError(f"{item.nodeid}: the world and the demo data are never in the database together")
    items[:] = order


def _seconds(item: pytest.Item) -> float:
    marker = item.get_closest_marker("long")
    return float(marker.args[0]) if marker is not None else 0.0


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    transaction = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return transaction or "transactional_db" in names or "live_server" in names


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test starts its transaction: a test that asks for the world (or the demo data) finds
    it in the database, built again if a transactional test's teardown emptied the tables or the
    other shared data was there; a test that asks for neither finds the database as the migrations
    left it (what was held is removed, to be built again later)."""
    from pytest_django.plugin import blocking_manager_key

    wanted = _wanted(item)
    if wanted is not None:
        if wanted.built and not wanted.present:
            wanted.build(item.config.stash[blocking_manager_key])
        # Not built yet in this process: its session fixture builds it when first asked.
    elif _Shared.holding is not None and _uses_db(item):
        with item.config.stash[blocking_manager_key].unblock():
            _flush_database()


@pytest.fixture
def world(_session_world: _SessionWorld, db: Any, settings: Any) -> World:
    """The shared world: built once per process, read again for every test (see `_SessionWorld`)."""
    if not _session_world.present:
        # Asked for by name inside a test (`request.getfixturevalue`) after a transactional test
        # emptied the tables: build it in this test's own transaction, as before.
        return _warm_content_types(build_world())
    return _warm_content_types(_session_world.for_test(settings.MEDIA_ROOT))


def _warm_content_types[T](built: T) -> T:
    """A transactional test's flush clears the process's content-type cache (post_migrate), so the
    first test after it would count one query more than the same test elsewhere in the run: query
    counts are asserted for a warm process, as in production. No query when the cache is warm."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_models(*apps.get_models())
    return built


@pytest.fixture
def demo_data(_session_demo: _SessionDemo, db: Any, settings: Any) -> None:
    """The demo data of `make run` (`manage.py demo`), built once per process (see `_Shared`)."""
    if not _session_demo.present:
        # Asked for by name inside a test after a transactional test emptied the tables.
        from django.core.management import call_command

        call_command("demo", verbosity=0)
    else:
        _session_demo.copy_media(settings.MEDIA_ROOT)
    _warm_content_types(None)


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
