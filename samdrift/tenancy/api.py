from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.core import parsers as nul_free
from samdrift.core.access import access_object
from samdrift.core.api import ERRORS, ScopedViewSet
from samdrift.tenancy import actions, imports
from samdrift.tenancy.filters import (
    CostCentreFilter,
    OrgUnitFilter,
    OwnerFilter,
    PersonFilter,
    UserFilter,
)
from samdrift.tenancy.models import CostCentre, ImportBatch, ImportKind, Membership, OrgUnit, Owner, Person, User
from samdrift.tenancy.permissions import may_write
from samdrift.tenancy.serializers import (
    CostCentreSerializer,
    MembershipSerializer,
    OrgUnitSerializer,
    OwnerSerializer,
    PersonSerializer,
    RoleGrantSerializer,
    UserSerializer,
)


class OwnerViewSet(ScopedViewSet):
    queryset = Owner.objects.all()
    serializer_class = OwnerSerializer
    filterset_class = OwnerFilter
    create_action = actions.do_create_owner
    update_action = actions.do_update_owner
    active_action = actions.do_set_owner_active


class OrgUnitViewSet(ScopedViewSet):
    queryset = OrgUnit.objects.all()
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter
    create_action = actions.do_create_org_unit
    update_action = actions.do_update_org_unit
    active_action = actions.do_set_org_unit_active


class CostCentreViewSet(ScopedViewSet):
    queryset = CostCentre.objects.all()
    serializer_class = CostCentreSerializer
    filterset_class = CostCentreFilter
    create_action = actions.do_create_cost_centre
    update_action = actions.do_update_cost_centre
    active_action = actions.do_set_cost_centre_active


class PersonViewSet(ScopedViewSet):
    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    create_action = actions.do_create_person
    update_action = actions.do_update_person
    active_action = actions.do_set_person_active


class UserViewSet(ScopedViewSet):
    queryset = User.objects.all()
    serializer_class = UserSerializer
    filterset_class = UserFilter
    create_action = actions.do_create_user
    update_action = actions.do_update_user
    active_action = actions.do_set_user_active

    def get_queryset(self) -> QuerySet[User]:
        return User.objects.for_user(self.request.user).prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.order_by("id"))
        )

    @extend_schema(request=RoleGrantSerializer, responses={200: MembershipSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="grant-role")
    def grant_role(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        serializer = RoleGrantSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        owner = serializer.validated_data.get("owner")
        membership = actions.do_grant_role(user, serializer.validated_data["role"], owner, actor=request.user)
        return Response(MembershipSerializer(membership).data)


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    """Role memberships; granting goes through /users/{id}/grant-role/, revoking through /revoke/."""

    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    filterset_fields = ["user", "owner", "role", "active"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return Membership.objects.for_user(self.request.user)

    @extend_schema(request=None, responses={200: MembershipSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        membership = access_object(Membership, request.user, pk)
        if membership is None:  # pragma: no cover
            raise exceptions.NotFound()
        membership = actions.do_revoke_role(membership, actor=request.user)
        return Response(MembershipSerializer(membership).data)


# --- imports ---------------------------------------------------------------------------------


class MayImport(permissions.BasePermission):
    """Only those who may import see batches at all (403 for others, before any lookup)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_write(request.user, "import")


class ImportBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "kind",
            "original_filename",
            "size",
            "status",
            "created",
            "created_by",
            "checked_at",
            "committed_at",
            "committed_by",
            "row_count",
            "create_count",
            "update_count",
            "unchanged_count",
            "error_count",
        ]
        read_only_fields = fields


class ImportBatchDetailSerializer(ImportBatchSerializer):
    report = serializers.JSONField(
        read_only=True,
        help_text="The dry-run report: file_errors, notes, counts and rows "
        "(row, key, action create/update/unchanged/error, changes {field: [before, after]}, errors, warnings).",
    )

    class Meta(ImportBatchSerializer.Meta):
        fields = [*ImportBatchSerializer.Meta.fields, "report"]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(allow_empty_file=True, help_text="CSV (; or , separated) or XLSX.")


class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Import files of org units, cost centres or people: upload (runs the dry run), read, commit."""

    queryset = ImportBatch.objects.all()
    serializer_class = ImportBatchSerializer
    permission_classes = [permissions.IsAuthenticated, MayImport]
    parser_classes = [nul_free.MultiPartParser, nul_free.FormParser]
    filterset_fields = ["kind", "status"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return ImportBatch.objects.for_user(self.request.user)

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return ImportBatchSerializer
        return ImportBatchDetailSerializer

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportBatchDetailSerializer, **ERRORS},
        description="Upload a file and run the dry run. Nothing but the file and its report is stored; "
        "a file that cannot be read at all is refused with 400 and not stored.",
    )
    def create(self, request: Request) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        batch = imports.do_upload_import(
            upload.validated_data["kind"], upload.validated_data["file"], actor=request.user
        )
        imports.check_import(batch, actor=request.user)
        return Response(ImportBatchDetailSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ImportBatchDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="check")
    def recheck(self, request: Request, pk: str | None = None) -> Response:
        """Run the dry run again, e.g. after fixing data the file refers to."""
        batch = self.get_object()
        imports.check_import(batch, actor=request.user)
        return Response(ImportBatchDetailSerializer(batch).data)

    @extend_schema(
        request=None,
        responses={200: ImportBatchDetailSerializer, **ERRORS},
        description="Import a batch whose dry run found no errors: every row is written, or none. "
        "400 if the rows fail again or the data changed since the dry run; the batch then holds the new report.",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        batch = imports.do_commit_import(self.get_object(), actor=request.user)
        return Response(ImportBatchDetailSerializer(batch).data)
