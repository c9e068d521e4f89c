"""Headers and sessions (issue 18, OWASP ASVS level 2): the content security policy with a nonce
that the page's inline scripts carry, the other security headers, session timeouts, the API schema
and docs behind login in production, and the production settings (HSTS, secure __Host- cookie)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from samdrift.core.security import SESSION_SEEN, SESSION_STARTED
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def _inline_scripts_without_nonce(html: str, nonce: str) -> list[str]:
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    # A data block (json_script) is never run, so it needs no nonce.
    return [a for a in scripts if f'nonce="{nonce}"' not in a and 'type="application/json"' not in a]


def test_every_page_carries_the_policy_and_its_inline_scripts_the_nonce(world: Any, web: Any) -> None:
    admin, orderer = web(world.admin), web(world.a.orderer)
    for client, url in [
        (admin, "/"),
        (admin, "/people/"),
        (admin, reverse("audit_search")),
        (orderer, reverse("order_shop")),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy and "object-src 'none'" in policy
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce, policy
        html = response.content.decode()
        assert _inline_scripts_without_nonce(html, nonce.group(1)) == [], url
        assert not re.search(r"\shx-on[:-]", html) and "onclick=" not in html


def test_security_headers_on_pages(world: Any, web: Any, client: Any) -> None:
    response = web(world.admin).get("/people/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-store", "signed-in pages are not kept by the browser"
    login = client.get("/accounts/login/")
    assert "Content-Security-Policy" in login and "camera=()" in login["Permissions-Policy"]


def test_session_cookie_flags(world: Any, client: Any) -> None:
    response = client.post("/accounts/login/", {"username": world.admin.username, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) <= 12 * 3600


def _logged_in(client: Any, user: Any) -> Any:
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/people/").status_code == 200
    return client.session


def test_idle_session_ends(world: Any, client: Any, settings: Any) -> None:
    session = _logged_in(client, world.admin)
    assert session[SESSION_STARTED] and session[SESSION_SEEN]
    session[SESSION_SEEN] = int(time.time()) - settings.SAMDRIFT_SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get("/people/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/people/").status_code == 302, "the session is gone, not only this request"


def test_session_ends_after_its_absolute_lifetime_even_when_active(world: Any, client: Any, settings: Any) -> None:
    session = _logged_in(client, world.admin)
    session[SESSION_STARTED] = int(time.time()) - settings.SESSION_COOKIE_AGE - 5
    session.save()
    response = client.get("/people/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_active_session_goes_on(world: Any, client: Any) -> None:
    session = _logged_in(client, world.admin)
    session[SESSION_SEEN] = int(time.time()) - 120
    session.save()
    assert client.get("/people/").status_code == 200
    assert client.session[SESSION_SEEN] >= int(time.time()) - 5, "activity moves the idle clock"


def test_schema_and_docs_behind_login_in_production(world: Any, client: Any, api: Any, settings: Any) -> None:
    settings.SAMDRIFT_API_DOCS_PUBLIC = False
    assert client.get("/api/schema/").status_code in {401, 403}
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and "/accounts/login/" in docs["Location"]
    assert api(world.a.viewer).get("/api/schema/").status_code == 200
    client.force_login(world.a.viewer)
    assert client.get("/api/docs/").status_code == 200
    settings.SAMDRIFT_API_DOCS_PUBLIC = True
    client.logout()
    assert client.get("/api/schema/").status_code == 200


def _production_settings() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "SAMDRIFT_DEBUG"}}
    env.update({"SAMDRIFT_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x.example"})
    code = (
        "import json, samdrift.settings as s; print(json.dumps({k: getattr(s, k) for k in ["
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_NAME', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SAMDRIFT_API_DOCS_PUBLIC', 'SESSION_COOKIE_HTTPONLY']}))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings() -> None:
    values = _production_settings()
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SAMDRIFT_API_DOCS_PUBLIC"] is False
