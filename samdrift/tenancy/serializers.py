from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from samdrift.core.api import ScopedInputSerializer, ScopedSerializer
from samdrift.core.roles import Role
from samdrift.tenancy.models import CostCentre, Membership, Operator, OrgUnit, Owner, Person, User


class OperatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Operator
        fields = [
            "name",
            "org_number",
            "vat_number",
            "bankgiro",
            "peppol_id",
            "street",
            "postcode",
            "city",
            "email",
            "is_fictitious",
        ]


class OwnerSerializer(ScopedSerializer):
    class Meta:
        model = Owner
        fields = [
            "id",
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
        ]
        read_only_fields = ["active"]


class OrgUnitSerializer(ScopedSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "owner", "parent", "code", "name", "kind", "active"]
        read_only_fields = ["active"]


class CostCentreSerializer(ScopedSerializer):
    class Meta:
        model = CostCentre
        fields = ["id", "owner", "code", "name", "invoice_reference", "org_unit", "active"]
        read_only_fields = ["active"]


class PersonSerializer(ScopedSerializer):
    class Meta:
        model = Person
        fields = [
            "id",
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
            "processing_restricted",
            "processing_restricted_since",
        ]
        # The restriction (GDPR art. 18) is set and lifted by the records officer's GDPR requests.
        read_only_fields = ["active", "processing_restricted", "processing_restricted_since"]


class MembershipSerializer(ScopedSerializer):
    class Meta:
        model = Membership
        fields = ["id", "user", "owner", "role", "active"]
        read_only_fields = ["active"]


class UserSerializer(ScopedSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "language", "person", "is_active", "roles"]
        read_only_fields = ["is_active", "roles"]

    @extend_schema_field(
        inline_serializer(
            "RoleHeld", {"role": serializers.CharField(), "owner": serializers.IntegerField(allow_null=True)}, many=True
        )
    )
    def get_roles(self, user: User) -> list[dict[str, object]]:
        return [{"role": m.role, "owner": m.owner_id} for m in user.memberships.all() if m.active]


class RoleGrantSerializer(ScopedInputSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=Owner.objects.all(), required=False, allow_null=True)
