"""Real identity providers for the SSO tests, each in its own process on a port of its own.

- `oidc_idp`: django-oauth-toolkit's OpenID Connect provider (tests/identity/idp/oidc_*.py);
- `saml_idp`: a pysaml2 SAML 2.0 IdP that signs with xmlsec1 (tests/identity/idp/saml_server.py).

Samdrift itself runs in the test process (Django's test client); every redirect, form post,
token request, JWKS fetch and signature check between the two is real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from samdrift.identity import actions
from samdrift.identity.models import IdentityProvider, ScimToken
from samdrift.tenancy.models import Owner
from tests.smtpserver import free_port

ROOT = Path(__file__).resolve().parents[2]
PORT_BASE = 56400  # this helper's range is 56400-56499
OIDC_SLUG = "a-entra"
SAML_SLUG = "a-skola"
# python3-saml refuses single-label host names ("testserver") in the SP's URLs, as a real
# deployment never has one: the SAML tests address Samdrift by this name.
SAML_HOST = "samdrift.test"
OIDC_CLIENT = "samdrift-test"
OIDC_SECRET = "test-secret-" + "x" * 20


def _port(worker_id: str, offset: int) -> int:
    index = int(worker_id[2:]) if worker_id.startswith("gw") else 0
    return PORT_BASE + 10 * index + offset


def _start_on_a_free_port(
    args: Callable[[int, Path], list[str]], folder: Path, first: int
) -> tuple[int, subprocess.Popen]:
    """The first free port of this helper's range from `first` on. CI runs the SQLite and the
    PostgreSQL suites at once, each with workers gw0 and gw1, so a port chosen by the worker's
    name alone was taken by the other suite's identity provider (seen in CI): a port that is taken
    between the probe and the server's bind is passed over too."""
    for attempt in range(20):
        port = free_port(range(first, PORT_BASE + 100))
        # A folder of its own for each attempt: the provider keeps its database there, and the
        # attempt that lost the port had already made its client (seen in CI: a UNIQUE error).
        attempt_folder = folder / f"attempt-{attempt}"
        attempt_folder.mkdir()
        try:
            return port, _start(args(port, attempt_folder), attempt_folder)
        except RuntimeError as exc:
            if "Address already in use" not in str(exc):
                raise
            first = port + 1
    raise RuntimeError(f"no free port for the identity provider from {first}")


