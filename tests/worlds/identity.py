"""Owner B's directory configuration (an identity provider, a role mapping, a SCIM token), so that
the isolation test tries every identity route with them."""

from __future__ import annotations

from typing import Any

from samdrift.core.roles import Role
from samdrift.identity import actions


def extend(world: Any) -> None:
    b = world.b
    idp = actions.do_create_identity_provider(
        {"owner": b.owner, "slug": "b-entra", "name": f"Entra ID {b.marker}", "protocol": "oidc", "domains": "b.example",
         "server_url": "https://login.example/b/v2.0", "client_id": f"client-{b.marker}", "client_secret": "not-a-secret"},
        actor=world.admin,
    )  # fmt: skip
    mapping = actions.do_create_role_mapping(
        {"owner": b.owner, "group": f"Beställare {b.marker}", "role": Role.ORDERER}, actor=world.admin
    )
    token, _ = actions.do_create_scim_token(b.owner, f"Entra ID {b.marker}", actor=world.admin)
    b.extra.update({"identity_provider": idp, "role_mapping": mapping, "scim_token": token})
