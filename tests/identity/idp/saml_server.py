"""A real SAML 2.0 identity provider for the SSO tests, built with pysaml2 (signs with xmlsec1).

python -m tests.identity.idp.saml_server PORT DIR SP_ENTITY_ID SP_ACS_URL

- GET  /metadata                 the IdP's metadata (entity id, SSO URL, signing certificate)
- POST /test/users               create a person in the directory (JSON)
- GET  /sso/redirect?SAMLRequest  (HTTP-Redirect binding) answers a login form that carries the request
- POST /sso/login                username, password, SAMLRequest, RelayState: on the right password, an
                                 auto-posting form with the signed SAMLResponse for the SP's ACS
"""

import datetime
import html
import json
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

USERS: dict[str, dict] = {}


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def make_cert(folder: Path) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test IdP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / "idp.key", folder / "idp.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


SP_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""


def build_server(port: int, folder: Path, sp_entity: str, sp_acs: str) -> Server:
    key_file, cert_file = make_cert(folder)
    sp_file = folder / "sp.xml"
    sp_file.write_text(SP_METADATA.format(entity=html.escape(sp_entity), acs=html.escape(sp_acs)))
    base = f"http://127.0.0.1:{port}"
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base}/metadata",
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                }
            },
            "key_file": key_file,
            "cert_file": cert_file,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {"local": [str(sp_file)]},
        }
    )
    return Server(config=config)


def app_factory(idp: Server, base: str):
    def app(environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        query = parse_qs(environ.get("QUERY_STRING", ""))
        body = b""
        if method == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))

        def reply(status: str, text: str, content_type: str = "text/html; charset=utf-8"):
            start_response(status, [("Content-Type", content_type)])
            return [text.encode()]

        if path == "/metadata":
            from saml2.metadata import create_metadata_string

            return reply(
                "200 OK", create_metadata_string(None, idp.config, sign=False).decode(), "application/samlmetadata+xml"
            )
        if path == "/test/users" and method == "POST":
            data = json.loads(body)
            USERS[data["username"]] = data
            return reply("200 OK", "{}", "application/json")
        if path == "/sso/redirect" and method == "GET":
            saml_request = query.get("SAMLRequest", [""])[0]
            relay = query.get("RelayState", [""])[0]
            idp.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)  # rejects a malformed request now
            return reply(
                "200 OK",
                f'<form method="post" action="{base}/sso/login"><input name="username"><input name="password" type="password">'
                f'<input type="hidden" name="SAMLRequest" value="{html.escape(saml_request)}">'
                f'<input type="hidden" name="RelayState" value="{html.escape(relay)}"></form>',
            )
        if path == "/sso/login" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            user = USERS.get(form.get("username", ""))
            if user is None or user["password"] != form.get("password"):
                return reply("403 Forbidden", "wrong password")
            request = idp.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT)
            args = idp.response_args(request.message, [BINDING_HTTP_POST])
            identity = {
                "mail": [user["email"]],
                "givenName": [user.get("given_name", "")],
                "sn": [user.get("family_name", "")],
                "employeeNumber": [user.get("employee_number", "")],
                "eduPersonEntitlement": user.get("groups", []),
            }
            response = idp.create_authn_response(
                identity,
                userid=user["username"],
                name_id=None,
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
                sign_response=True,
                sign_assertion=True,
                sign_alg=SIG_RSA_SHA256,  # python3-saml refuses SHA-1 signatures, as it should
                digest_alg=DIGEST_SHA256,
                **args,
            )
            http = idp.apply_binding(
                BINDING_HTTP_POST, str(response), args["destination"], form.get("RelayState", ""), response=True
            )
            return reply("200 OK", http["data"])
        return reply("404 Not Found", "not found")

    return app


def main() -> None:
    port, folder, sp_entity, sp_acs = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    idp = build_server(port, folder, sp_entity, sp_acs)
    server = make_server(
        "127.0.0.1",
        port,
        app_factory(idp, f"http://127.0.0.1:{port}"),
        server_class=ThreadingServer,
        handler_class=Quiet,
    )
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
