"""Single sign-on against real identity providers started by the tests (OpenID Connect through
django-oauth-toolkit, SAML 2.0 through pysaml2), and the issue's done-when walk."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from samdrift.core.access import scope_for
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.core.roles import Role
from samdrift.identity import actions
from samdrift.identity.models import DirectoryAccount
from samdrift.tenancy.models import Membership, Person, Session, User
from tests.identity.conftest import (
    SAML_HOST,
    connect_oidc,
    connect_saml,
    new_token,
    scim,
    sso_login_oidc,
    sso_login_saml,
)

pytestmark = pytest.mark.django_db


def scim_user(user_name: str, employee_number: str, active: bool = True) -> dict[str, Any]:
    """A user as Entra ID's provisioning service posts it."""
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": f"oid-{employee_number}",
        "userName": user_name,
        "active": active,
        "displayName": "Nyanställd Testsson",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "name": {"formatted": "Nyanställd Testsson", "familyName": "Testsson", "givenName": "Nyanställd"},
        "title": "Handläggare",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": employee_number},
    }


def test_done_when_new_employee_pushed_by_scim_signs_in_by_sso_and_is_shut_out_by_scim(
    world: Any, oidc_idp: Any
) -> None:
    owner = world.a.owner
    connect_oidc(owner, oidc_idp, world.admin)
    actions.do_create_role_mapping(
        {"owner": owner, "group": "Samdrift-Beställare", "role": Role.ORDERER}, actor=world.admin
    )
    actions.do_create_role_mapping(
        {"owner": owner, "group": "Samdrift-Attestanter", "role": Role.APPROVER}, actor=world.admin
    )
    # The same group name at owner B gives nothing at A, and A's directory gives nothing at B.
    actions.do_create_role_mapping(
        {"owner": world.b.owner, "group": "Samdrift-Beställare", "role": Role.OWNER_VIEWER}, actor=world.admin
    )
    _, token = new_token(owner, world.admin)
    directory = Client()

    # 1. The directory creates the new employee and puts them in a group (Entra ID's SCIM calls).
    created = scim(directory, token, "POST", "/scim/v2/Users", scim_user("ny.anstalld@a.example", "E-1001"))
    assert created.status_code == 201, created.content
    user_id = created.json()["id"]
    group = scim(directory, token, "POST", "/scim/v2/Groups",
                 {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Samdrift-Beställare",
                  "externalId": "gid-1", "members": []})  # fmt: skip
    assert group.status_code == 201, group.content
    patched = scim(directory, token, "PATCH", f"/scim/v2/Groups/{group.json()['id']}",
                   {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "Add", "path": "members", "value": [{"value": user_id}]}]})  # fmt: skip
    assert patched.status_code == 204, patched.content
    person = Person.objects.get(owner=owner, external_id="E-1001")
    user = User.objects.get(person=person)
    assert user.username == "ny.anstalld@a.example" and not user.has_usable_password()

    # 2. The same employee exists in the identity provider and signs in through it.
    oidc_idp.create_user(username="nyanst", password="idp-pass-1", email="ny.anstalld@a.example",
                         given_name="Nyanställd", family_name="Testsson", employee_number="E-1001", groups=["gid-7"])  # fmt: skip
    browser = Client()
    answer = sso_login_oidc(browser, oidc_idp, "ny.anstalld@a.example", "nyanst", "idp-pass-1")
    assert answer.status_code == 302 and answer["Location"] == "/", answer.content[:800]
    home = browser.get("/")
    assert home.status_code == 200 and home.wsgi_request.user.pk == user.pk

    # 3. The roles their groups give, at that owner only.
    user = User.objects.get(pk=user.pk)
    scope = scope_for(user)
    assert scope.operator_roles == frozenset()
    assert scope.owner_roles == {owner.pk: frozenset({Role.ORDERER})}
    assert browser.get(f"/people/{world.b.employee.pk}/").status_code == 404
    assert Session.objects.filter(user=user).count() == 1
    login_event = AuditEvent.objects.filter(event_type=AuditEventType.LOGIN, actor_id=user.pk).get()
    assert login_event.actor_role == "self"

    # 4. Disabling them by SCIM (Entra ID's PATCH form) ends the session at once.
    closed = scim(directory, token, "PATCH", f"/scim/v2/Users/{user_id}",
                  {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})  # fmt: skip
    assert closed.status_code == 200 and closed.json()["active"] is False
    after = browser.get("/")
    assert after.status_code == 302 and "/accounts/login/" in after["Location"]
    assert Session.objects.filter(user=user).count() == 0
    user.refresh_from_db()
    person.refresh_from_db()
    assert not user.is_active and not person.active
    assert not Membership.objects.filter(user=user, active=True).exists()
    deactivated = AuditEvent.objects.filter(
        event_type=AuditEventType.DEACTIVATED, object_type="tenancy.user", object_id=str(user.pk)
    ).get()
    assert deactivated.actor_role == "scim" and deactivated.extra["sessions_ended"] == 1

    # 5. And they cannot sign in again through the directory.
    again = sso_login_oidc(Client(), oidc_idp, "ny.anstalld@a.example", "nyanst", "idp-pass-1")
    assert again.status_code == 403
    assert "stängt" in again.content.decode() or "closed" in again.content.decode()


