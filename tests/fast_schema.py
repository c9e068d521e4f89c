"""The test database, built in seconds instead of by replaying every migration.

Replaying the 119 migrations costs about 38 s of CPU per test process on a two-core machine:
Django renders again, after every operation, each historical model related to the one it changed,
and nearly every model points at the owner and the person (a fresh `makemigrations` of today's
models, one initial migration per app, took longer still: 62 s). `make test` runs two processes,
so the migrations alone were a quarter of a minute of its five.

A new database gets the same schema this way:

1. the tables, straight from today's models (`migrate --run-syncdb` with the migrations turned off,
   as pytest-django's `--no-migrations` does);
2. the migration operations that make what the models do not describe, in the migrations' order:
   every `RunPython` marked `hints={"new_database": True}` (the audit triggers, the trigram and
   search indexes, the reference rows), run with today's models;
3. every migration recorded as applied, so that the database looks migrated to `migrate` and
   `showmigrations`.

`tests/test_migrations.py` builds one database each way, with the real `manage.py migrate`, and
compares every table, column, index, constraint, trigger, function and row: a migration that
makes something the models do not describe, without the mark, fails it by name. Set
SAMDRIFT_TEST_MIGRATIONS=real to build the test databases by the migrations instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

HINT = "new_database"


def wanted() -> bool:
    return os.environ.get("SAMDRIFT_TEST_MIGRATIONS", "") != "real"


def install() -> None:
    """Make `migrate` build a database that has no migration recorded the fast way; a kept test
    database that has them recorded is migrated as usual (only the new migrations run)."""
    from django.core.management.commands import migrate

    if getattr(migrate.Command, "builds_fast", False):
        return

    class FastMigrate(migrate.Command):
        builds_fast = True

        def handle(self, *args: Any, **options: Any) -> Any:
            from django.db import connections

            alias = options.get("database") or "default"
            if recorded(connections[alias]):
                return super().handle(*args, **options)
            syncdb = super().handle
            build(alias, syncdb=lambda: syncdb(*args, **{**options, "run_syncdb": True}))
            return None

    migrate.Command = FastMigrate  # type: ignore[misc]


def recorded(connection: Any) -> bool:
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return recorder.has_table() and recorder.migration_qs.exists()


def build(alias: str = "default", *, syncdb: Callable[[], Any] | None = None) -> None:
    """Steps 1-3 above on the database `alias`, which holds no table of ours yet. `syncdb` is the
    `migrate --run-syncdb` to call (the command's own when `migrate` itself builds)."""
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[alias]
    # The plan first: with the migrations turned off, the loader finds none.
    loader = MigrationLoader(connection)
    plan = [loader.graph.nodes[key] for key in _ordered(loader)]

    saved = settings.MIGRATION_MODULES
    settings.MIGRATION_MODULES = NoMigrations()
    try:
        if syncdb is None:
            command = _plain_migrate()
            call_command(command, database=alias, run_syncdb=True, verbosity=0, interactive=False)
        else:
            syncdb()
    finally:
        settings.MIGRATION_MODULES = saved

    for migration in plan:
        for operation in migration.operations:
            if isinstance(operation, RunPython) and operation.hints.get(HINT):
                with connection.schema_editor(atomic=migration.atomic) as schema_editor:
                    operation.code(apps, schema_editor)

    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    recorder.migration_qs.bulk_create(
        [recorder.Migration(app=migration.app_label, name=migration.name) for migration in plan]
    )


def _plain_migrate() -> Any:
    from django.core.management.commands import migrate

    command_class = migrate.Command
    while getattr(command_class, "builds_fast", False):
        command_class = command_class.__bases__[0]
    return command_class()


def _ordered(loader: Any) -> list[tuple[str, str]]:
    """Every migration, each after those it depends on (the order `migrate` applies them in)."""
    seen: set[tuple[str, str]] = set()
    order: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                order.append(key)
    return order


class NoMigrations(dict[str, Any]):
    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None
