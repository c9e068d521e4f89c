"""One view for "POST one action on one object" (issue 12).

About 110 function views repeated the same five steps: fetch the object through the scope, check that
this user may do this to it, run the `do_*` action, say what happened, go back to the object. Each
is now a short subclass that names the model, who may, and what to do:

    class OrderCancel(ObjectActionView):
        model = Order
        form_class = ReasonForm  # optional: the POST is checked by a form first

        def allowed(self, user, order):
            return actions.cancel_role(order, user) is not None

        def perform(self, order, data):
            actions.do_cancel_order(order, actor=self.request.user, reason=data.get("reason", ""))
            return _("The order has been cancelled.")

Another owner's object answers 404, as everywhere (`access_object`); a user who sees it but may not do
this gets 403; a refused action (ValidationError) or an invalid form changes nothing and comes back as
an error message on the object's page. The class's `model` is what the isolation test reads to try
another owner's ids on the route.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views import View

from samdrift.core.access import access_object


class ObjectActionView(LoginRequiredMixin, View):
    """POST one action on one object; subclasses say which model, who may, and what to do."""

    model: ClassVar[type[models.Model]]
    form_class: ClassVar[type[forms.Form] | None] = None
    # What to say when the form is invalid; None lists each field's errors with its label.
    invalid_message: ClassVar[Any] = None
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]
    request: HttpRequest

    def get_object(self, pk: Any) -> Any:
        return access_object(self.model, self.request.user, pk)

    def allowed(self, user: Any, obj: Any) -> bool:
        """May this user do this to this object (they can already see it)? Override; no by default."""
        return False

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {}

    def perform(self, obj: Any, data: dict[str, Any]) -> Any:
        """Run the action; return what to tell the user (or a response to send instead)."""
        raise NotImplementedError

    def redirect_url(self, obj: Any) -> str:
        return str(obj.get_absolute_url())

    def form_invalid(self, form: forms.Form, obj: Any) -> HttpResponse:
        """Nothing was done: say why (the class's `invalid_message`, or each field's errors)."""
        if self.invalid_message is not None:
            messages.error(self.request, str(self.invalid_message))
        else:
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else None
                for error in errors:
                    messages.error(self.request, f"{label}: {error}" if label else str(error))
        return HttpResponseRedirect(self.redirect_url(obj))

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = self.get_object(pk)
        if not self.allowed(request.user, obj):
            raise PermissionDenied
        data: dict[str, Any] = {}
        if self.form_class is not None:
            form = self.form_class(request.POST, request.FILES or None, **self.form_kwargs(obj))
            if not form.is_valid():
                return self.form_invalid(form, obj)
            data = form.cleaned_data
        try:
            done = self.perform(obj, data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if isinstance(done, HttpResponse):
                return done
            if done:
                messages.success(request, str(done))
        return HttpResponseRedirect(self.redirect_url(obj))
