"""Runs the test OpenID Connect provider: python -m tests.identity.idp.oidc_server PORT DIR CLIENT_ID SECRET REDIRECT_URI."""

import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    port, folder, client_id, secret, redirect_uri = sys.argv[1:6]
    folder_path = Path(folder)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder_path / "oidc.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.environ["IDP_KEY"] = str(folder_path / "oidc.key")
    os.environ["IDP_DB"] = str(folder_path / "oidc.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.identity.idp.oidc_settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from oauth2_provider.models import Application

    Application.objects.create(
        name="Samdrift",
        client_id=client_id,
        client_secret=secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1", int(port), get_wsgi_application(), server_class=ThreadingServer, handler_class=Quiet
    )
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
