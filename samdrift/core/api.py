"""The base of every API endpoint: scoped querysets, actions for writes, clear JSON errors."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any, ClassVar

from django.db import models
from django.utils.functional import SimpleLazyObject
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from samdrift.core.access import ScopedQuerySet


class SharedChoiceField(serializers.PrimaryKeyRelatedField):
    """A choice among rows shared by every owner (the operator's catalogue of packages and services,
    the service desk's agents): not narrowed to the user's own rows; the action still decides what
    the user may do with it (order it, or have it ignored, as an end user's assignee is)."""


def narrow_fields(fields: Any, user: Any) -> None:
    """Narrow every related field, in nested serializers and lists of them too, to what `user` may
    see; with no user (a serializer made without a request) to nothing: it fails closed."""
    for field in fields.values():
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.BaseSerializer) and hasattr(field, "fields"):
            narrow_fields(field.fields, user)  # a ScopedFieldsMixin child narrows itself: no harm twice
            continue
        target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
        if isinstance(target, SharedChoiceField):
            continue
        qs = getattr(target, "queryset", None)
        if isinstance(qs, models.Manager):  # DRF builds related fields from the default manager
            qs = qs.all()
        if isinstance(target, serializers.RelatedField) and isinstance(qs, ScopedQuerySet):
            # Narrowed when first used (a value to check, choices to list), not for every field of
            # every request: creating a ticket gives one related field of the dozen it has.
            target.queryset = SimpleLazyObject(partial(_narrowed, qs, user))  # type: ignore[misc,assignment,arg-type]


def _narrowed(qs: ScopedQuerySet, user: Any) -> Any:
    return qs.for_user(user) if user is not None else qs.none()


class ScopedFieldsMixin:
    """Related-object fields accept only objects the requesting user may see, in this serializer
    and in every serializer nested in it (an order's items, a move's target person)."""

    @property
    def fields(self) -> Any:
        # DRF's `fields` is a cached_property, which caches by leaving its value in the instance's
        # __dict__; this property shadows it, so the parent's would build every field again on each
        # access (six times per ticket created). Kept here instead.
        fields = self.__dict__.get("_scoped_fields")
        if fields is None:
            fields = super().fields  # type: ignore[misc]
            request = self.context.get("request")  # type: ignore[attr-defined]
            narrow_fields(fields, getattr(request, "user", None))
            self.__dict__["_scoped_fields"] = fields
        return fields


# The fields DRF builds for a model serializer class from its Meta and the model: the same for every
# request, but building them (model introspection, choices, validators) cost more than the rest of
# creating a ticket through the API, on every request. Built once per class; each serializer gets
# its own copies, which the request then narrows (`narrow_fields`) and binds.
_MODEL_FIELDS: dict[type, dict[str, serializers.Field]] = {}


def _copy_field(field: serializers.Field) -> serializers.Field:
    """A fresh, unbound copy of a prototype field that shares nothing the request changes."""
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)  # a nested serializer has fields (and state) of its own
    clone = copy.copy(field)  # attributes only: cheaper than DRF's deepcopy, which calls __init__ again
    if isinstance(field, serializers.ManyRelatedField):
        # Narrowing sets the child's queryset: the copy needs a child of its own (already bound by
        # the prototype's __init__ under the name "": only its parent changes).
        child = copy.copy(field.child_relation)
        setattr(child, "parent", clone)  # noqa: B010
        setattr(clone, "child_relation", child)  # noqa: B010
    return clone


class ScopedSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    """A model serializer whose related fields (and nested serializers') are narrowed to the user.

    The fields the model and Meta give are built once per class (`_MODEL_FIELDS`, by
    `build_model_fields`, which a subclass extends with what depends on neither the request nor the
    instance); a subclass that adapts them to the request or the instance does so in its own
    `get_fields`, on the copies."""

    def build_model_fields(self) -> dict[str, Any]:
        """The fields of this class, the same for every request (never look at the request here)."""
        return serializers.ModelSerializer.get_fields(self)

    def get_fields(self) -> dict[str, Any]:
        prototype = _MODEL_FIELDS.get(type(self))
        if prototype is None:
            prototype = _MODEL_FIELDS[type(self)] = self.build_model_fields()
        return {name: _copy_field(field) for name, field in prototype.items()}


class ScopedInputSerializer(ScopedFieldsMixin, serializers.Serializer):
    """The body of an action (check out, move, an order's items): its related fields narrowed too."""


ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body says which field and why."),
    403: OpenApiResponse(description="Not allowed for your roles."),
    404: OpenApiResponse(description="Not found (or not yours)."),
}


class ScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create, update and (de)activate one model, always through the scoped layer.

    Subclasses set `queryset`, `serializer_class`, `filterset_class` and the actions:
    `create_action(data, *, actor)`, `update_action(obj, data, *, actor)`,
    `active_action(obj, active, *, actor)`.
    """

    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # no DELETE: rows are deactivated
    create_action: ClassVar[Any] = None
    update_action: ClassVar[Any] = None
    active_action: ClassVar[Any] = None
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]

    def perform_create(self, serializer: Any) -> None:
        if self.create_action is None:
            raise exceptions.MethodNotAllowed("POST")
        serializer.instance = type(self).create_action(dict(serializer.validated_data), actor=self.request.user)

    def perform_update(self, serializer: Any) -> None:
        if self.update_action is None:
            raise exceptions.MethodNotAllowed(self.request.method or "PUT")
        serializer.instance = type(self).update_action(
            serializer.instance, dict(serializer.validated_data), actor=self.request.user
        )

    def _set_active(self, request: Request, active: bool) -> Response:
        if self.active_action is None:
            raise exceptions.MethodNotAllowed(request.method or "POST")
        obj = self.get_object()
        obj = type(self).active_action(obj, active, actor=request.user)
        return Response(self.get_serializer(obj).data, status=status.HTTP_200_OK)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        return self._set_active(request, False)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        return self._set_active(request, True)
