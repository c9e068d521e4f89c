"""The register and requests through the API, and the records lists' constant query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samdrift.records import actions
from samdrift.records.models import AccessLogEntry, AccessRequest, Case
from samdrift.tenancy.models import User

pytestmark = pytest.mark.django_db


def test_the_request_flow_through_the_api(rw: Any, api: Any) -> None:
    client = api(rw.officer)
    response = client.post(
        "/api/v1/records/requests/", {"description": "Wifi i Höör", "requester_name": ""}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("SAM ") and body["deadline"] == "ok"
    url = f"/api/v1/records/requests/{body['id']}/"
    hits = client.get(url + "search/", {"q": "wifi Höör", "date_from": "2025-10-01", "date_to": "2025-10-31"}).json()
    assert [(h["record"], h["identifier"], h["marked"]) for h in hits] == [("servicedesk.ticket", rw.wifi.number, True)]
    assert client.get(url + "search/", {"q": ""}).status_code == 400
    assert client.get(url + "search/", {"q": "x", "date_from": "not a date"}).status_code == 400
    item = client.post(url + "items/", {"record": "servicedesk.ticket", "object_id": rw.wifi.pk}, format="json")
    assert item.status_code == 201, item.content
    missing = client.post(url + "items/", {"record": "servicedesk.ticket", "object_id": 10**12}, format="json")
    assert missing.status_code == 400
    assert client.post(url + "decide/").status_code == 400  # undecided record
    decided = client.post(
        f"/api/v1/records/request-items/{item.json()['id']}/decide/", {"decision": "partial"}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["grounds"] == ["osl_18_8"]
    final = client.post(url + "decide/")
    assert final.status_code == 200 and final.json()["status"] == "decided"
    assert "OSL 18 kap. 8 §" in final.json()["decision_text"]
    assert client.get(url).json()["items"][0]["decision"] == "partial"


def test_the_register_through_the_api(rw: Any, api: Any) -> None:
    client = api(rw.officer)
    response = client.post(
        "/api/v1/records/cases/",
        {"subject": "Avtal med leverantör", "direction": "incoming", "secrecy_ground": "osl_31_16"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["secrecy_ground"] == "osl_31_16" and response.json()["number"] == 1
    assert client.post("/api/v1/records/cases/", {"subject": ""}, format="json").status_code == 400
    assert (
        client.post("/api/v1/records/cases/", {"subject": "x", "secrecy_ground": "nope"}, format="json").status_code
        == 400
    )
    assert Case.objects.count() == 1
    grounds = client.get("/api/v1/records/secrecy-grounds/").json()["results"]
    assert {"osl_18_8", "osl_19_3", "osl_31_16", "osl_39", "osl_23"} <= {g["code"] for g in grounds}
    types = {t["code"]: t for t in client.get("/api/v1/records/record-types/").json()["results"]}
    assert types["tickets"]["content_type"] == "servicedesk.ticket"
    assert types["inventory"]["ownership"] == "owner_data"


def test_others_get_nothing_from_the_api(rw: Any, api: Any) -> None:
    request = actions.do_register_request({"description": "Något"}, actor=rw.officer)
    for user in (rw.agent, rw.technician, rw.hoor.orderer, rw.hoor.viewer, rw.hoor.end_user):
        client = api(user)
        assert client.get("/api/v1/records/requests/").json()["results"] == []
        assert client.get("/api/v1/records/cases/").json()["results"] == []
        assert client.get(f"/api/v1/records/requests/{request.pk}/").status_code == 404
        assert client.post("/api/v1/records/requests/", {"description": "x"}, format="json").status_code == 403
        assert client.post("/api/v1/records/cases/", {"subject": "x"}, format="json").status_code == 403
    admin = api(rw.admin)
    assert admin.get(f"/api/v1/records/requests/{request.pk}/").status_code == 200
    assert admin.post("/api/v1/records/cases/", {"subject": "x"}, format="json").status_code == 403
    assert AccessRequest.objects.count() == 1


def _count(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response


def _grow(rw: Any, n: int) -> None:
    from django.contrib.contenttypes.models import ContentType

    from samdrift.servicedesk.models import Ticket

    for i in range(Case.objects.count(), n):
        actions.do_register_case({"subject": f"Brev {i}"}, actor=rw.officer)
    for i in range(AccessRequest.objects.count(), n):
        actions.do_register_request({"description": f"Begäran {i}"}, actor=rw.officer)
    ct = ContentType.objects.get_for_model(Ticket)
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user=rw.officer, user_label="x", content_type=ct, object_id="1", object_repr=f"r{i}", reason="secrecy"
        )
        for i in range(AccessLogEntry.objects.count(), n)
    )


LISTS = ["case_list", "accessrequest_list", "accesslog_list", "disposalbatch_list", "gdprrequest_list"]
API_LISTS = ["/api/v1/records/cases/", "/api/v1/records/requests/"]


def test_lists_have_a_constant_query_count(rw: Any, web: Any, api: Any) -> None:
    client = web(User.objects.get(pk=rw.officer.pk))
    _grow(rw, 3)
    few = {}
    for name in LISTS:
        client.get(reverse(name))
        few[name], _response = _count(client, reverse(name))
    api_few = {url: _count(api(User.objects.get(pk=rw.officer.pk)), url)[0] for url in API_LISTS}
    _grow(rw, 60)
    for name in LISTS:
        many, response = _count(client, reverse(name))
        assert many == few[name], f"{name}: {few[name]} queries with few rows, {many} with a full page"
        page = response.context["table"].page
        if name in ("case_list", "accessrequest_list", "accesslog_list"):
            assert len(page.object_list) == 50 and page.has_next
            second, _response = _count(client, reverse(name) + f"?cursor={page.next_cursor}")
            assert second == few[name]
    for url in API_LISTS:
        many, response = _count(api(User.objects.get(pk=rw.officer.pk)), url)
        assert many == api_few[url] and len(response.json()["results"]) == 50
