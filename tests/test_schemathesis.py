"""Schemathesis generates requests from our own OpenAPI schema and sends them to the app
in-process: no input may cause a server error (500), for an administrator (who may write
everything) and for an owner user (whose requests mostly end in 403/404)."""

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from samdrift.tenancy.models import User

# Loaded when the module is collected (the schema view needs no database). schemathesis'
# fixture-based loader does not run on pytest 9.2, so the schema is not taken from a fixture.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

# How many generated requests each operation gets, for each of the two users: the one setting that
# decides this file's cost (make test and CI run the same value). Schemathesis' "coverage" phase
# would add about 90 deterministic boundary and negative requests per operation (≈ 66,000 requests,
# two thirds of the whole suite's time); instead every operation gets its schema's own examples and
# this many generated requests, valid and invalid alike (Hypothesis' random draws differ per run, and
# a failure it finds is replayed first on the next run from .hypothesis/).
EXAMPLES_PER_OPERATION = 6
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """The real WSGI handler closes "old" connections after each request; inside a test's
    transaction that closes the test's own connection on PostgreSQL. Django's test client
    disconnects the same handler for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token(user: User) -> str:
    return Token.objects.get_or_create(user=user)[0].key


BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_no_input_causes_a_server_error_for_an_admin(case: Any, world: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {_token(world.admin)}"}, checks=[not_a_server_error])


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_no_input_causes_a_server_error_for_an_owner_user(case: Any, world: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {_token(world.a.orderer)}"}, checks=[not_a_server_error])
