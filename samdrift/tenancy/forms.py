from django import forms
from django.utils.translation import gettext_lazy as _

from samdrift.core.pickers import SearchPicker
from samdrift.core.roles import Role
from samdrift.core.views import ScopedModelForm
from samdrift.tenancy.models import CostCentre, Operator, OrgUnit, Owner, Person, User


class OperatorForm(ScopedModelForm):
    class Meta:
        model = Operator
        fields = ["name", "org_number", "vat_number", "bankgiro", "peppol_id", "street", "postcode", "city", "email"]


class OwnerForm(ScopedModelForm):
    class Meta:
        model = Owner
        fields = [
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
        ]


class OrgUnitForm(ScopedModelForm):
    class Meta:
        model = OrgUnit
        fields = ["owner", "parent", "code", "name", "kind"]


class OrgUnitEditForm(OrgUnitForm):
    class Meta(OrgUnitForm.Meta):
        fields = ["parent", "code", "name", "kind"]


class CostCentreForm(ScopedModelForm):
    class Meta:
        model = CostCentre
        fields = ["owner", "code", "name", "invoice_reference", "org_unit"]


class CostCentreEditForm(CostCentreForm):
    class Meta(CostCentreForm.Meta):
        fields = ["code", "name", "invoice_reference", "org_unit"]


class PersonForm(ScopedModelForm):
    class Meta:
        model = Person
        fields = [
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
        ]


class PersonEditForm(PersonForm):
    class Meta(PersonForm.Meta):
        fields = [
            "kind",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "external_id",
            "org_unit",
            "cost_centre",
        ]


class UserForm(ScopedModelForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "language", "person"]
        widgets = {"person": SearchPicker("person")}  # an owner has thousands of people


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Owner.objects.all(), required=False)
