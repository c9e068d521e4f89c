"""Issue 18: failed logins are limited per account and per address (Swedish message, 429 with
Retry-After, audited), so 30 wrong passwords and then the right one give no session; the API is
throttled per token and per user with 429 and Retry-After, declared in the OpenAPI schema."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from samdrift.core.models import AuditEvent
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _post(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="sv"
    )


def test_thirty_wrong_passwords_then_the_right_one_gives_no_session() -> None:
    user = make_user("kalle")
    client = Client()
    for _ in range(30):
        assert SESSION_KEY not in client.session
        _post(client, "kalle", "fel")
    response = _post(client, "kalle", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "För många misslyckade inloggningar" in response.content.decode()
    assert SESSION_KEY not in client.session
    # Another address does not help: the account itself is locked.
    assert _post(Client(), "KALLE ", PASSWORD, address="10.9.9.9").status_code == 429
    (event,) = AuditEvent.objects.filter(event_type="login_throttled")
    assert event.object_repr == "kalle" and event.extra["scope"] == "account" and event.extra["failures"] == 10
    assert AuditEvent.objects.filter(event_type="login_failed").count() >= 10
    assert user.pk  # the account exists: a wrong guess of a real account is what is limited


def test_the_account_limit_is_per_account_and_a_success_clears_it(settings: Any) -> None:
    make_user("anna")
    make_user("bertil")
    client = Client()
    for _ in range(settings.SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT - 1):
        _post(client, "anna", "fel")
    assert _post(Client(), "bertil", PASSWORD).status_code == 302, "another account is not affected"
    assert _post(client, "anna", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT - 1):
        _post(client, "anna", "fel")
    assert _post(client, "anna", PASSWORD).status_code == 302, "the success started the count over"


def test_the_address_limit_stops_guessing_across_accounts(settings: Any) -> None:
    settings.SAMDRIFT_LOGIN_FAILURES_PER_ADDRESS = 5
    make_user("cecilia")
    for n in range(5):
        _post(Client(), f"gissning{n}", "fel", address="192.0.2.7")
    assert _post(Client(), "cecilia", PASSWORD, address="192.0.2.7").status_code == 429
    assert _post(Client(), "cecilia", PASSWORD, address="192.0.2.8").status_code == 302
    assert AuditEvent.objects.filter(event_type="login_throttled", extra__scope="address").count() == 1


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(settings: Any) -> None:
    settings.SAMDRIFT_LOGIN_FAILURES_PER_ADDRESS = 3
    settings.SAMDRIFT_TRUSTED_PROXIES = 1
    make_user("david")
    for n in range(3):
        Client().post(
            LOGIN, {"username": f"x{n}", "password": "fel"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1"
        )
    blocked = Client().post(
        LOGIN, {"username": "david", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert blocked.status_code == 429
    other = Client().post(
        LOGIN, {"username": "david", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.2"
    )
    assert other.status_code == 302, "the proxy's own address is not what is limited"


def test_the_lock_ends_with_its_window(settings: Any) -> None:
    settings.SAMDRIFT_LOGIN_WINDOW_SECONDS = 1
    settings.SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT = 2
    make_user("erik")
    client = Client()
    _post(client, "erik", "fel")
    _post(client, "erik", "fel")
    assert _post(client, "erik", PASSWORD).status_code == 429
    time.sleep(1.2)
    assert _post(client, "erik", PASSWORD).status_code == 302


def test_api_is_throttled_per_token_and_per_user_with_retry_after(settings: Any) -> None:
    settings.SAMDRIFT_API_THROTTLE_RATES = {"token": "3/min", "user": "5/min", "anon": "60/min"}
    user = make_user("fredrik", "admin")
    token = Token.objects.create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [api.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = api.get("/api/v1/me/")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    # The same user in a browser session has a budget of its own per user (5), already partly used.
    session = APIClient()
    session.force_login(user)
    codes = [session.get("/api/v1/me/").status_code for _ in range(3)]
    assert codes[-1] == 429 and codes[0] == 200
    # Another user is not affected.
    other = APIClient()
    other.force_login(make_user("gun", "admin"))
    assert other.get("/api/v1/me/").status_code == 200


def test_the_schema_declares_429_with_retry_after() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    operations = [op for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations and all("429" in op["responses"] for op in operations)
    assert "Retry-After" in schema["paths"]["/api/v1/people/"]["get"]["responses"]["429"]["headers"]
