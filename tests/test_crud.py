"""The one CRUD bundle (`samdrift.core.crud.ModelViews`): a model's pages and URLs from declarations,
driven over HTTP through pages that use it (org units, people, Wi-Fi zones), and the bundle's own
rules on a model declared here."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from samdrift.core.crud import ModelViews, model_urls
from samdrift.core.models import AuditEvent
from samdrift.core.views import ScopedDetailView
from samdrift.tenancy import actions
from samdrift.tenancy.models import OrgUnit
from samdrift.tenancy.permissions import may_write

pytestmark = pytest.mark.django_db


def test_every_page_of_a_bundle_has_its_url_and_name(world: Any) -> None:
    unit = world.a.school
    for name in ("list", "create"):
        assert reverse(f"orgunit_{name}").startswith("/org-units/")
    for name in ("detail", "edit", "active", "history"):
        assert reverse(f"orgunit_{name}", args=[unit.pk]).startswith(f"/org-units/{unit.pk}/")
    # A bundle without an activation action has no activation page.
    with pytest.raises(NoReverseMatch):
        reverse("user_active", args=[world.admin.pk])


def test_create_then_edit_through_the_bundle_uses_the_edit_form_and_the_actions(world: Any, web: Any) -> None:
    client = web(world.admin)
    response = client.post(
        reverse("orgunit_create"),
        {"owner": world.a.owner.pk, "code": "CRUD-1", "name": "Bundle school", "kind": world.a.school.kind},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = OrgUnit.objects.get(code="CRUD-1")
    assert response["Location"] == reverse("orgunit_detail", args=[unit.pk])
    assert AuditEvent.objects.filter(object_type="tenancy.orgunit", object_id=str(unit.pk)).exists()

    # The edit page is the edit form: the owner cannot be changed there.
    page = client.get(reverse("orgunit_edit", args=[unit.pk])).content.decode()
    assert 'name="name"' in page and 'name="owner"' not in page
    response = client.post(
        reverse("orgunit_edit", args=[unit.pk]), {"code": "CRUD-1", "name": "Renamed school", "kind": unit.kind}
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "Renamed school" and unit.owner_id == world.a.owner.pk

    # Deactivate and see it in the history, both through generated pages.
    assert client.post(reverse("orgunit_active", args=[unit.pk]), {"active": "0"}).status_code == 302
    unit.refresh_from_db()
    assert unit.active is False
    history = client.get(reverse("orgunit_history", args=[unit.pk]))
    assert history.status_code == 200


def test_the_detail_page_links_only_what_the_reader_may_do(world: Any, web: Any) -> None:
    unit = world.a.school
    admin_page = web(world.admin).get(reverse("orgunit_detail", args=[unit.pk])).content.decode()
    assert reverse("orgunit_edit", args=[unit.pk]) in admin_page
    assert reverse("orgunit_history", args=[unit.pk]) in admin_page
    viewer_page = web(world.a.viewer).get(reverse("orgunit_detail", args=[unit.pk]))
    assert viewer_page.status_code == 200
    assert reverse("orgunit_edit", args=[unit.pk]) not in viewer_page.content.decode()


def test_generated_pages_refuse_writers_without_the_role_and_other_owners(world: Any, web: Any) -> None:
    unit_b = world.b.school
    viewer = web(world.a.viewer)
    assert viewer.get(reverse("orgunit_create")).status_code == 403
    assert viewer.post(reverse("orgunit_create"), {"code": "X", "name": "X"}).status_code == 403
    for name in ("detail", "edit", "history"):
        assert viewer.get(reverse(f"orgunit_{name}", args=[unit_b.pk])).status_code == 404, name
    assert viewer.post(reverse("orgunit_active", args=[unit_b.pk]), {"active": "0"}).status_code == 404
    unit_b.refresh_from_db()
    assert unit_b.active is True


def test_a_declared_page_class_keeps_its_own_template_and_context(world: Any, web: Any) -> None:
    from samdrift.tenancy import views

    assert views.PersonDetail.template_name == "tenancy/person_detail.html"
    assert issubclass(views.PersonDetail, views.PersonDetailPage)
    assert views.PersonDetail.edit_url_name == "person_edit"
    response = web(world.records).get(reverse("person_detail", args=[world.a.employee.pk]))
    assert response.status_code == 200
    assert response.context["gdpr_officer"] is True


def test_a_bundle_without_actions_is_read_only_and_fills_only_unset_attributes() -> None:
    class Detail(ScopedDetailView):
        detail_fields = ("code",)
        history_url_name = "my_own_history"

    bundle = ModelViews(OrgUnit, "/read-only-units/", thing="orgunit", may_write=may_write, detail=Detail)
    names = [pattern.name for pattern in model_urls(bundle)]
    assert names == ["orgunit_list", "orgunit_detail", "orgunit_history"]
    assert bundle.form_view is None and bundle.active_view is None
    assert bundle.list_view.create_url_name is None
    assert bundle.detail_view.history_url_name == "my_own_history"  # declared, so kept
    assert bundle.detail_view.edit_url_name is None  # no update action: no edit link
    assert str(bundle.urls()[0].pattern) == "read-only-units/"


def test_actions_still_decide_what_is_valid(world: Any, web: Any) -> None:
    """The bundle adds no write path of its own: a duplicate code is refused by the action, shown on
    the form, and nothing is written."""
    actions.do_create_org_unit(
        {"owner": world.a.owner, "code": "DUP-1", "name": "First", "kind": world.a.school.kind}, actor=world.admin
    )
    before = OrgUnit.objects.count()
    response = web(world.admin).post(
        reverse("orgunit_create"),
        {"owner": world.a.owner.pk, "code": "DUP-1", "name": "Second", "kind": world.a.school.kind},
    )
    assert response.status_code == 200
    assert OrgUnit.objects.count() == before
