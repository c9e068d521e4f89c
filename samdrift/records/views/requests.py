"""Public access requests' pages: search, add items, decide, mark secret, release the package."""

from __future__ import annotations

from html import escape
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # public, not in the stubs
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from samdrift.core.access import access_object
from samdrift.core.views import apply_validation_error
from samdrift.records import actions, package, sources
from samdrift.records.calendar import deadline_flag
from samdrift.records.filters import AccessRequestFilter
from samdrift.records.forms import DecisionForm, MarkForm, RequestForm, SearchForm
from samdrift.records.models import AccessRequest, RequestItem, RequestStatus, SecrecyMarking
from samdrift.records.tables import AccessRequestTable
from samdrift.records.views.base import OfficerActionView, RecordsListView, _errors, _require_officer


class AccessRequestList(RecordsListView):
    model = AccessRequest
    table_class = AccessRequestTable
    filterset_class = AccessRequestFilter
    export_fields = ("reference", "received", "requester_name", "description", "status", "decided_at")
    title = gettext_lazy("Public access requests")
    create_url_name = "accessrequest_create"
    may_create = staticmethod(actions.is_officer)  # type: ignore[assignment]


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    _require_officer(request.user)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_request = actions.do_register_request(dict(form.cleaned_data), actor=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Registered as %(number)s.") % {"number": access_request.reference})
            return HttpResponseRedirect(access_request.get_absolute_url())
    return render(request, "core/form.html", {"form": form, "title": _("Register a request for official records")})


def _search(access_request: AccessRequest, form: SearchForm) -> list[sources.Hit]:
    if not form.is_bound or not form.is_valid() or not form.cleaned_data.get("q"):
        return []
    kinds = form.cleaned_data.get("kinds") or list(sources.SOURCES)
    hits: list[sources.Hit] = []
    for label in kinds:
        source = sources.source_for(label)
        if source is not None:
            hits += source.search(
                form.cleaned_data["q"], form.cleaned_data.get("date_from"), form.cleaned_data.get("date_to")
            )
    return hits


def _hit_rows(hits: list[sources.Hit]) -> SafeString:
    """The search's rows in one pass: a search over every source finds up to 200 records of each
    kind, and the template loop was most of such a page's server time (bench/http_pages.py).
    Each text is escaped as Django escapes (`html.escape`, which `django.utils.html.escape` wraps)."""
    add, marked = escape(_("Add")), '<span class="badge text-bg-dark">' + escape(_("Has secrecy marking")) + "</span>"
    rows = []
    for n, hit in enumerate(hits, start=1):
        when = template_localtime(hit.when)
        day = f"{when.year:04d}-{when.month:02d}-{when.day:02d}" if when else ""  # the date filter's "Y-m-d"
        identifier = escape(hit.identifier)
        rows.append(
            "<tr>\n"
            f'<td><input class="form-check-input" type="checkbox" name="record"'
            f' value="{escape(hit.label)}:{escape(hit.object_id)}" id="hit-{n}" aria-label="{add} {identifier}" checked>'
            f'</td>\n<td><label for="hit-{n}">{identifier}</label></td>\n<td>{escape(hit.title)}</td>\n'
            f"<td>{day}</td>\n<td>{marked if hit.marked else ''}</td>\n</tr>"
        )
    return mark_safe("\n".join(rows))  # every value above is escaped


@require_GET
@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    items = list(
        access_request.items.select_related("content_type").prefetch_related("grounds").order_by("added", "id")
    )
    searching = "q" in request.GET
    initial = {"date_from": access_request.search_from, "date_to": access_request.search_to}
    form = SearchForm(request.GET if searching else None, initial=initial)
    hits = _search(access_request, form)
    added = {(i.content_type.app_label + "." + i.content_type.model, i.object_id) for i in items}
    hits_html = _hit_rows(hits)
    return render(
        request,
        "records/request_detail.html",
        {
            "object": access_request,
            "items": items,
            "search_form": form,
            "hits": hits,
            "hits_html": hits_html,
            "searching": searching,
            "added": added,
            "flag": deadline_flag(access_request.received, open_=access_request.status == RequestStatus.OPEN),
            "is_open": access_request.status == RequestStatus.OPEN,
            "can_write": actions.is_officer(request.user),
            "all_decided": bool(items) and all(i.decision != "pending" for i in items),
            "sources": sources.SOURCES,
        },
    )


request_detail.model = AccessRequest  # type: ignore[attr-defined]


class RequestAdd(OfficerActionView):
    """Add the records ticked among the search's hits; each one refused says why."""

    model = AccessRequest

    def perform(self, access_request: AccessRequest, data: dict[str, Any]) -> Any:
        added = 0
        for value in self.request.POST.getlist("record"):
            label, _sep, object_id = value.partition(":")
            try:
                actions.do_add_request_item(access_request, label, object_id, actor=self.request.user)
            except ValidationError as exc:
                _errors(self.request, exc)
            else:
                added += 1
        return _("%(count)s records added.") % {"count": added} if added else None


class RequestDecide(OfficerActionView):
    model = AccessRequest

    def perform(self, access_request: AccessRequest, data: dict[str, Any]) -> str:
        actions.do_decide_request(access_request, actor=self.request.user)
        return _("The decision is made.")


class RequestWithdraw(OfficerActionView):
    model = AccessRequest

    def perform(self, access_request: AccessRequest, data: dict[str, Any]) -> str:
        actions.do_withdraw_request(access_request, actor=self.request.user)
        return _("The request is withdrawn.")


def _package_ready(request: HttpRequest, access_request: AccessRequest) -> bool:
    if not access_request.items.exclude(decision="pending").exists():
        messages.error(request, _("Decide on the records first."))
        return False
    return True


@require_GET
@login_required
def request_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    _require_officer(request.user)
    if not _package_ready(request, access_request):
        return HttpResponseRedirect(access_request.get_absolute_url())
    content = package.release_pdf(access_request)
    actions.record_release_download(access_request, "pdf", actor=request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{package._safe(access_request.reference)}.pdf"'
    return response


request_pdf.model = AccessRequest  # type: ignore[attr-defined]


@require_GET
@login_required
def request_zip(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = access_object(AccessRequest, request.user, pk)
    _require_officer(request.user)
    if not _package_ready(request, access_request):
        return HttpResponseRedirect(access_request.get_absolute_url())
    content = package.release_zip(access_request)
    actions.record_release_download(access_request, "zip", actor=request.user)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package._safe(access_request.reference)}.zip"'
    return response


request_zip.model = AccessRequest  # type: ignore[attr-defined]


@require_GET
@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One requested record as the records officer assesses it: every part, the marked ones
    highlighted with their ground. The read is logged when anything in it is marked."""
    item = access_object(
        RequestItem, request.user, pk, queryset=RequestItem.objects.select_related("request", "content_type")
    )
    rendered = actions.rendered_item(item)
    if rendered is not None:
        source = sources.source_for_ct(item.content_type)
        obj = source.get(item.object_id) if source else None
        if obj is not None:
            actions.log_read(request.user, item.content_type, obj, rendered, "request_item")
    markings = SecrecyMarking.objects.filter(
        content_type=item.content_type, object_id=item.object_id, lifted_at__isnull=True
    ).select_related("ground", "set_by")
    return render(
        request,
        "records/item_detail.html",
        {
            "object": item,
            "rendered": rendered,
            "markings": markings,
            "decision_form": DecisionForm(initial={"decision": item.decision if item.decision != "pending" else None}),
            "mark_form": MarkForm(),
            "is_open": item.request.status == RequestStatus.OPEN,
            "can_write": actions.is_officer(request.user),
        },
    )


item_detail.model = RequestItem  # type: ignore[attr-defined]


class ItemDecide(OfficerActionView):
    """Decide on one requested record: back to the request when done, to the record when not."""

    model = RequestItem
    form_class = DecisionForm
    invalid_message = gettext_lazy("Choose a decision.")

    def get_object(self, pk: Any) -> Any:
        return access_object(RequestItem, self.request.user, pk, queryset=RequestItem.objects.select_related("request"))

    def perform(self, item: RequestItem, data: dict[str, Any]) -> Any:
        actions.do_decide_item(
            item, data["decision"], actor=self.request.user, grounds=list(data["grounds"]), reason=data["reason"]
        )
        messages.success(self.request, _("Decided: %(record)s.") % {"record": item.label})
        return HttpResponseRedirect(item.request.get_absolute_url())

    def redirect_url(self, item: RequestItem) -> str:
        return reverse("requestitem_detail", args=[item.pk])


class ItemRemove(OfficerActionView):
    model = RequestItem

    def get_object(self, pk: Any) -> Any:
        return access_object(RequestItem, self.request.user, pk, queryset=RequestItem.objects.select_related("request"))

    def perform(self, item: RequestItem, data: dict[str, Any]) -> str:
        actions.do_remove_request_item(item, actor=self.request.user)
        return _("The record is removed from the request.")

    def redirect_url(self, item: RequestItem) -> str:
        return str(item.request.get_absolute_url())


class ItemMark(OfficerActionView):
    """Mark a part of the requested record (or the whole record) as secret."""

    model = RequestItem
    form_class = MarkForm
    invalid_message = gettext_lazy("Choose a ground.")

    def get_object(self, pk: Any) -> Any:
        return access_object(
            RequestItem, self.request.user, pk, queryset=RequestItem.objects.select_related("content_type")
        )

    def perform(self, item: RequestItem, data: dict[str, Any]) -> str:
        actions.do_mark_secret(
            item.content_type,
            item.object_id,
            data["ground"],
            actor=self.request.user,
            field_name=data["field_name"],
            note=data["note"],
        )
        return _("Marked.")

    def redirect_url(self, item: RequestItem) -> str:
        return reverse("requestitem_detail", args=[item.pk])


class MarkingLift(OfficerActionView):
    """Lift a secrecy marking; back to the records page it was lifted from, else to the plan."""

    model = SecrecyMarking

    def perform(self, marking: SecrecyMarking, data: dict[str, Any]) -> str:
        actions.do_lift_marking(marking, actor=self.request.user)
        return _("The marking is lifted.")

    def redirect_url(self, marking: SecrecyMarking) -> str:
        target = str(self.request.POST.get("next") or "")
        return target if target.startswith("/records/") else reverse("records_plan")
