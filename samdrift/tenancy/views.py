"""Tenancy pages: a few declarative lines per model on top of the scoped base views."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from samdrift.core.access import access_object, scope_for
from samdrift.core.roles import Role
from samdrift.core.views import (
    ActionFormView,
    HistoryView,
    ScopedDetailView,
    ScopedListView,
    SetActiveView,
    apply_validation_error,
    permission_checks,
)
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

_writer, _creator = permission_checks(may_write)


# --- owners ----------------------------------------------------------------------------------
class OwnerList(ScopedListView):
    model = Owner
    table_class = OwnerTable
    filterset_class = OwnerFilter
    title = gettext_lazy("Owners")
    export_fields = ("name", "municipality_code", "org_number", "population", "population_year", "active")
    create_url_name = "owner_create"
    may_create = _creator("owner")


class OwnerDetail(ScopedDetailView):
    model = Owner
    detail_fields = (
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
    edit_url_name, history_url_name, active_url_name = "owner_edit", "owner_history", "owner_active"
    may_edit = _writer("owner")


class OwnerFormView(ActionFormView):
    model = Owner
    form_class = OwnerForm
    create_action = actions.do_create_owner
    update_action = actions.do_update_owner
    may_write = _writer("owner")
    success_url_name = "owner_detail"


class OwnerActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Owner,
        actions.do_set_owner_active,
        _writer("owner"),
        "owner_detail",
    )


class OwnerHistory(HistoryView):
    model = Owner


# --- org units -------------------------------------------------------------------------------
class OrgUnitList(ScopedListView):
    model = OrgUnit
    table_class = OrgUnitTable
    filterset_class = OrgUnitFilter
    select_related = ("owner", "parent")
    title = gettext_lazy("Org units")
    export_fields = ("owner__name", "code", "name", "kind", "parent__code", "active")
    create_url_name = "orgunit_create"
    may_create = _creator("orgunit")


class OrgUnitDetail(ScopedDetailView):
    model = OrgUnit
    detail_fields = ("owner", "parent", "code", "name", "kind", "active")
    edit_url_name, history_url_name, active_url_name = "orgunit_edit", "orgunit_history", "orgunit_active"
    may_edit = _writer("orgunit")


class OrgUnitFormView(ActionFormView):
    model = OrgUnit
    create_action = actions.do_create_org_unit
    update_action = actions.do_update_org_unit
    may_write = _writer("orgunit")
    success_url_name = "orgunit_detail"

    def get_form_class(self) -> Any:
        return OrgUnitEditForm if self.object else OrgUnitForm


class OrgUnitActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        OrgUnit,
        actions.do_set_org_unit_active,
        _writer("orgunit"),
        "orgunit_detail",
    )


class OrgUnitHistory(HistoryView):
    model = OrgUnit


# --- cost centres ----------------------------------------------------------------------------
class CostCentreList(ScopedListView):
    model = CostCentre
    table_class = CostCentreTable
    filterset_class = CostCentreFilter
    select_related = ("owner",)
    title = gettext_lazy("Cost centres")
    export_fields = ("owner__name", "code", "name", "invoice_reference", "org_unit__code", "active")
    create_url_name = "costcentre_create"
    may_create = _creator("costcentre")


class CostCentreDetail(ScopedDetailView):
    model = CostCentre
    detail_fields = ("owner", "code", "name", "invoice_reference", "org_unit", "active")
    edit_url_name, history_url_name, active_url_name = "costcentre_edit", "costcentre_history", "costcentre_active"
    may_edit = _writer("costcentre")


class CostCentreFormView(ActionFormView):
    model = CostCentre
    create_action = actions.do_create_cost_centre
    update_action = actions.do_update_cost_centre
    may_write = _writer("costcentre")
    success_url_name = "costcentre_detail"

    def get_form_class(self) -> Any:
        return CostCentreEditForm if self.object else CostCentreForm


class CostCentreActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        CostCentre,
        actions.do_set_cost_centre_active,
        _writer("costcentre"),
        "costcentre_detail",
    )


class CostCentreHistory(HistoryView):
    model = CostCentre


# --- people ----------------------------------------------------------------------------------
class PersonList(ScopedListView):
    model = Person
    table_class = PersonTable
    filterset_class = PersonFilter
    select_related = ("owner", "org_unit")
    title = gettext_lazy("People")
    export_fields = (
        "owner__name",
        "external_id",
        "kind",
        "first_name",
        "last_name",
        "email",
        "org_unit__code",
        "active",
    )
    create_url_name = "person_create"
    may_create = _creator("person")


class PersonDetail(ScopedDetailView):
    model = Person
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
    edit_url_name, history_url_name, active_url_name = "person_edit", "person_history", "person_active"
    may_edit = _writer("person")
    template_name = "tenancy/person_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The records officer starts a rectification or a restriction (GDPR) from here too.
        context["gdpr_officer"] = scope_for(self.request.user).has_operator_role({Role.RECORDS_OFFICER})
        return context


class PersonFormView(ActionFormView):
    model = Person
    create_action = actions.do_create_person
    update_action = actions.do_update_person
    may_write = _writer("person")
    success_url_name = "person_detail"

    def get_form_class(self) -> Any:
        return PersonEditForm if self.object else PersonForm


class PersonActive(SetActiveView):
    model, active_action, may_write, success_url_name = (
        Person,
        actions.do_set_person_active,
        _writer("person"),
        "person_detail",
    )


class PersonHistory(HistoryView):
    model = Person


# --- users -----------------------------------------------------------------------------------
class UserList(ScopedListView):
    model = User
    table_class = UserTable
    filterset_class = UserFilter
    title = gettext_lazy("Users")
    export_fields = ("username", "first_name", "last_name", "email", "is_active")
    create_url_name = "user_create"
    may_create = _creator("user")


class UserDetail(ScopedDetailView):
    model = User
    template_name = "tenancy/user_detail.html"
    detail_fields = ("username", "first_name", "last_name", "email", "language", "person", "is_active")
    edit_url_name, history_url_name = "user_edit", "user_history"
    may_edit = _writer("user")

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


class UserFormView(ActionFormView):
    model = User
    form_class = UserForm
    create_action = actions.do_create_user
    update_action = actions.do_update_user
    may_write = _writer("user")
    success_url_name = "user_detail"


class UserHistory(HistoryView):
    model = User


@require_POST
def grant_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = access_object(User, request.user, pk)
    if not may_write(request.user, "membership"):
        raise PermissionDenied
    form = RoleGrantForm(request.POST)
    form.fields["owner"].queryset = Owner.objects.for_user(request.user)  # type: ignore[attr-defined]
    if form.is_valid():
        try:
            actions.do_grant_role(user, form.cleaned_data["role"], form.cleaned_data["owner"], actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if form.errors:
        return render(request, "core/form.html", {"form": form, "title": _("Grant role")}, status=400)
    messages.success(request, _("The role was granted."))
    return HttpResponseRedirect(reverse("user_detail", args=[user.pk]))


grant_role.model = User  # type: ignore[attr-defined]  # the object behind <pk>, for the isolation test


@require_POST
def revoke_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = access_object(Membership, request.user, pk)
    if not may_write(request.user, "membership"):
        raise PermissionDenied
    try:
        actions.do_revoke_role(membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The role was revoked."))
    return HttpResponseRedirect(reverse("user_detail", args=[membership.user_id]))


revoke_role.model = Membership  # type: ignore[attr-defined]
