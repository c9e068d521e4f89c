"""The test suite's databases are built without replaying the migrations (tests/fast_schema.py):
here one database is built each way, the real one by `manage.py migrate` as an install does, and
both must hold the same tables, columns, indexes, constraints, triggers, functions and rows."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def new_databases(tmp_path: Path, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """Two empty databases of the suite's kind, by their DATABASE_URL."""
    if connection.vendor == "sqlite":
        yield {how: f"sqlite:///{tmp_path / how}.sqlite3" for how in ("migrate", "fast")}
        return
    settings = connection.settings_dict
    names = {how: f"samdrift_check_{how}_{uuid.uuid4().hex[:8]}" for how in ("migrate", "fast")}
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        for name in names.values():
            cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        login = quote(settings["USER"] or "", safe="") + (
            ":" + quote(settings["PASSWORD"], safe="") if settings.get("PASSWORD") else ""
        )
        where = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        yield {how: f"postgres://{login}@{where}/{name}" for how, name in names.items()}
    finally:
        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            for name in names.values():
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _built(how: str, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "samdrift.settings"}
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.migration_check", how],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.long(45)
def test_the_fast_test_database_holds_what_the_migrations_make(new_databases: dict[str, str]) -> None:
    built = {how: _built(how, url) for how, url in new_databases.items()}
    described = {}
    for how, process in built.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, f"{how}: {err}"
        described[how] = json.loads(out)

    migrated, fast = described["migrate"], described["fast"]
    assert migrated["tables"], "the migrations made no table"
    assert "core_auditevent" in migrated["tables"]
    if migrated != fast:
        diff = "\n".join(
            difflib.unified_diff(
                json.dumps(migrated, indent=1, sort_keys=True).splitlines(),
                json.dumps(fast, indent=1, sort_keys=True).splitlines(),
                "manage.py migrate",
                "tests/fast_schema.py",
                lineterm="",
                n=2,
            )
        )
        pytest.fail(
            "The test database differs from what the migrations make. A migration that makes what the"
            " models do not describe (a trigger, an index by SQL, reference rows) needs"
            ' hints={"new_database": True} on its RunPython.\n' + diff[:20000]
        )


def test_the_test_database_is_recorded_as_migrated(db: None) -> None:
    """`migrate` on the test database finds nothing to do: a kept test database (PostgreSQL's
    --reuse-db) gets only the migrations written after it was built."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
