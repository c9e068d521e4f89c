"""API for the directory configuration (administrators only): identity providers and role mappings."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import BasePermission

from samdrift.core.api import ScopedSerializer, ScopedViewSet
from samdrift.identity import actions
from samdrift.identity.models import IdentityProvider, RoleMapping
from samdrift.identity.views import is_admin


class AdminOnly(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and is_admin(request.user))


class IdentityProviderSerializer(ScopedSerializer):
    client_secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=191)

    class Meta:
        model = IdentityProvider
        fields = [
            "id", "owner", "slug", "name", "protocol", "domains", "server_url", "client_id", "client_secret",
            "saml_metadata_url", "saml_entity_id", "saml_sso_url", "saml_x509cert",
            "email_claim", "employee_number_claim", "groups_claim", "active",
        ]  # fmt: skip
        read_only_fields = ["active"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in ("owner", "slug"):
                fields[name].read_only = True
        return fields


class RoleMappingSerializer(ScopedSerializer):
    class Meta:
        model = RoleMapping
        fields = ["id", "owner", "group", "role", "active"]
        read_only_fields = ["active"]


class IdentityProviderViewSet(ScopedViewSet):
    queryset = IdentityProvider.objects.select_related("owner").order_by("id")
    serializer_class = IdentityProviderSerializer
    permission_classes = [AdminOnly]
    filterset_fields = ["owner", "protocol", "active"]
    create_action = actions.do_create_identity_provider
    update_action = actions.do_update_identity_provider
    active_action = actions.do_set_identity_provider_active


class RoleMappingViewSet(ScopedViewSet):
    queryset = RoleMapping.objects.select_related("owner").order_by("id")
    serializer_class = RoleMappingSerializer
    permission_classes = [AdminOnly]
    http_method_names = ["get", "post", "head", "options"]  # a mapping is created or (de)activated, not edited
    filterset_fields = ["owner", "role", "active"]
    create_action = actions.do_create_role_mapping
    active_action = actions.do_set_role_mapping_active


def register(router: Any) -> None:
    router.register("identity/providers", IdentityProviderViewSet)
    router.register("identity/role-mappings", RoleMappingViewSet)
