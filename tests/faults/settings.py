"""Settings for creating the fault test's schema quickly: the tables straight from the models
(`migrate --run-syncdb` without migrations) instead of replaying every migration, which takes
minutes. The processes under test run with the real settings."""

from typing import Any

from samdrift.settings import *  # noqa: F403


class _NoMigrations(dict[str, Any]):
    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


MIGRATION_MODULES = _NoMigrations()
