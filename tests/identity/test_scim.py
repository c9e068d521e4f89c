"""SCIM 2.0 conformance (RFC 7643 and 7644): the required behaviours, in the forms Entra ID sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from samdrift.core.access import scope_for
from samdrift.core.models import AuditEvent
from samdrift.core.roles import Role
from samdrift.identity import actions
from samdrift.identity.models import DirectoryAccount
from samdrift.tenancy.models import Person, Session, User
from tests.identity.conftest import new_token, scim
from tests.identity.test_sso import scim_user

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def token(world: Any) -> str:
    return new_token(world.a.owner, world.admin)[1]


@pytest.fixture
def client() -> Client:
    return Client()


def create(client: Client, token: str, name: str = "anna@a.example", number: str = "E-1") -> dict[str, Any]:
    response = scim(client, token, "POST", "/scim/v2/Users", scim_user(name, number))
    assert response.status_code == 201, response.content
    return response.json()


def test_authentication_is_a_bearer_token_of_one_owner(world: Any, client: Client, token: str) -> None:
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": f"Basic {token}"}):
        response = client.get("/scim/v2/Users", **header)
        assert response.status_code == 401
        assert response.json()["schemas"] == [ERROR] and response.json()["status"] == "401"
        assert response["Content-Type"] == "application/scim+json"
    token_obj = actions.token_for(token)
    assert token_obj is not None
    actions.do_set_scim_token_active(token_obj, False, actor=world.admin)
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_create_returns_201_with_location_id_and_meta_and_audits(client: Client, token: str, world: Any) -> None:
    baseline = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = scim(client, token, "POST", "/scim/v2/Users", scim_user("anna@a.example", "E-1"))
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == body["meta"]["location"] and body["id"] in response["Location"]
    assert body["meta"]["resourceType"] == "User" and body["userName"] == "anna@a.example"
    assert body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"] == "E-1"
    assert body["active"] is True and body["emails"][0]["value"] == "anna@a.example"
    person = Person.objects.get(owner=world.a.owner, external_id="E-1")
    assert person.first_name == "Nyanställd" and person.title == "Handläggare"
    roles = set(
        AuditEvent.objects.filter(
            id__gt=baseline, object_type__in=["tenancy.person", "tenancy.user", "identity.directoryaccount"]
        ).values_list("actor_role", flat=True)
    )
    assert roles == {"scim"}


def test_duplicate_user_name_is_409_uniqueness_and_changes_nothing(client: Client, token: str) -> None:
    create(client, token)
    before = (User.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    again = scim(client, token, "POST", "/scim/v2/Users", scim_user("ANNA@a.example", "E-2"))
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    assert (User.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == before


def test_bad_input_is_400_and_changes_nothing(client: Client, token: str) -> None:
    before = (User.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    bad_json = client.post(
        "/scim/v2/Users", data="{not json", content_type="application/scim+json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert bad_json.status_code == 400 and bad_json.json()["scimType"] == "invalidSyntax"
    no_name = scim(client, token, "POST", "/scim/v2/Users", {"schemas": [], "name": {"givenName": "X"}})
    assert no_name.status_code == 400 and no_name.json()["schemas"] == [ERROR]
    bad_bool = scim(client, token, "POST", "/scim/v2/Users", {**scim_user("b@a.example", "E-9"), "active": "kanske"})
    assert bad_bool.status_code == 400
    assert (User.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == before


def test_get_filter_and_paging(client: Client, token: str) -> None:
    first = create(client, token, "anna@a.example", "E-1")
    create(client, token, "bo@a.example", "E-2")
    create(client, token, "cai@a.example", "E-3")
    assert scim(client, token, "GET", f"/scim/v2/Users/{first['id']}").json()["userName"] == "anna@a.example"
    missing = scim(client, token, "GET", "/scim/v2/Users/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["schemas"] == [ERROR]
    assert scim(client, token, "GET", "/scim/v2/Users/not-a-uuid").status_code == 404
    found = scim(client, token, "GET", '/scim/v2/Users?filter=userName eq "ANNA@a.example"').json()
    assert found["schemas"] == [LIST] and found["totalResults"] == 1 and found["Resources"][0]["id"] == first["id"]
    assert scim(client, token, "GET", '/scim/v2/Users?filter=externalId eq "oid-E-2"').json()["totalResults"] == 1
    none = scim(client, token, "GET", '/scim/v2/Users?filter=userName eq "nobody@a.example"')
    assert none.status_code == 200 and none.json()["totalResults"] == 0 and none.json()["Resources"] == []
    bad = scim(client, token, "GET", '/scim/v2/Users?filter=title co "x"')
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    page = scim(client, token, "GET", "/scim/v2/Users?startIndex=2&count=1").json()
    assert page["totalResults"] == 3 and page["startIndex"] == 2 and page["itemsPerPage"] == 1
    assert page["Resources"][0]["userName"] == "bo@a.example"


def test_another_owners_token_sees_nothing_of_this_owner(client: Client, token: str, world: Any) -> None:
    anna = create(client, token)
    _, other = new_token(world.b.owner, world.admin)
    assert scim(client, other, "GET", f"/scim/v2/Users/{anna['id']}").status_code == 404
    assert scim(client, other, "GET", "/scim/v2/Users").json()["totalResults"] == 0
    assert scim(client, other, "PATCH", f"/scim/v2/Users/{anna['id']}",
                {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}).status_code == 404  # fmt: skip
    assert scim(client, other, "DELETE", f"/scim/v2/Users/{anna['id']}").status_code == 404
    assert DirectoryAccount.objects.get(scim_id=anna["id"]).active


def test_put_replaces_and_is_idempotent(client: Client, token: str) -> None:
    anna = create(client, token)
    changed = scim_user("anna@a.example", "E-1")
    changed["name"] = {"givenName": "Anna", "familyName": "Andersson"}
    changed["title"] = "Rektor"
    first = scim(client, token, "PUT", f"/scim/v2/Users/{anna['id']}", changed)
    assert first.status_code == 200 and first.json()["name"]["familyName"] == "Andersson"
    events = AuditEvent.objects.count()
    second = scim(client, token, "PUT", f"/scim/v2/Users/{anna['id']}", changed)
    assert second.status_code == 200 and second.json() == {**first.json(), "meta": second.json()["meta"]}
    assert AuditEvent.objects.count() == events  # the same values twice change nothing
    assert Person.objects.get(external_id="E-1").title == "Rektor"


def test_patch_as_entra_id_sends_it(client: Client, token: str) -> None:
    anna = create(client, token)
    url = f"/scim/v2/Users/{anna['id']}"
    ops = [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "anna.a@a.example"},
        {"op": "Replace", "path": "name.givenName", "value": "Anna"},
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "E-77",
        },
        {"op": "Replace", "path": "title", "value": "Lärare"},
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "0415-123"},
    ]
    response = scim(client, token, "PATCH", url, {"schemas": [PATCH], "Operations": ops})
    assert response.status_code == 200, response.content
    person = User.objects.get(directory_account__scim_id=anna["id"]).person
    assert (person.email, person.first_name, person.external_id, person.title, person.phone) == (
        "anna.a@a.example",
        "Anna",
        "E-77",
        "Lärare",
        "0415-123",
    )
    # No path, the value an object, booleans as strings: Entra ID's non-standard forms.
    response = scim(
        client,
        token,
        "PATCH",
        url,
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": "False", "displayName": "Anna A"}}]},
    )
    assert response.status_code == 200 and response.json()["active"] is False
    response = scim(
        client,
        token,
        "PATCH",
        url,
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]},
    )
    assert response.json()["active"] is True and User.objects.get(directory_account__scim_id=anna["id"]).is_active
    response = scim(
        client, token, "PATCH", url, {"schemas": [PATCH], "Operations": [{"op": "Remove", "path": "title"}]}
    )
    assert response.status_code == 200 and "title" not in response.json()
    bad = scim(client, token, "PATCH", url, {"schemas": [PATCH], "Operations": [{"op": "move", "path": "title"}]})
    assert bad.status_code == 400


def test_deactivation_revokes_sessions_and_api_tokens_at_once(client: Client, token: str) -> None:
    anna = create(client, token)
    user = User.objects.get(directory_account__scim_id=anna["id"])
    browser = Client()
    browser.force_login(user)  # the session row carries the user, as after a real login
    assert Session.objects.filter(user=user, session_key=browser.session.session_key).exists()
    api_token = Token.objects.create(user=user)
    assert browser.get("/api/v1/me/").status_code == 200
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {api_token.key}").status_code == 200
    response = scim(client, token, "PATCH", f"/scim/v2/Users/{anna['id']}",
                    {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]})  # fmt: skip
    assert response.status_code == 200
    assert browser.get("/api/v1/me/").status_code in (401, 403)
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {api_token.key}").status_code in (401, 403)
    assert not Token.objects.filter(user=user).exists()
    event = AuditEvent.objects.filter(
        object_type="tenancy.user", object_id=str(user.pk), event_type="deactivated"
    ).get()
    assert event.extra["sessions_ended"] == 1 and event.extra["api_tokens_revoked"] == 1


def test_delete_is_204_then_404_and_keeps_the_person_for_the_records(client: Client, token: str) -> None:
    anna = create(client, token)
    assert scim(client, token, "DELETE", f"/scim/v2/Users/{anna['id']}").status_code == 204
    assert scim(client, token, "GET", f"/scim/v2/Users/{anna['id']}").status_code == 404
    assert scim(client, token, "DELETE", f"/scim/v2/Users/{anna['id']}").status_code == 404
    assert scim(client, token, "GET", '/scim/v2/Users?filter=userName eq "anna@a.example"').json()["totalResults"] == 0
    person = Person.objects.get(external_id="E-1")
    assert not person.active and not person.user.is_active
    assert create(client, token)["id"] != anna["id"]  # the user name can be provisioned again


def test_groups_give_mapped_roles_at_the_owner(client: Client, token: str, world: Any) -> None:
    owner = world.a.owner
    actions.do_create_role_mapping({"owner": owner, "group": "Beställare", "role": Role.ORDERER}, actor=world.admin)
    anna, bo = create(client, token, "anna@a.example", "E-1"), create(client, token, "bo@a.example", "E-2")
    made = scim(client, token, "POST", "/scim/v2/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Beställare", "members": [{"value": anna["id"]}]})  # fmt: skip
    assert made.status_code == 201 and made.json()["members"] == [{"value": anna["id"], "display": "anna@a.example"}]
    group_url = f"/scim/v2/Groups/{made.json()['id']}"
    anna_user = User.objects.get(directory_account__scim_id=anna["id"])
    bo_user = User.objects.get(directory_account__scim_id=bo["id"])
    assert scope_for(anna_user).owner_roles == {owner.pk: frozenset({Role.ORDERER})}
    again = scim(client, token, "POST", "/scim/v2/Groups", {"displayName": "Beställare"})
    assert again.status_code == 409
    listed = scim(
        client, token, "GET", '/scim/v2/Groups?filter=displayName eq "Beställare"&excludedAttributes=members'
    ).json()
    assert listed["totalResults"] == 1 and "members" not in listed["Resources"][0]
    # Entra ID: Add a member, Remove one by filter path.
    assert scim(client, token, "PATCH", group_url, {"schemas": [PATCH], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": bo["id"]}]},
        {"op": "Remove", "path": f'members[value eq "{anna["id"]}"]'}]}).status_code == 204  # fmt: skip
    assert scope_for(User.objects.get(pk=anna_user.pk)).owner_roles == {}
    assert scope_for(User.objects.get(pk=bo_user.pk)).owner_roles == {owner.pk: frozenset({Role.ORDERER})}
    unknown = scim(
        client,
        token,
        "PATCH",
        group_url,
        {"schemas": [PATCH], "Operations": [{"op": "Add", "path": "members", "value": [{"value": "nope"}]}]},
    )
    assert unknown.status_code == 400
    # Renamed to a group no mapping names: the role goes.
    assert (
        scim(
            client,
            token,
            "PATCH",
            group_url,
            {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "displayName", "value": "Övriga"}]},
        ).status_code
        == 204
    )
    assert scope_for(User.objects.get(pk=bo_user.pk)).owner_roles == {}
    assert scim(client, token, "DELETE", group_url).status_code == 204
    assert scim(client, token, "GET", group_url).status_code == 404


def test_role_mapping_changes_follow_at_once(client: Client, token: str, world: Any) -> None:
    anna = create(client, token)
    scim(client, token, "POST", "/scim/v2/Groups", {"displayName": "Chefer", "members": [{"value": anna["id"]}]})
    user = User.objects.get(directory_account__scim_id=anna["id"])
    assert scope_for(user).owner_roles == {}
    mapping = actions.do_create_role_mapping(
        {"owner": world.a.owner, "group": "chefer", "role": Role.APPROVER}, actor=world.admin
    )
    assert scope_for(User.objects.get(pk=user.pk)).owner_roles == {world.a.owner.pk: frozenset({Role.APPROVER})}
    actions.do_set_role_mapping_active(mapping, False, actor=world.admin)
    assert scope_for(User.objects.get(pk=user.pk)).owner_roles == {}


def test_discovery_endpoints(client: Client, token: str) -> None:
    config = scim(client, token, "GET", "/scim/v2/ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = scim(client, token, "GET", "/scim/v2/ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    schemas = scim(client, token, "GET", "/scim/v2/Schemas").json()
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in {s["id"] for s in schemas["Resources"]}


def test_list_query_count_is_constant(client: Client, token: str, django_assert_max_num_queries: Any) -> None:
    for n in range(3):
        create(client, token, f"u{n}@a.example", f"E-{n}")
    with django_assert_max_num_queries(6):
        small = scim(client, token, "GET", "/scim/v2/Users")
    for n in range(3, 12):
        create(client, token, f"u{n}@a.example", f"E-{n}")
    with django_assert_max_num_queries(6):
        large = scim(client, token, "GET", "/scim/v2/Users")
    assert small.json()["totalResults"] == 3 and large.json()["totalResults"] == 12
