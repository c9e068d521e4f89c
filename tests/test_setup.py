"""Setup, settings and the demo data a new user sees after `make run`."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management import call_command
from stdnum.se import orgnr

from samdrift.core.audit import verify_chain
from samdrift.tenancy.demo import DEMO_LOGINS, DEMO_PASSWORD
from samdrift.tenancy.models import Membership, Owner, Person, User

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "SAMDRIFT_DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import samdrift.settings"],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key() -> None:
    result = _settings_in_subprocess({"SAMDRIFT_ENV": "production", "ALLOWED_HOSTS": "x.example"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = _settings_in_subprocess(
        {"SAMDRIFT_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x.example", "SAMDRIFT_DEBUG": "1"}
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_starts_with_its_settings() -> None:
    result = _settings_in_subprocess(
        {"SAMDRIFT_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x.example"}
    )
    assert result.returncode == 0, result.stderr


def test_python_m_samdrift_runs_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "samdrift", "help", "audit"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "verify" in result.stdout


def test_demo_builds_the_three_municipalities(demo_data: None) -> None:
    """`demo_data` is `manage.py demo` itself, run once per test process (tests/conftest.py)."""
    owners = list(Owner.objects.order_by("name"))
    assert [o.name for o in owners] == ["Hörby", "Höör", "Östra Göinge"]
    assert {o.municipality_code for o in owners} == {"1266", "1267", "1256"}
    for owner in owners:
        assert owner.is_fictitious and orgnr.is_valid(owner.org_number)
        assert owner.org_number.startswith("999")  # clearly invented
    assert Person.objects.filter(kind="employee", external_id__startswith="E").count() == 4300
    assert Person.objects.filter(kind="pupil").count() == 3500
    # split by population: the largest owner has the most people
    by_owner = {o.name: o.people.count() for o in owners}
    assert by_owner["Höör"] > by_owner["Hörby"] > by_owner["Östra Göinge"]
    # pupils are stored with the minimum
    assert not Person.objects.filter(kind="pupil").exclude(phone="", title="", email="").exists()
    assert verify_chain().ok


def test_every_demo_login_works_and_holds_its_role(demo_data: None, client: Any) -> None:
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert Membership.objects.filter(user=user, role=login.role, active=True).exists()
    assert client.login(username="horby.bestallare", password=DEMO_PASSWORD)
    assert client.get("/").status_code == 200


def test_demo_keeps_existing_data(demo_data: None, capsys: Any) -> None:
    people = Person.objects.count()
    call_command("demo", "--if-empty")
    assert Person.objects.count() == people
    assert "kept" in capsys.readouterr().out