def test_oidc_links_just_in_time_by_employee_number_and_maps_claim_groups(world: Any, oidc_idp: Any) -> None:
    owner = world.a.owner
    connect_oidc(owner, oidc_idp, world.admin)
    actions.do_create_role_mapping({"owner": owner, "group": "gid-approvers", "role": Role.APPROVER}, actor=world.admin)
    employee = world.a.employee  # has no user yet: the first sign-in creates it
    assert not User.objects.filter(person=employee).exists()
    oidc_idp.create_user(username="emp", password="pw-emp-1", email="emp@a.example", employee_number=employee.external_id,
                         groups=["gid-approvers", "gid-unmapped"])  # fmt: skip
    browser = Client()
    answer = sso_login_oidc(browser, oidc_idp, "emp@a.example", "emp", "pw-emp-1")
    assert answer.status_code == 302, answer.content[:800]
    user = User.objects.get(person=employee)
    assert scope_for(user).owner_roles == {owner.pk: frozenset({Role.APPROVER})}
    account = DirectoryAccount.objects.get(user=user)
    assert account.owner_id == owner.pk and account.sso_groups == ["gid-approvers", "gid-unmapped"]
    granted = AuditEvent.objects.filter(event_type=AuditEventType.ROLE_GRANTED, object_id=str(user.pk)).get()
    assert granted.actor_role == "sso" and granted.extra["role"] == Role.APPROVER

    # A second sign-in after the group was removed in the directory takes the role away.
    oidc_idp.create_user(
        username="emp", password="pw-emp-1", email="emp@a.example", employee_number=employee.external_id, groups=[]
    )
    sso_login_oidc(Client(), oidc_idp, "emp@a.example", "emp", "pw-emp-1")
    user = User.objects.get(pk=user.pk)
    assert scope_for(user).owner_roles == {}


def test_oidc_refuses_unknown_people_other_domains_and_operator_staff(world: Any, oidc_idp: Any) -> None:
    owner = world.a.owner
    connect_oidc(owner, oidc_idp, world.admin)
    # Nobody with this e-mail or employee number at owner A: refused, nothing created.
    oidc_idp.create_user(username="stranger", password="pw-s-1", email="stranger@a.example", employee_number="NOPE")
    users_before = User.objects.count()
    answer = sso_login_oidc(Client(), oidc_idp, "stranger@a.example", "stranger", "pw-s-1")
    assert answer.status_code == 403 and User.objects.count() == users_before
    # The directory vouches for an address outside its domains: refused.
    oidc_idp.create_user(
        username="outsider", password="pw-o-1", email="x@b.example", employee_number=world.a.employee.external_id
    )
    answer = sso_login_oidc(Client(), oidc_idp, "someone@a.example", "outsider", "pw-o-1")
    assert answer.status_code == 403
    # An operator administrator's account cannot be taken over through an owner's directory.
    admin_person = actions_person(world, "admin@a.example", "ADM-1")
    world.admin.person = admin_person
    world.admin.save(update_fields=["person"])
    oidc_idp.create_user(username="fakeadmin", password="pw-f-1", email="admin@a.example", employee_number="ADM-1")
    answer = sso_login_oidc(Client(), oidc_idp, "admin@a.example", "fakeadmin", "pw-f-1")
    assert answer.status_code == 403
    assert not DirectoryAccount.objects.filter(user=world.admin).exists()


