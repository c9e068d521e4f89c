"""Base views. Every UI view of owner data derives from these, so scoping is mechanical:
lists use `for_user`, detail and edit views fetch through `access_object` (404 for missing and
forbidden alike), writes call an action and never save a model themselves."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.rows import BoundRows

from samdrift.core import exports
from samdrift.core.access import ScopedQuerySet, access_object
from samdrift.core.actions import do_record_export, do_start_export
from samdrift.core.formats import format_number
from samdrift.core.forms import bootstrapify
from samdrift.core.jobs import progress_context
from samdrift.core.labels import labels_of
from samdrift.core.models import AuditEvent, ExportJob, ExportStatus
from samdrift.core.paging import CURSOR_PARAM, seek_page


class ScopedModelForm(forms.ModelForm):
    """A model form whose related-object choices are limited to what the user may see."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                qs = field.queryset
                if isinstance(qs, ScopedQuerySet):
                    field.queryset = qs.for_user(user)
        bootstrapify(self, mark_errors=False)  # validating here would run before a subclass narrows its fields

    def full_clean(self) -> None:
        super().full_clean()
        bootstrapify(self)

    def _post_clean(self) -> None:
        # Model validation runs in the action; the form only parses and checks its fields.
        pass


class ScopedListView(LoginRequiredMixin, SingleTableMixin, FilterView):
    """A filterable, sortable, paged list; `?export=csv` or `?export=xlsx` downloads it (audited).

    Pages are found by keyset ("seek") pagination (`samdrift.core.paging`): Previous and Next carry
    a cursor, every page costs one indexed query of `paginate_by + 1` rows and nothing counts the
    whole list, so the query count is the same on every page and the deep pages of a million-row
    list are as fast as the first.
    """

    template_name = "core/list.html"
    paginate_by = 50
    select_related: ClassVar[tuple[str, ...]] = ()
    export_fields: ClassVar[tuple[str, ...]] = ()
    create_url_name: ClassVar[str | None] = None
    may_create: ClassVar[Callable[[Any], bool] | None] = None
    title: ClassVar[Any] = ""

    def get_queryset(self) -> Any:
        qs = self.model.objects.for_user(self.request.user)  # type: ignore[union-attr]
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs

    def get_paginate_by(self, queryset: Any) -> int | None:
        # The table pages itself (get_table); Django's list pagination would run the page query
        # a second time.
        return None

    def get_table(self, **kwargs: Any) -> Any:
        table = self.get_table_class()(data=self.get_table_data(), **kwargs)
        if not table.empty_text:
            # An empty table says so, and whether the filters are the reason.
            table.empty_text = (
                _("Nothing matches the filters.") if self.request.GET else _("There is nothing here yet.")
            )
        RequestConfig(self.request, paginate=False).configure(table)  # applies ?sort=
        page = seek_page(
            table.data.data, self.request.GET.get(CURSOR_PARAM), self.paginate_by, sort_matches=self.is_search()
        )
        page.object_list = BoundRows(page.object_list, table)
        table.page = page
        return table

    def is_search(self) -> bool:
        """A free-text search (`q`) is active: its matches are sorted, not found by walking an index."""
        filterset = getattr(self, "filterset", None)
        return bool(filterset is not None and filterset.is_valid() and filterset.form.cleaned_data.get("q"))

    def owner_dependent_fields(self, filterset: Any) -> list[Any]:
        """On an htmx update after the owner filter changed, the filter fields whose options depend
        on the owner (org units), re-rendered out of band so that they offer that owner's units."""
        htmx = getattr(self.request, "htmx", None)
        if filterset is None or not htmx or not htmx.current_url:
            return []
        before = parse_qs(urlsplit(htmx.current_url).query).get("owner", [""])[0]
        if before == self.request.GET.get("owner", ""):
            return []
        return [field for field in filterset.form if getattr(field.field, "depends_on_owner", False)]

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["core/_table.html"]
        return [self.template_name]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = request.GET.get("export")
        if fmt in {"csv", "xlsx"} and self.export_fields:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def export(self, fmt: str) -> HttpResponse:
        """The list as a file; one larger than SAMDRIFT_EXPORT_MAX_ROWS runs as a job instead."""
        query = exports.query_of(self)
        if exports.is_large(query):
            try:
                params = {key: self.request.GET.getlist(key) for key in self.request.GET if key != CURSOR_PARAM}
                route = self.request.resolver_match.view_name  # type: ignore[union-attr]
                job = do_start_export(route, params, fmt, self.get_title(), actor=self.request.user)
            except ValidationError as exc:
                messages.error(self.request, " ".join(exc.messages))
                return HttpResponseRedirect(self.request.path)
            return HttpResponseRedirect(job.get_absolute_url())
        content, count = exports.write(fmt, query)
        response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{query.name}.{fmt}"'
        do_record_export(
            self.request.user,
            object_type=self.model._meta.label_lower,  # type: ignore[union-attr]
            extra={"format": fmt, "rows": count, "filters": self.request.GET.dict()},
        )
        return response

    def get_title(self) -> Any:
        return self.title or self.model._meta.verbose_name_plural  # type: ignore[union-attr]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.get_title()
        if context.get("filter") is not None:
            context["filter"].form.compact = True
            bootstrapify(context["filter"].form)
        context["export_enabled"] = bool(self.export_fields)
        context["refresh_fields"] = self.owner_dependent_fields(context.get("filter"))
        check = type(self).may_create
        if self.create_url_name and check is not None and check(self.request.user):
            context["create_url"] = reverse(self.create_url_name)
        return context


