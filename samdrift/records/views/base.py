"""What every records page shares: who may read, who may write, and the records list base."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from samdrift.core.actionviews import ObjectActionView
from samdrift.core.views import ScopedListView
from samdrift.records import actions


def _require_read(user: Any) -> None:
    if not actions.may_read(user):
        raise PermissionDenied


def _require_officer(user: Any) -> None:
    if not actions.is_officer(user):
        raise PermissionDenied


class OfficerActionView(ObjectActionView):
    """POST one records action on one object: records officers (and administrators) only."""

    def allowed(self, user: Any, obj: Any) -> bool:
        return bool(actions.is_officer(user))


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


class RecordsListView(ScopedListView):
    """A records list: readable by records officers and admins only (403 for everyone else)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            _require_read(request.user)
        return super().dispatch(request, *args, **kwargs)
