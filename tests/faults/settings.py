"""Settings for creating the fault test's schema quickly: the tables straight from the models
(`migrate --run-syncdb` without migrations) instead of replaying every migration, which takes
minutes. The processes under test run with the real settings."""

from samdrift.settings import *  # noqa: F403
from tests.fast_schema import NoMigrations

MIGRATION_MODULES = NoMigrations()