def _start(args: list[str], folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    line = process.stdout.readline()
    if line.strip() != "ready" or time.monotonic() > deadline:
        process.kill()
        raise RuntimeError(f"identity provider did not start: {(folder / 'server.log').read_text()[-2000:]}")
    return process


@dataclass
class Idp:
    base: str
    process: subprocess.Popen

    def create_user(self, **data: Any) -> None:
        response = requests.post(f"{self.base}/test/users", data=json.dumps(data), timeout=10)
        response.raise_for_status()


@pytest.fixture(scope="module")
def oidc_idp(worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Idp]:
    folder = tmp_path_factory.mktemp("oidc-idp")
    callback = f"http://testserver/accounts/oidc/{OIDC_SLUG}/login/callback/"
    port, process = _start_on_a_free_port(
        lambda port, where: [
            "tests.identity.idp.oidc_server",
            str(port),
            str(where),
            OIDC_CLIENT,
            OIDC_SECRET,
            callback,
        ],
        folder,
        _port(worker_id, 1),
    )
    try:
        yield Idp(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def saml_idp(worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Idp]:
    folder = tmp_path_factory.mktemp("saml-idp")
    entity = f"http://{SAML_HOST}/accounts/saml/{SAML_SLUG}/metadata/"
    acs = f"http://{SAML_HOST}/accounts/saml/{SAML_SLUG}/acs/"
    port, process = _start_on_a_free_port(
        lambda port, where: ["tests.identity.idp.saml_server", str(port), str(where), entity, acs],
        folder,
        _port(worker_id, 2),
    )
    try:
        yield Idp(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def connect_oidc(owner: Owner, idp: Idp, admin: Any, domains: str = "a.example") -> IdentityProvider:
    return actions.do_create_identity_provider(
        {"owner": owner, "slug": OIDC_SLUG, "name": "Entra ID (test)", "protocol": "oidc", "domains": domains,
         "server_url": f"{idp.base}/o", "client_id": OIDC_CLIENT, "client_secret": OIDC_SECRET,
         "employee_number_claim": "employee_number", "groups_claim": "groups"},
        actor=admin,
    )  # fmt: skip


def connect_saml(owner: Owner, idp: Idp, admin: Any, domains: str = "skola.a.example") -> IdentityProvider:
    metadata = requests.get(f"{idp.base}/metadata", timeout=10).text
    cert = (
        metadata.split("<ns1:X509Certificate>")[-1].split("</ns1:X509Certificate>")[0]
        if "<ns1:X509Certificate>" in metadata
        else ""
    )
    if not cert:
        import re

        cert = re.search(r"<(?:\w+:)?X509Certificate>([^<]+)</", metadata).group(1)  # type: ignore[union-attr]
    return actions.do_create_identity_provider(
        {"owner": owner, "slug": SAML_SLUG, "name": "Skolfederation (test)", "protocol": "saml", "domains": domains,
         "saml_entity_id": f"{idp.base}/metadata", "saml_sso_url": f"{idp.base}/sso/redirect", "saml_x509cert": cert,
         "email_claim": "urn:oid:0.9.2342.19200300.100.1.3",
         "employee_number_claim": "urn:oid:2.16.840.1.113730.3.1.3",
         "groups_claim": "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"},
        actor=admin,
    )  # fmt: skip


def sso_login_oidc(client: Any, idp: Idp, email: str, username: str, password: str) -> Any:
    """The whole browser-free OpenID Connect flow; returns Samdrift's answer to the callback."""
    start = client.post("/accounts/sso/", {"email": email})
    assert start.status_code == 302, start.content[:500]
    authorize = start["Location"]
    assert authorize.startswith(f"{idp.base}/o/authorize/")
    at_idp = requests.Session()
    assert (
        at_idp.post(f"{idp.base}/login/", data={"username": username, "password": password}, timeout=10).status_code
        == 200
    )
    answer = at_idp.get(authorize, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    back = urlsplit(answer.headers["Location"])
    assert back.netloc == "testserver"
    return client.get(f"{back.path}?{back.query}")


def sso_login_saml(client: Any, idp: Idp, email: str, username: str, password: str) -> Any:
    """The whole browser-free SAML flow (HTTP-Redirect to the IdP, signed HTTP-POST back)."""
    import re
    from html import unescape

    start = client.post("/accounts/sso/", {"email": email})
    assert start.status_code == 302, start.content[:500]
    login_form = requests.get(start["Location"], timeout=10)
    assert login_form.status_code == 200, login_form.text[:500]
    hidden = dict(re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', login_form.text))
    posted = requests.post(
        f"{idp.base}/sso/login",
        data={"username": username, "password": password, **{k: unescape(v) for k, v in hidden.items()}},
        timeout=10,
    )
    assert posted.status_code == 200, posted.text[:500]
    action = unescape(re.search(r'action="([^"]+)"', posted.text).group(1))  # type: ignore[union-attr]
    fields = {
        name: unescape(value)
        for name, value in re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', posted.text)
    }
    acs = urlsplit(action)
    assert acs.netloc == SAML_HOST
    return client.post(acs.path, fields, follow=True)


def scim(client: Any, token: str, method: str, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    call = getattr(client, method.lower())
    if body is not None:
        return call(path, data=json.dumps(body), content_type="application/scim+json", **kwargs)
    return call(path, **kwargs)


def new_token(owner: Owner, admin: Any) -> tuple[ScimToken, str]:
    return actions.do_create_scim_token(owner, "Entra ID", actor=admin)
