"""Tenancy pages: a few declarative lines per model on top of the scoped base views."""

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.core.access import scope_for
from samdrift.core.actionviews import ObjectActionView
from samdrift.core.crud import ModelViews
from samdrift.core.roles import Role
from samdrift.core.views import ScopedDetailView, apply_validation_error
from samdrift.tenancy import actions
from samdrift.tenancy.filters import (
    CostCentreFilter,
    OrgUnitFilter,
    OwnerFilter,
    PersonFilter,
    UserFilter,
)
from samdrift.tenancy.forms import (
    CostCentreEditForm,
    CostCentreForm,
    OrgUnitEditForm,
    OrgUnitForm,
    OwnerForm,
    PersonEditForm,
    PersonForm,
    RoleGrantForm,
    UserForm,
)
from samdrift.tenancy.models import CostCentre, Membership, OrgUnit, Owner, Person, User
from samdrift.tenancy.permissions import may_write
from samdrift.tenancy.tables import (
    CostCentreTable,
    OrgUnitTable,
    OwnerTable,
    PersonTable,
    UserTable,
)

# --- owners, org units, cost centres, people and users: one bundle each (samdrift.core.crud) ----


owners = ModelViews(
    Owner,
    "owners",
    thing="owner",
    may_write=may_write,
    list={
        "table_class": OwnerTable,
        "filterset_class": OwnerFilter,
        "title": gettext_lazy("Owners"),
        "export_fields": ("name", "municipality_code", "org_number", "population", "population_year", "active"),
    },
    detail={
        "detail_fields": (
            "name",
            "municipality_code",
            "org_number",
            "population",
            "population_year",
            "population_source",
            "peppol_endpoint",
            "invoice_street",
            "invoice_postcode",
            "invoice_city",
            "is_fictitious",
            "active",
        )
    },
    form={"form_class": OwnerForm},
    create_action=actions.do_create_owner,
    update_action=actions.do_update_owner,
    active_action=actions.do_set_owner_active,
)

org_units = ModelViews(
    OrgUnit,
    "org-units",
    thing="orgunit",
    may_write=may_write,
    list={
        "table_class": OrgUnitTable,
        "filterset_class": OrgUnitFilter,
        "select_related": ("owner", "parent"),
        "title": gettext_lazy("Org units"),
        "export_fields": ("owner__name", "code", "name", "kind", "parent__code", "active"),
    },
    detail={"detail_fields": ("owner", "parent", "code", "name", "kind", "active")},
    form={"form_class": OrgUnitForm},
    edit_form_class=OrgUnitEditForm,
    create_action=actions.do_create_org_unit,
    update_action=actions.do_update_org_unit,
    active_action=actions.do_set_org_unit_active,
)

cost_centres = ModelViews(
    CostCentre,
    "cost-centres",
    thing="costcentre",
    may_write=may_write,
    list={
        "table_class": CostCentreTable,
        "filterset_class": CostCentreFilter,
        "select_related": ("owner",),
        "title": gettext_lazy("Cost centres"),
        "export_fields": ("owner__name", "code", "name", "invoice_reference", "org_unit__code", "active"),
    },
    detail={"detail_fields": ("owner", "code", "name", "invoice_reference", "org_unit", "active")},
    form={"form_class": CostCentreForm},
    edit_form_class=CostCentreEditForm,
    create_action=actions.do_create_cost_centre,
    update_action=actions.do_update_cost_centre,
    active_action=actions.do_set_cost_centre_active,
)


class PersonDetailPage(ScopedDetailView):
    detail_fields = (
        "owner",
        "kind",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "external_id",
        "org_unit",
        "cost_centre",
        "active",
    )
    template_name = "tenancy/person_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The records officer starts a rectification or a restriction (GDPR) from here too.
        context["gdpr_officer"] = scope_for(self.request.user).has_operator_role({Role.RECORDS_OFFICER})
        return context


people = ModelViews(
    Person,
    "people",
    thing="person",
    may_write=may_write,
    list={
        "table_class": PersonTable,
        "filterset_class": PersonFilter,
        "select_related": ("owner", "org_unit"),
        "title": gettext_lazy("People"),
        "export_fields": (
            "owner__name",
            "external_id",
            "kind",
            "first_name",
            "last_name",
            "email",
            "org_unit__code",
            "active",
        ),
    },
    detail=PersonDetailPage,
    form={"form_class": PersonForm},
    edit_form_class=PersonEditForm,
    create_action=actions.do_create_person,
    update_action=actions.do_update_person,
    active_action=actions.do_set_person_active,
)


class UserDetailPage(ScopedDetailView):
    template_name = "tenancy/user_detail.html"
    detail_fields = ("username", "first_name", "last_name", "email", "language", "person", "is_active")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["memberships"] = (
            Membership.objects.filter(user=self.object, active=True)
            .select_related("owner")
            .order_by("owner__name", "role")
        )
        if may_write(self.request.user, "membership"):
            form = RoleGrantForm()
            form.fields["owner"].queryset = Owner.objects.for_user(self.request.user)  # type: ignore[attr-defined]
            context["grant_form"] = form
        return context


users = ModelViews(  # no (de)activation page: a user is made inactive on the edit form
    User,
    "users",
    thing="user",
    may_write=may_write,
    list={
        "table_class": UserTable,
        "filterset_class": UserFilter,
        "title": gettext_lazy("Users"),
        "export_fields": ("username", "first_name", "last_name", "email", "is_active"),
    },
    detail=UserDetailPage,
    form={"form_class": UserForm},
    create_action=actions.do_create_user,
    update_action=actions.do_update_user,
)

OwnerList, OwnerDetail, OwnerFormView, OwnerActive, OwnerHistory = owners.views()
OrgUnitList, OrgUnitDetail, OrgUnitFormView, OrgUnitActive, OrgUnitHistory = org_units.views()
CostCentreList, CostCentreDetail, CostCentreFormView, CostCentreActive, CostCentreHistory = cost_centres.views()
PersonList, PersonDetail, PersonFormView, PersonActive, PersonHistory = people.views()
UserList, UserDetail, UserFormView, _no_active, UserHistory = users.views()


class _MembershipAction(ObjectActionView):
    """A POST by someone who may grant and revoke roles; back to the user's page."""

    def allowed(self, user: Any, obj: Any) -> bool:
        return may_write(user, "membership")


class GrantRole(_MembershipAction):
    """A role for the user, at an owner the granter sees (or at the operator); a refused grant shows
    the form again with its reason (status 400)."""

    model = User

    def perform(self, user: User, data: dict[str, Any]) -> Any:
        form = RoleGrantForm(self.request.POST)
        form.fields["owner"].queryset = Owner.objects.for_user(self.request.user)  # type: ignore[attr-defined]
        if form.is_valid():
            try:
                actions.do_grant_role(
                    user, form.cleaned_data["role"], form.cleaned_data["owner"], actor=self.request.user
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
        if form.errors:
            return render(self.request, "core/form.html", {"form": form, "title": _("Grant role")}, status=400)
        return _("The role was granted.")


class RevokeRole(_MembershipAction):
    model = Membership

    def perform(self, membership: Membership, data: dict[str, Any]) -> Any:
        actions.do_revoke_role(membership, actor=self.request.user)
        return _("The role was revoked.")

    def redirect_url(self, membership: Membership) -> str:
        return reverse("user_detail", args=[membership.user_id])