class ScopedDetailView(LoginRequiredMixin, DetailView):
    template_name = "core/detail.html"
    detail_fields: ClassVar[tuple[str, ...]] = ()
    edit_url_name: ClassVar[str | None] = None
    history_url_name: ClassVar[str | None] = None
    active_url_name: ClassVar[str | None] = None
    may_edit: ClassVar[Callable[[Any, Any], bool] | None] = None

    def get_object(self, queryset: Any = None) -> Any:
        return access_object(self.model, self.request.user, self.kwargs["pk"])  # type: ignore[arg-type]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.object
        rows = []
        for name in self.detail_fields:
            field = obj._meta.get_field(name)
            display = getattr(obj, f"get_{name}_display", None)
            value = display() if display else getattr(obj, name)
            if isinstance(value, Decimal):  # grouped, decimal comma (samdrift.core.formats)
                value = format_number(value, getattr(field, "decimal_places", None))
            rows.append((field.verbose_name, value))
        context["rows"] = rows
        check = type(self).may_edit
        can_edit = bool(check and check(self.request.user, obj))
        if can_edit and self.edit_url_name:
            context["edit_url"] = reverse(self.edit_url_name, args=[obj.pk])
        if can_edit and self.active_url_name:
            context["active_url"] = reverse(self.active_url_name, args=[obj.pk])
        if self.history_url_name:
            context["history_url"] = reverse(self.history_url_name, args=[obj.pk])
        return context


class ActionFormView(LoginRequiredMixin, FormView):
    """Create (no pk) or edit (pk) one object through an action."""

    template_name = "core/form.html"
    model: ClassVar[type[models.Model]]
    create_action: ClassVar[Any] = None
    update_action: ClassVar[Any] = None
    may_write: ClassVar[Callable[[Any, Any], bool] | None] = None
    success_url_name: ClassVar[str] = ""
    object: Any = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if "pk" in kwargs:
            self.object = access_object(self.model, request.user, kwargs["pk"])
        check = type(self).may_write
        if check is None or not check(request.user, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if self.object is not None:
            kwargs["instance"] = self.object
        return kwargs

    def form_valid(self, form: Any) -> HttpResponse:
        data = {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}
        try:
            if self.object is None:
                obj = type(self).create_action(data, actor=self.request.user)
            else:
                obj = type(self).update_action(self.object, data, actor=self.request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return HttpResponseRedirect(reverse(self.success_url_name, args=[obj.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["title"] = (
            _("Edit %(thing)s") % {"thing": self.model._meta.verbose_name}
            if self.object
            else _("New %(thing)s") % {"thing": self.model._meta.verbose_name}
        )
        return context


def apply_validation_error(form: forms.BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class SetActiveView(LoginRequiredMixin, View):
    """POST: deactivate or reactivate one object through its action."""

    model: ClassVar[type[models.Model]]
    active_action: ClassVar[Any] = None
    may_write: ClassVar[Callable[[Any, Any], bool] | None] = None
    success_url_name: ClassVar[str] = ""
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = access_object(self.model, request.user, pk)
        check = type(self).may_write
        if check is None or not check(request.user, obj):
            raise PermissionDenied
        active = request.POST.get("active") == "1"
        try:
            type(self).active_action(obj, active, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Activated.") if active else _("Deactivated."))
        return HttpResponseRedirect(reverse(self.success_url_name, args=[obj.pk]))


class HistoryView(LoginRequiredMixin, View):
    """The audit events of one object; whoever may see the object may see its history."""

    model: ClassVar[type[models.Model]]
    http_method_names: ClassVar[list[str]] = ["get"]  # type: ignore[misc]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = access_object(self.model, request.user, pk)
        events = AuditEvent.objects.filter(object_type__in=labels_of(type(obj)), object_id=str(obj.pk)).order_by("-id")[
            :200
        ]
        return render(request, "core/history.html", {"object": obj, "events": events})


def permission_checks(
    may_write: Callable[[Any, str, int | None], bool],
) -> tuple[Callable[[str], Any], Callable[[str], Any]]:
    """From an app's `may_write(user, thing, owner_id)`, the two checks its views declare:
    `writer(thing)` (may this user change this object) and `creator(thing)` (may they add one)."""

    def writer(thing: str) -> Any:
        return staticmethod(lambda user, obj=None: may_write(user, thing, getattr(obj, "scope_owner_id", None)))

    def creator(thing: str) -> Any:
        return staticmethod(lambda user: may_write(user, thing, None))

    return writer, creator


@require_GET
@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A large export under way (its progress, polled by htmx), then its file to download."""
    job = access_object(ExportJob, request.user, pk)
    context = progress_context(job, after="core/_export_done.html")
    if getattr(request, "htmx", False):
        return render(request, "core/_job_progress.html", context)
    return render(request, "core/export_detail.html", {**context, "object": job})


export_detail.model = ExportJob  # type: ignore[attr-defined]


@require_GET
@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = access_object(ExportJob, request.user, pk)
    if job.status != ExportStatus.DONE:
        messages.error(request, _("The file is not ready yet."))
        return HttpResponseRedirect(job.get_absolute_url())
    response = HttpResponse(
        bytes(job.content), content_type=exports.CONTENT_TYPES.get(job.format, "application/octet-stream")
    )
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response


export_download.model = ExportJob  # type: ignore[attr-defined]
