"""Tenancy: actions check roles, validate, write and audit; the scoped layer answers 404 alike
for missing and forbidden objects; pupils are seen only by those who need to."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from samdrift.core.access import access_object, scope_for
from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.core.roles import Role
from samdrift.tenancy import actions
from samdrift.tenancy.models import CostCentre, Membership, Owner, Person

pytestmark = pytest.mark.django_db


def last_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


# --- owners and Swedish identifiers ---------------------------------------------------------


def test_owner_is_created_with_normalised_orgnr_and_peppol_endpoint(world: Any) -> None:
    owner = actions.do_create_owner(
        {"name": "Testkommun", "municipality_code": "9903", "org_number": "999000-0037"}, actor=world.admin
    )
    assert owner.org_number == "9990000037"
    assert owner.peppol_endpoint == "0007:9990000037"
    event = last_event()
    assert (event.event_type, event.object_id, event.actor_role) == (AuditEventType.CREATED, str(owner.pk), "admin")


@pytest.mark.parametrize("orgnr", ["9990000038", "12345", "abcdefghij", ""])
def test_owner_with_invalid_orgnr_is_refused_and_nothing_written(world: Any, orgnr: str) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        actions.do_create_owner({"name": "X", "municipality_code": "9904", "org_number": orgnr}, actor=world.admin)
    assert not Owner.objects.filter(name="X").exists()
    assert AuditEvent.objects.count() == events


def test_municipality_code_has_four_digits(world: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        actions.do_create_owner({"name": "X", "municipality_code": "12", "org_number": "9990000037"}, actor=world.admin)
    assert "municipality_code" in exc.value.error_dict


@pytest.mark.parametrize("role_user", ["agent", "finance", "records", "nobody"])
def test_only_admins_create_owners(world: Any, role_user: str) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_create_owner(
            {"name": "X", "municipality_code": "9905", "org_number": "9990000037"}, actor=getattr(world, role_user)
        )


def test_owner_users_cannot_write_tenancy(world: Any) -> None:
    for user in (world.a.viewer, world.a.orderer, world.a.approver, world.a.end_user):
        with pytest.raises(PermissionDenied):
            actions.do_update_person(world.a.employee, {"title": "x"}, actor=user)
        with pytest.raises(PermissionDenied):
            actions.do_update_cost_centre(world.a.cost_centre, {"name": "x"}, actor=user)


def test_finance_edits_cost_centres_but_not_people(world: Any) -> None:
    centre = actions.do_update_cost_centre(world.a.cost_centre, {"invoice_reference": "NY-REF"}, actor=world.finance)
    assert CostCentre.objects.get(pk=centre.pk).invoice_reference == "NY-REF"
    assert last_event().changes == {"invoice_reference": [f"REF-{world.a.marker}", "NY-REF"]}
    with pytest.raises(PermissionDenied):
        actions.do_update_person(world.a.employee, {"title": "x"}, actor=world.finance)


# --- cross-owner consistency -----------------------------------------------------------------


def test_person_cannot_point_at_another_owners_org_unit(world: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        actions.do_create_person(
            {
                "owner": world.a.owner,
                "first_name": "A",
                "last_name": "B",
                "external_id": "x1",
                "org_unit": world.b.school,
            },
            actor=world.admin,
        )
    assert "org_unit" in exc.value.error_dict


def test_owner_of_a_row_cannot_be_changed_by_update(world: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_update_person(world.a.employee, {"owner": world.b.owner}, actor=world.admin)
    assert Person.objects.get(pk=world.a.employee.pk).owner_id == world.a.owner.pk


def test_org_unit_cannot_become_part_of_itself(world: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_update_org_unit(world.a.admin_unit, {"parent": world.a.school}, actor=world.admin)


def test_unchanged_update_writes_no_event(world: Any) -> None:
    events = AuditEvent.objects.count()
    actions.do_update_person(world.a.employee, {"first_name": world.a.employee.first_name}, actor=world.admin)
    assert AuditEvent.objects.count() == events


# --- pupils ----------------------------------------------------------------------------------


def test_pupils_hold_only_what_is_needed(world: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_create_person(
            {
                "owner": world.a.owner,
                "kind": "pupil",
                "first_name": "E",
                "last_name": "L",
                "external_id": "p9",
                "phone": "070",
            },
            actor=world.admin,
        )
    with pytest.raises(ValidationError):
        actions.do_update_person(world.a.pupil, {"title": "Elevrådsordförande"}, actor=world.admin)


def test_who_sees_pupils(world: Any) -> None:
    pupil = world.a.pupil
    assert access_object(Person, world.a.orderer, pupil.pk) == pupil
    assert access_object(Person, world.a.approver, pupil.pk) == pupil
    assert access_object(Person, world.agent, pupil.pk) == pupil
    for user in (world.a.viewer, world.a.end_user, world.b.orderer, world.nobody):
        with pytest.raises(Http404):
            access_object(Person, user, pupil.pk)


def test_end_user_sees_only_themselves(world: Any) -> None:
    me = world.a.end_user.person
    assert list(Person.objects.for_user(world.a.end_user)) == [me]


# --- the scoped layer ------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [999999, "abc", None, -1, "1; DROP TABLE x", 2**70])
def test_access_answers_404_for_missing_and_malformed_ids(world: Any, bad_id: Any) -> None:
    with pytest.raises(Http404):
        access_object(Person, world.admin, bad_id)


def test_access_answers_404_for_another_owners_object(world: Any) -> None:
    for model, obj in [(Person, world.b.employee), (CostCentre, world.b.cost_centre), (Owner, world.b.owner)]:
        with pytest.raises(Http404):
            access_object(model, world.a.orderer, obj.pk)
        assert access_object(model, world.b.orderer, obj.pk) == obj


def test_a_user_may_hold_roles_in_several_owners(world: Any) -> None:
    user = world.a.orderer
    actions.do_grant_role(user, Role.OWNER_VIEWER, world.b.owner, actor=world.admin)
    user.refresh_from_db()
    scope = scope_for(user)
    assert scope.owner_ids() == sorted([world.a.owner.pk, world.b.owner.pk])
    assert set(Owner.objects.for_user(user)) == {world.a.owner, world.b.owner}
    # The viewer role at B does not reveal B's pupils.
    assert not Person.objects.for_user(user).filter(pk=world.b.pupil.pk).exists()


def test_revoked_role_stops_access(world: Any) -> None:
    membership = Membership.objects.get(user=world.a.orderer, owner=world.a.owner)
    actions.do_revoke_role(membership, actor=world.admin)
    assert last_event().event_type == AuditEventType.ROLE_REVOKED
    user = type(world.a.orderer).objects.get(pk=world.a.orderer.pk)
    assert not Person.objects.for_user(user).exists()
    assert not Owner.objects.for_user(user).exists()


def test_operator_roles_need_no_owner_and_owner_roles_need_one(world: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_grant_role(world.nobody, Role.ADMIN, world.a.owner, actor=world.admin)
    with pytest.raises(ValidationError):
        actions.do_grant_role(world.nobody, Role.ORDERER, None, actor=world.admin)


def test_last_admin_cannot_remove_their_own_admin_role(world: Any) -> None:
    membership = Membership.objects.get(user=world.admin, role=Role.ADMIN)
    with pytest.raises(ValidationError):
        actions.do_revoke_role(membership, actor=world.admin)


def test_deactivate_and_reactivate_are_audited(world: Any) -> None:
    actions.do_set_person_active(world.a.employee, False, actor=world.admin)
    assert last_event().event_type == AuditEventType.DEACTIVATED
    actions.do_set_person_active(world.a.employee, True, actor=world.admin)
    assert last_event().event_type == AuditEventType.REACTIVATED
    assert Person.objects.get(pk=world.a.employee.pk).active


# --- UI forms --------------------------------------------------------------------------------


def test_person_form_shows_inline_errors_and_writes_nothing(world: Any, web: Any) -> None:
    client = web(world.admin)
    count = Person.objects.count()
    response = client.post(
        "/people/new/",
        {
            "owner": world.a.owner.pk,
            "kind": "pupil",
            "first_name": "",
            "last_name": "X",
            "external_id": "z",
            "phone": "070",
        },
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert Person.objects.count() == count


def test_person_form_saves_through_the_action(world: Any, web: Any) -> None:
    client = web(world.admin)
    response = client.post(
        f"/people/{world.a.employee.pk}/edit/",
        {
            "kind": "employee",
            "first_name": "Ny",
            "last_name": world.a.employee.last_name,
            "email": "ny@example.org",
            "external_id": world.a.employee.external_id,
            "org_unit": world.a.admin_unit.pk,
            "cost_centre": world.a.cost_centre.pk,
        },
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=world.a.employee.pk).first_name == "Ny"
    assert last_event().changes["first_name"] == [f"Anställd{world.a.marker}", "Ny"]


def test_create_form_offers_only_owners_the_user_may_see(world: Any, web: Any) -> None:
    actions.do_grant_role(world.agent, Role.AGENT, None, actor=world.admin)
    response = web(world.agent).get("/people/new/")
    assert response.status_code == 200


def test_grant_role_from_the_user_page(world: Any, web: Any) -> None:
    response = web(world.admin).post(
        f"/users/{world.nobody.pk}/grant-role/", {"role": Role.ORDERER, "owner": world.a.owner.pk}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=world.nobody, role=Role.ORDERER, owner=world.a.owner).exists()


def test_grant_role_is_refused_to_non_admins_and_a_bad_choice_shows_the_form(world: Any, web: Any) -> None:
    url = f"/users/{world.technician.pk}/grant-role/"  # a technician sees only themselves
    assert web(world.technician).post(url, {"role": Role.ADMIN}).status_code == 403
    response = web(world.admin).post(f"/users/{world.nobody.pk}/grant-role/", {"role": "no-such-role"})
    assert response.status_code == 400
    assert not Membership.objects.filter(user__in=[world.nobody, world.technician], role=Role.ADMIN).exists()
    assert not Membership.objects.filter(user=world.nobody).exists()


def test_deactivate_button_posts_through_the_action(world: Any, web: Any) -> None:
    response = web(world.admin).post(f"/cost-centres/{world.a.cost_centre.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    assert not CostCentre.objects.get(pk=world.a.cost_centre.pk).active


def test_swedish_is_the_default_and_english_can_be_chosen(world: Any, web: Any) -> None:
    client = web(world.admin)
    assert '<html lang="sv">' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


# --- the operator ----------------------------------------------------------------------------

OPERATOR = {
    "name": "Samdrift IT AB",
    "org_number": "999000-0011",
    "vat_number": "SE999000001101",
    "bankgiro": "123-4567",
    "peppol_id": "0007:9990000011",
    "street": "Storgatan 1",
    "postcode": "242 30",
    "city": "Hörby",
    "email": "it@example.org",
}


def test_admin_saves_the_operator_through_the_api(world: Any, api: Any) -> None:
    response = api(world.admin).put("/api/v1/operator/", OPERATOR, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["org_number"] == "9990000011"
    assert api(world.agent).get("/api/v1/operator/").json()["name"] == "Samdrift IT AB"
    assert last_event().object_type == "tenancy.operator"
    assert api(world.agent).put("/api/v1/operator/", OPERATOR, format="json").status_code == 403
    assert api(world.a.orderer).get("/api/v1/operator/").status_code == 403


def test_operator_vat_number_is_checked(world: Any, api: Any) -> None:
    response = api(world.admin).put("/api/v1/operator/", {**OPERATOR, "vat_number": "SE123"}, format="json")
    assert response.status_code == 400
    assert "vat_number" in response.json()


def test_operator_page_and_form(world: Any, web: Any) -> None:
    client = web(world.admin)
    response = client.post("/operator/edit/", OPERATOR)
    assert response.status_code == 302
    assert "Samdrift IT AB" in client.get("/operator/").content.decode()
    assert web(world.a.viewer).get("/operator/").status_code == 403


def test_an_english_browser_still_gets_swedish_until_the_user_switches(world: Any, web: Any) -> None:
    client = web(world.admin)
    assert '<html lang="sv">' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()


def test_org_unit_filter_follows_the_owner_filter_on_htmx_updates(world: Any, client: Any) -> None:
    """Changing the owner filter re-renders the org-unit select (out of band) with that owner's
    units; other updates leave it alone so that focus and selection are kept."""
    a, b = world.a, world.b
    client.force_login(world.admin)
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/people/?owner={a.owner.pk}"}
    changed = client.get("/people/", {"owner": b.owner.pk}, headers=headers).content.decode()
    assert 'hx-swap-oob="innerHTML:#filter-field-org_unit"' in changed
    oob = changed.split('hx-swap-oob="innerHTML:#filter-field-org_unit"', 1)[1]
    assert b.school.name in oob
    assert a.school.name not in oob

    same = client.get("/people/", {"owner": a.owner.pk, "q": "x"}, headers=headers).content.decode()
    assert "hx-swap-oob" not in same
