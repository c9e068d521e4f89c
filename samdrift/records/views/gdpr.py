"""The GDPR requests' pages: extract, erasure, rectification and restriction."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from samdrift.core.access import access_object
from samdrift.core.actions import do_record_export
from samdrift.core.views import apply_validation_error
from samdrift.records import actions
from samdrift.records.filters import GdprRequestFilter
from samdrift.records.forms import GdprForm, RectifyForm, RestrictForm
from samdrift.records.gdpr import restriction_effects
from samdrift.records.models import GdprRequest
from samdrift.records.tables import GdprRequestTable
from samdrift.records.views.base import RecordsListView, _errors, _require_officer
from samdrift.tenancy.models import Person


class GdprRequestList(RecordsListView):
    model = GdprRequest
    table_class = GdprRequestTable
    filterset_class = GdprRequestFilter
    select_related = ("handler",)
    title = gettext_lazy("GDPR requests")
    template_name = "records/gdpr_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if actions.is_officer(self.request.user):
            context["gdpr_form"] = GdprForm()
        return context


@require_POST
@login_required
def gdpr_create(request: HttpRequest) -> HttpResponse:
    _require_officer(request.user)
    form = GdprForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person and the kind of request."))
        return HttpResponseRedirect(reverse("gdprrequest_list"))
    person = Person.objects.for_user(request.user).filter(pk=form.cleaned_data["person"]).first()
    if person is None:
        messages.error(request, _("There is no such person."))
        return HttpResponseRedirect(reverse("gdprrequest_list"))
    kind = form.cleaned_data["kind"]
    if kind == "rectify":  # the corrected values are given on the person's own page
        return HttpResponseRedirect(reverse("gdpr_rectify", args=[person.pk]))
    if kind == "restrict":
        return HttpResponseRedirect(reverse("gdpr_restrict", args=[person.pk]))
    try:
        if kind == "erase":
            gdpr = actions.do_gdpr_erase(person, actor=request.user)
        else:
            gdpr = actions.do_gdpr_extract(person, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return HttpResponseRedirect(reverse("gdprrequest_list"))
    return HttpResponseRedirect(gdpr.get_absolute_url())


@require_GET
@login_required
def gdpr_detail(request: HttpRequest, pk: int) -> HttpResponse:
    gdpr = access_object(
        GdprRequest, request.user, pk, queryset=GdprRequest.objects.select_related("person", "handler")
    )
    if request.GET.get("format") == "json":
        do_record_export(
            request.user,
            object_type="records.gdprrequest",
            object_id=str(gdpr.pk),
            object_repr=str(gdpr)[:200],
            extra={"format": "json"},
        )
        response = HttpResponse(json.dumps(gdpr.report, ensure_ascii=False, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{JSON_NAMES.get(gdpr.kind, "gdpr")}-{gdpr.pk}.json"'
        return response
    return render(
        request,
        "records/gdpr_detail.html",
        {"object": gdpr, "report": gdpr.report, "can_write": actions.is_officer(request.user)},
    )


gdpr_detail.model = GdprRequest  # type: ignore[attr-defined]

# File names of the JSON download, in Swedish like the documents they are.
JSON_NAMES = {"extract": "registerutdrag", "rectify": "rattelse", "erase": "radering", "restrict": "begransning"}


def _gdpr_person(request: HttpRequest, pk: int) -> Any:
    _require_officer(request.user)
    return access_object(Person, request.user, pk)


def _log_pupil_read(request: HttpRequest, person: Any, purpose: str) -> None:
    """A page that shows a pupil's data is a read of a pupil's data: logged (who, when, whom)."""
    if not person.is_pupil:
        return
    actions.do_log_access(
        request.user,
        content_type=ContentType.objects.get_for_model(person),
        object_id=person.pk,
        object_repr=f"{person.external_id}",
        reason="pupil",
        purpose=purpose,
    )


@require_http_methods(["GET", "POST"])
@login_required
def gdpr_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    """Rectification (art. 16): the stored values, to be corrected, and a note."""
    person = _gdpr_person(request, pk)
    form = RectifyForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            gdpr = actions.do_gdpr_rectify(
                person, form.changes(), form.cleaned_data.get("note", ""), actor=request.user
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("The corrections are made."))
            return HttpResponseRedirect(gdpr.get_absolute_url())
    if request.method == "GET":
        _log_pupil_read(request, person, "gdpr_rectify")
    return render(request, "records/gdpr_rectify.html", {"form": form, "person": person})


gdpr_rectify.model = Person  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
@login_required
def gdpr_restrict(request: HttpRequest, pk: int) -> HttpResponse:
    """Restriction of processing (art. 18): set it with a reason, or lift it."""
    person = _gdpr_person(request, pk)
    step = "lift" if person.processing_restricted else "restrict"
    form = RestrictForm(request.POST or None, initial={"step": step})
    if request.method == "POST" and form.is_valid():
        do = actions.do_gdpr_restrict if form.cleaned_data["step"] == "restrict" else actions.do_gdpr_lift_restriction
        try:
            gdpr = do(person, form.cleaned_data["reason"], actor=request.user)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # restricted or lifted meanwhile: show the page as it is now
                _errors(request, exc)
                return HttpResponseRedirect(request.path)
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("Processing is restricted.")
                if gdpr.report.get("action") == "restrict"
                else _("The restriction is lifted."),
            )
            return HttpResponseRedirect(gdpr.get_absolute_url())
    return render(
        request,
        "records/gdpr_restrict.html",
        {"form": form, "person": person, "step": step, "effects": restriction_effects()},
    )


gdpr_restrict.model = Person  # type: ignore[attr-defined]