def actions_person(world: Any, email: str, number: str) -> Person:
    from samdrift.tenancy.actions import do_create_person

    return do_create_person(
        {"owner": world.a.owner, "first_name": "Ad", "last_name": "Min", "email": email, "external_id": number},
        actor=None,
    )


@pytest.fixture
def saml_host(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, SAML_HOST]


def test_saml_sign_in_through_a_pysaml2_idp_with_signed_assertions(world: Any, saml_idp: Any, saml_host: None) -> None:
    owner = world.a.owner
    connect_saml(owner, saml_idp, world.admin)
    actions.do_create_role_mapping(
        {"owner": owner, "group": "urn:mace:skola.a.example:samdrift:orderer", "role": Role.ORDERER}, actor=world.admin
    )
    employee = world.a.employee
    saml_idp.create_user(username="larare", password="pw-l-1", email="larare@skola.a.example", given_name="Lärare",
                         family_name="Testsson", employee_number=employee.external_id,
                         groups=["urn:mace:skola.a.example:samdrift:orderer"])  # fmt: skip
    browser = Client(HTTP_HOST=SAML_HOST)
    answer = sso_login_saml(browser, saml_idp, "larare@skola.a.example", "larare", "pw-l-1")
    assert answer.status_code == 200, answer.content[:800]
    assert answer.wsgi_request.user.is_authenticated
    user = User.objects.get(person=employee)
    assert answer.wsgi_request.user.pk == user.pk
    assert scope_for(user).owner_roles == {owner.pk: frozenset({Role.ORDERER})}


def test_saml_response_with_a_broken_signature_is_refused(world: Any, saml_idp: Any, saml_host: None) -> None:
    import base64
    import re
    from html import unescape

    import requests

    owner = world.a.owner
    connect_saml(owner, saml_idp, world.admin)
    saml_idp.create_user(
        username="evil", password="pw-e-1", email="evil@skola.a.example", employee_number=world.a.employee.external_id
    )
    browser = Client(HTTP_HOST=SAML_HOST)
    start = browser.post("/accounts/sso/", {"email": "evil@skola.a.example"})
    form = requests.get(start["Location"], timeout=10).text
    hidden = {k: unescape(v) for k, v in re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', form)}
    posted = requests.post(
        f"{saml_idp.base}/sso/login", data={"username": "evil", "password": "pw-e-1", **hidden}, timeout=10
    ).text
    fields = {k: unescape(v) for k, v in re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', posted)}
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    tampered = xml.replace("evil@skola.a.example", "other@skola.a.example")
    assert tampered != xml
    fields["SAMLResponse"] = base64.b64encode(tampered.encode()).decode()
    answer = browser.post(f"/accounts/saml/{'a-skola'}/acs/", fields, follow=True)
    assert not answer.wsgi_request.user.is_authenticated
    assert not User.objects.filter(person=world.a.employee).exists()


def test_login_page_offers_the_municipality_sign_in_and_rejects_unknown_domains(world: Any, oidc_idp: Any) -> None:
    client = Client()
    connect_oidc(world.a.owner, oidc_idp, world.admin)
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Logga in med din kommuns konto" in page
    answer = client.post("/accounts/sso/", {"email": "someone@unknown.example"}, HTTP_ACCEPT_LANGUAGE="sv")
    assert answer.status_code == 400
    assert "Ingen kommuns katalog" in answer.content.decode()
