"""The operator (the shared company itself): one settings page and one API resource."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from samdrift.core.access import scope_for
from samdrift.core.api import ERRORS
from samdrift.core.views import apply_validation_error
from samdrift.tenancy import actions
from samdrift.tenancy.forms import OperatorForm
from samdrift.tenancy.models import Operator
from samdrift.tenancy.permissions import may_write
from samdrift.tenancy.serializers import OperatorSerializer


def _may_view(user: Any) -> bool:
    return scope_for(user).is_operator


@login_required
def operator_detail(request: HttpRequest) -> HttpResponse:
    if not _may_view(request.user):
        raise PermissionDenied
    operator = Operator.objects.filter(pk=1).first()
    fields: list[str] = list(OperatorForm.Meta.fields)
    rows = [(Operator._meta.get_field(f).verbose_name, getattr(operator, f, "")) for f in fields] if operator else []  # type: ignore[union-attr]
    context = {
        "object": operator,
        "title": operator.name if operator else _("Operator"),
        "rows": rows,
        "edit_url": reverse("operator_edit") if may_write(request.user, "operator") else None,
    }
    return render(request, "core/detail.html", context)


@login_required
def operator_edit(request: HttpRequest) -> HttpResponse:
    if not may_write(request.user, "operator"):
        raise PermissionDenied
    operator = Operator.objects.filter(pk=1).first()
    form = OperatorForm(request.POST or None, instance=operator, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_operator(dict(form.cleaned_data), actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(reverse("operator_detail"))
    return render(request, "core/form.html", {"form": form, "title": _("Edit operator")})


class OperatorAPIView(APIView):
    """The operator's details; administrators may change them."""

    @extend_schema(responses={200: OperatorSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        if not _may_view(request.user):
            raise exceptions.PermissionDenied()
        operator = Operator.objects.filter(pk=1).first()
        if operator is None:
            raise exceptions.NotFound()
        return Response(OperatorSerializer(operator).data)

    @extend_schema(request=OperatorSerializer, responses={200: OperatorSerializer, **ERRORS})
    def put(self, request: Request) -> Response:
        if not may_write(request.user, "operator"):
            raise exceptions.PermissionDenied()
        serializer = OperatorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        operator = actions.do_save_operator(dict(serializer.validated_data), actor=request.user)
        return Response(OperatorSerializer(operator).data)
