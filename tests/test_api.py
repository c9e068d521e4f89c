"""The API: scoped lists and details, writes through actions, JSON errors that say what is wrong,
cursor pagination, token authentication, filters matching the UI's."""

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from samdrift.core.models import AuditEvent, AuditEventType
from samdrift.tenancy.models import Person

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401_or_403(world: Any) -> None:
    response = APIClient().get("/api/v1/people/")
    assert response.status_code in {401, 403}
    assert "detail" in response.json()


def test_token_authentication(world: Any) -> None:
    token = Token.objects.create(user=world.a.orderer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["owner_roles"] == {str(world.a.owner.pk): ["orderer"]}


def test_lists_are_scoped_to_the_users_owners(world: Any, api: Any) -> None:
    people = api(world.a.orderer).get("/api/v1/people/").json()["results"]
    assert {p["owner"] for p in people} == {world.a.owner.pk}
    viewer_people = api(world.a.viewer).get("/api/v1/people/").json()["results"]
    assert "pupil" not in {p["kind"] for p in viewer_people}
    all_people = api(world.admin).get("/api/v1/people/?page_size=100").json()["results"]
    assert {p["owner"] for p in all_people} == {world.a.owner.pk, world.b.owner.pk}


def test_filters_match_the_ui(world: Any, api: Any) -> None:
    client = api(world.admin)
    rows = client.get(f"/api/v1/people/?owner={world.a.owner.pk}&kind=pupil").json()["results"]
    assert [r["id"] for r in rows] == [world.a.pupil.pk]
    rows = client.get("/api/v1/people/?q=elev").json()["results"]
    assert {r["id"] for r in rows} == {world.a.pupil.pk, world.b.pupil.pk}
    rows = client.get(f"/api/v1/org-units/?parent={world.b.admin_unit.pk}").json()["results"]
    assert [r["id"] for r in rows] == [world.b.school.pk]


def test_filter_by_an_owner_you_cannot_see_is_a_clear_400(world: Any, api: Any) -> None:
    response = api(world.a.orderer).get(f"/api/v1/people/?owner={world.b.owner.pk}")
    assert response.status_code == 400
    assert "owner" in response.json()


def test_cursor_pagination_walks_every_row_once(world: Any, api: Any) -> None:
    client = api(world.admin)
    seen: list[int] = []
    url = "/api/v1/people/?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Person.objects.values_list("id", flat=True))
    assert len(seen) == len(set(seen))


def test_create_through_the_api_is_an_audited_action(world: Any, api: Any) -> None:
    response = api(world.admin).post(
        "/api/v1/people/",
        {"owner": world.a.owner.pk, "first_name": "Ny", "last_name": "Person", "external_id": "API-1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    person = Person.objects.get(pk=response.json()["id"])
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.event_type, event.object_id, event.actor_id) == (
        AuditEventType.CREATED,
        str(person.pk),
        world.admin.pk,
    )


def test_validation_errors_name_the_field(world: Any, api: Any) -> None:
    client = api(world.admin)
    response = client.post(
        "/api/v1/owners/", {"name": "X", "municipality_code": "1", "org_number": "123"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "municipality_code" in body and "org_number" in body
    response = client.post(
        "/api/v1/people/",
        {
            "owner": world.a.owner.pk,
            "kind": "pupil",
            "first_name": "E",
            "last_name": "L",
            "external_id": "p",
            "phone": "1",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_duplicate_identifier_is_a_400_not_a_500(world: Any, api: Any) -> None:
    response = api(world.admin).post(
        "/api/v1/people/",
        {"owner": world.a.owner.pk, "first_name": "X", "last_name": "Y", "external_id": world.a.employee.external_id},
        format="json",
    )
    assert response.status_code == 400


def test_owner_users_cannot_write(world: Any, api: Any) -> None:
    response = api(world.a.orderer).patch(f"/api/v1/people/{world.a.employee.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 403
    response = api(world.a.orderer).post(
        "/api/v1/people/",
        {"owner": world.a.owner.pk, "first_name": "X", "last_name": "Y", "external_id": "z"},
        format="json",
    )
    assert response.status_code == 403


def test_deactivate_through_the_api(world: Any, api: Any) -> None:
    response = api(world.admin).post(f"/api/v1/cost-centres/{world.a.cost_centre.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json()["active"] is False


def test_delete_is_not_offered(world: Any, api: Any) -> None:
    assert api(world.admin).delete(f"/api/v1/people/{world.a.employee.pk}/").status_code == 405


def test_grant_role_through_the_api(world: Any, api: Any) -> None:
    response = api(world.admin).post(
        f"/api/v1/users/{world.nobody.pk}/grant-role/", {"role": "approver", "owner": world.b.owner.pk}, format="json"
    )
    assert response.status_code == 200
    response = api(world.admin).post(
        f"/api/v1/users/{world.nobody.pk}/grant-role/", {"role": "approver"}, format="json"
    )
    assert response.status_code == 400


def test_audit_events_api_is_for_admins(world: Any, api: Any) -> None:
    assert api(world.admin).get("/api/v1/audit-events/").status_code == 200
    assert api(world.a.orderer).get("/api/v1/audit-events/").json()["results"] == []


def test_openapi_schema_and_docs_are_served(world: Any, api: Any, web: Any) -> None:
    response = web(world.admin).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/people/" in response.content
    docs = web(world.admin).get("/api/docs/")
    assert docs.status_code == 200
    assert b"//cdn" not in docs.content  # works offline: assets come from drf-spectacular-sidecar


def test_an_offset_postgresql_refuses_is_converted_to_utc(world: Any, api: Any) -> None:
    """Found by schemathesis on PostgreSQL: an offset of -23:34 made the database refuse the query (500)."""
    response = api(world.admin).get("/api/v1/audit-events/", {"created_before": "0470-07-28T00:25:20-23:34"})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "not a date"])
def test_unrepresentable_date_times_are_a_400(world: Any, api: Any, value: str) -> None:
    response = api(world.admin).get("/api/v1/audit-events/", {"created_before": value})
    assert response.status_code == 400
    assert "created_before" in response.json()


def test_date_time_filter_with_an_offset_still_filters(world: Any, api: Any) -> None:
    rows = api(world.admin).get("/api/v1/audit-events/", {"created_after": "2000-01-01T00:00:00+14:00"}).json()
    assert rows["results"]
