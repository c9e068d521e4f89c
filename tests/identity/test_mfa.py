"""MFA: a second factor is required for administrators, finance and records officers; a local
account with one is asked for it at login (allauth.mfa behind Samdrift's own login page)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from samdrift.core.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_required(settings: Any) -> None:
    settings.SAMDRIFT_MFA_DEMO_EXEMPT = False


def code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def log_in(client: Client, username: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="sv")


def open_activation(client: Client) -> Any:
    """allauth asks for the password again before a factor is added (reauthentication)."""
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"):
        confirmed = client.post(page["Location"], {"password": PASSWORD})
        assert confirmed.status_code == 302, confirmed.content[:500]
        page = client.get("/accounts/2fa/totp/activate/")
    return page


@pytest.mark.parametrize("who", ["admin", "finance", "records"])
def test_privileged_user_without_second_factor_reaches_only_its_setup(world: Any, mfa_required: None, who: str) -> None:
    client = Client()
    user = getattr(world, who)
    assert log_in(client, user.username).status_code == 302
    for path in ("/", "/people/", "/identity/", "/audit/"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer["Location"] == "/accounts/2fa/", path
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert client.get("/accounts/2fa/").status_code == 200
    assert open_activation(client).status_code == 200


def test_other_roles_are_not_asked(world: Any, mfa_required: None) -> None:
    client = Client()
    log_in(client, world.a.orderer.username)
    assert client.get("/").status_code == 200


def test_totp_set_up_then_asked_for_at_every_login(
    world: Any, mfa_required: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    log_in(client, world.admin.username)
    page = open_activation(client)
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):  # allauth announces the new factor on commit
        activated = client.post("/accounts/2fa/totp/activate/", {"code": code(secret)})
    assert activated.status_code == 302, activated.content[:500]
    assert Authenticator.objects.filter(user=world.admin, type="totp").exists()
    assert AuditEvent.objects.filter(object_type="tenancy.user", object_id=str(world.admin.pk), event_type="updated",
                                     extra__mfa="totp added").exists()  # fmt: skip
    assert client.get("/").status_code == 200

    client.post("/accounts/logout/")
    fresh = Client()
    answer = log_in(fresh, world.admin.username)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/2fa/authenticate/")
    assert fresh.get("/").status_code == 302 and "/accounts/login/" in fresh.get("/")["Location"]  # not signed in yet
    wrong = fresh.post("/accounts/2fa/authenticate/", {"code": "000000" if code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and not wrong.wsgi_request.user.is_authenticated
    right = fresh.post("/accounts/2fa/authenticate/", {"code": code(secret)})
    assert right.status_code == 302
    assert fresh.get("/").status_code == 200


def test_demo_exemption_lets_demo_users_in_with_a_password(world: Any, settings: Any) -> None:
    settings.SAMDRIFT_MFA_DEMO_EXEMPT = True
    client = Client()
    log_in(client, world.admin.username)
    assert client.get("/").status_code == 200


def test_production_refuses_the_demo_exemption() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "SAMDRIFT_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x.example",
           "SAMDRIFT_MFA_DEMO_EXEMPT": "1", "DJANGO_SETTINGS_MODULE": "samdrift.settings"}  # fmt: skip
    env.pop("SAMDRIFT_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "SAMDRIFT_MFA_DEMO_EXEMPT" in result.stderr
    env["SAMDRIFT_MFA_DEMO_EXEMPT"] = "0"
    ok = subprocess.run([sys.executable, "-c", "from django.conf import settings; print(settings.SAMDRIFT_MFA_DEMO_EXEMPT)"],
                        env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert ok.returncode == 0 and ok.stdout.strip() == "False"
