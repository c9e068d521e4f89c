"""Take-back pages. Thin: fetch through the scoped layer, call one action, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samdrift.assets.models import Asset, Site
from samdrift.circular import actions, certificates, reports
from samdrift.circular.filters import BatchFilter, BatchItemFilter, PartnerFilter
from samdrift.circular.forms import (
    BatchForm,
    CertificateFileForm,
    ColumnsForm,
    PackingForm,
    PartnerForm,
    ScanForm,
    SecurityContactForm,
    UploadForm,
)
from samdrift.circular.models import (
    STAFF,
    Batch,
    BatchItem,
    BatchStatus,
    Certificate,
    Credit,
    ItemState,
    Partner,
    PartnerReport,
    Problem,
    ReportLine,
    ReportState,
    SecurityContact,
)
from samdrift.circular.tables import BatchItemTable, BatchTable, PartnerTable
from samdrift.core.access import access_object, may
from samdrift.core.actionviews import ObjectActionView
from samdrift.core.jobs import progress_context
from samdrift.core.views import ActionFormView, ScopedListView
from samdrift.tenancy.models import Owner

LINES_SHOWN = 500
ITEMS_SHOWN = 300


def is_staff(user: Any) -> bool:
    return may(user, owner_id=None, operator_roles=STAFF)


def _about(model: type) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Tell the generic isolation test which model a view's <pk> refers to."""

    def mark(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        view.model = model  # type: ignore[attr-defined]
        return view

    return mark


def _fail(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _staff_only(request: HttpRequest) -> None:
    if not is_staff(request.user):
        raise PermissionDenied


class _StaffAction(ObjectActionView):
    """A POST by take-back staff (administrators and technicians) on one object they can see."""

    def allowed(self, user: Any, obj: Any) -> bool:
        return is_staff(user)


# --- partners and security officers --------------------------------------------------------------


class PartnerList(ScopedListView):
    model = Partner
    table_class = PartnerTable
    filterset_class = PartnerFilter
    title = gettext_lazy("Take-back partners")
    create_url_name = "circular_partner_create"
    may_create = staticmethod(is_staff)  # type: ignore[assignment]


class PartnerCreate(ActionFormView):
    model = Partner
    form_class = PartnerForm
    create_action = staticmethod(actions.do_create_partner)
    may_write = staticmethod(lambda user, obj=None: is_staff(user))

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            data = {k: form.cleaned_data[k] for k in form.fields}
            if self.object is None:
                actions.do_create_partner(data, actor=self.request.user)
            else:
                actions.do_update_partner(self.object, data, actor=self.request.user)
        except ValidationError as exc:
            from samdrift.core.views import apply_validation_error

            apply_validation_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return HttpResponseRedirect(reverse("circular_partner_list"))


class PartnerEdit(PartnerCreate):
    pass


class SecurityContactCreate(ActionFormView):
    model = SecurityContact
    form_class = SecurityContactForm
    may_write = staticmethod(lambda user, obj=None: is_staff(user))

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            actions.do_set_security_contact(dict(form.cleaned_data), actor=self.request.user)
        except ValidationError as exc:
            from samdrift.core.views import apply_validation_error

            apply_validation_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return HttpResponseRedirect(reverse("circular_partner_list"))


# --- batches -------------------------------------------------------------------------------------


class BatchList(ScopedListView):
    model = Batch
    table_class = BatchTable
    filterset_class = BatchFilter
    select_related = ("partner",)
    title = gettext_lazy("Take-back batches")
    export_fields = ("number", "partner__name", "status", "created", "ordered_at", "received_at", "reported_at")
    create_url_name = "circular_batch_create"
    may_create = staticmethod(is_staff)  # type: ignore[assignment]

    def get_queryset(self) -> Any:
        return super().get_queryset().annotate(devices=Count("items"))


class BatchCreate(ActionFormView):
    model = Batch
    form_class = BatchForm
    create_action = staticmethod(actions.do_create_batch)
    update_action = staticmethod(actions.do_update_batch)
    may_write = staticmethod(lambda user, obj=None: is_staff(user))
    success_url_name = "circular_batch_detail"


class BatchEdit(BatchCreate):
    pass


class DeviceList(ScopedListView):
    """Every device taken back that the user may see: staff all, an owner's users their own."""

    model = BatchItem
    table_class = BatchItemTable
    filterset_class = BatchItemFilter
    select_related = ("owner", "batch", "asset")
    title = gettext_lazy("Take-back devices")
    export_fields = (
        "owner__name", "batch__number", "serial_number", "asset__asset_tag", "box", "seal", "state", "outcome",
        "grade", "residual_value", "co2e_avoided_kg", "co2e_factor", "co2e_source", "closed_at",
    )  # fmt: skip


@login_required
@_about(Batch)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(Batch, request.user, pk, queryset=Batch.objects.select_related("partner"))
    items_qs = BatchItem.objects.for_user(request.user).filter(batch=batch)
    items = list(
        items_qs.select_related("owner", "asset__model").order_by("box", "seal", "serial_number")[:ITEMS_SHOWN]
    )
    context = {
        "batch": batch,
        "object": batch,
        "items": items,
        "item_count": items_qs.count(),
        "totals": actions.batch_totals(batch, request.user),
        "reports": list(batch.reports.order_by("-id")),
        "may_write": is_staff(request.user),
        "scan_form": ScanForm(),
        "upload_form": UploadForm(),
        "statuses": BatchStatus,
        "deadline": reports.missing_deadline(batch),
    }
    return render(request, "circular/batch_detail.html", context)


@login_required
@_about(Batch)
def batch_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick devices awaiting erasure by owner and site and pack them (GET lists, POST packs)."""
    batch = access_object(Batch, request.user, pk)
    _staff_only(request)
    owners = list(Owner.objects.for_user(request.user).filter(active=True).order_by("name"))  # type: ignore[attr-defined]
    owner_id = request.GET.get("owner", "") or request.POST.get("owner", "")
    site_id = request.GET.get("site", "") or request.POST.get("site", "")
    owner = next((o for o in owners if str(o.pk) == owner_id), None)
    sites = list(Site.objects.for_user(request.user).filter(owner=owner).order_by("name")) if owner else []
    site = next((s for s in sites if str(s.pk) == site_id), None)
    form = PackingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ids = [int(x) for x in request.POST.getlist("asset") if x.isdigit()]
        chosen = list(actions.candidates(owner=owner, site=site).filter(pk__in=ids)) if ids else []
        try:
            added = actions.do_add_batch_items(
                batch, chosen, actor=request.user, box=form.cleaned_data["box"], seal=form.cleaned_data["seal"]
            )
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("%(n)s devices packed.") % {"n": len(added)})
            return HttpResponseRedirect(batch.get_absolute_url())
    listed = list(actions.candidates(owner=owner, site=site)[:500]) if owner else []
    return render(
        request,
        "circular/batch_add.html",
        {"batch": batch, "object": batch, "owners": owners, "owner": owner, "sites": sites, "site": site,
         "candidates": listed, "form": form},
    )  # fmt: skip


class BatchScan(_StaffAction):
    """Pack devices by their scanned labels (asset tags or serial numbers)."""

    model = Batch
    form_class = ScanForm
    invalid_message = gettext_lazy("Scan or type at least one label.")

    def perform(self, batch: Batch, data: dict[str, Any]) -> Any:
        found, unknown = actions.find_labels(data["labels"])
        if unknown:
            raise ValidationError(
                _("No device has these labels: %(labels)s. Nothing was packed.") % {"labels": ", ".join(unknown[:20])}
            )
        added = actions.do_add_batch_items(batch, found, actor=self.request.user, box=data["box"], seal=data["seal"])
        return _("%(n)s devices packed.") % {"n": len(added)}


class BatchOrder(_StaffAction):
    model = Batch

    def perform(self, batch: Batch, data: dict[str, Any]) -> Any:
        actions.do_order_pickup(batch, actor=self.request.user)
        return _("The pickup order is on its way to the partner.")


class BatchAdvance(_StaffAction):
    model = Batch

    def perform(self, batch: Batch, data: dict[str, Any]) -> Any:
        actions.do_advance_batch(batch, self.request.POST.get("status", ""), actor=self.request.user)
        return _("Saved.")


@login_required
@_about(Batch)
def batch_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The pickup order's packing list, as the partner gets it."""
    batch = access_object(Batch, request.user, pk)
    _staff_only(request)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    mime = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(actions.pickup_order_file(batch, fmt), content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{batch.number}.{fmt}"'
    return response


# --- devices -------------------------------------------------------------------------------------


@login_required
@_about(BatchItem)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_object(
        BatchItem, request.user, pk, queryset=BatchItem.objects.select_related("batch", "asset", "owner", "credit")
    )
    cert = Certificate.objects.for_user(request.user).filter(item=item).first()
    staff = is_staff(request.user)
    return render(
        request,
        "circular/item_detail.html",
        {"item": item, "object": item, "certificate": cert, "may_write": staff,
         "packing_form": PackingForm(initial={"box": item.box, "seal": item.seal}),
         "certificate_form": CertificateFileForm() if staff and cert else None},
    )  # fmt: skip


class ItemPacking(_StaffAction):
    model = BatchItem
    form_class = PackingForm

    def perform(self, item: BatchItem, data: dict[str, Any]) -> Any:
        actions.do_set_item_packing(item, data, actor=self.request.user)
        return _("Saved.")


class ItemRemove(_StaffAction):
    """Take a device out of its batch: back to the batch when done, to the device when refused."""

    model = BatchItem

    def perform(self, item: BatchItem, data: dict[str, Any]) -> Any:
        batch = item.batch
        actions.do_remove_batch_item(item, actor=self.request.user)
        messages.success(self.request, _("The device was taken out of the batch."))
        return HttpResponseRedirect(batch.get_absolute_url())


# --- reports -------------------------------------------------------------------------------------


class ReportUpload(_StaffAction):
    """The partner's report file, uploaded from the batch page; checked at once if its columns are known."""

    model = Batch
    form_class = UploadForm
    invalid_message = gettext_lazy("Choose the partner's report file.")

    def get_object(self, pk: Any) -> Any:
        return access_object(Batch, self.request.user, pk, queryset=Batch.objects.select_related("partner"))

    def perform(self, batch: Batch, data: dict[str, Any]) -> Any:
        upload = data["file"]
        if upload.size > reports.MAX_BYTES:
            raise ValidationError(_("The file is larger than 20 MB."))
        report = reports.do_upload_report(
            batch, upload.name, upload.read(), actor=self.request.user, mapping=data.get("mapping")
        )
        if all(name in report.columns for name in reports.REQUIRED):  # recognised: straight to the dry run
            try:
                reports.start_check(report, actor=self.request.user)
            except ValidationError as exc:
                _fail(self.request, exc)
        return HttpResponseRedirect(report.get_absolute_url())


def _report(request: HttpRequest, pk: int) -> PartnerReport:
    return access_object(
        PartnerReport, request.user, pk, queryset=PartnerReport.objects.select_related("batch__partner")
    )


@login_required
@_about(PartnerReport)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if getattr(request, "htmx", False) and request.GET.get("fragment") == "progress":
        return render(request, "core/_job_progress.html", progress_context(report, poll_url=request.get_full_path()))
    columns_form = None
    if report.status in {ReportState.UPLOADED, ReportState.EXCEPTIONS, ReportState.READY, ReportState.ERROR}:
        try:
            headers = reports.headers_of(report)
        except ValidationError:
            headers = []
        columns_form = ColumnsForm(headers=headers, initial_columns=report.columns or {})
    lines = ReportLine.objects.filter(report=report).select_related("owner", "asset")
    problems = list(lines.exclude(problem="").order_by("problem", "row", "id")[:LINES_SHOWN])
    return render(
        request,
        "circular/report_detail.html",
        {
            "report": report,
            "object": report,
            "columns_form": columns_form,
            "problems": problems,
            "problem_count": lines.exclude(problem="").count(),
            "shown": LINES_SHOWN,
            "counts": report.counts or {},
            "problem_labels": dict(Problem.choices),
            "credits": list(Credit.objects.for_user(request.user).filter(report=report).select_related("owner")),  # type: ignore[attr-defined]
            "may_write": is_staff(request.user),
            "progress": progress_context(report, poll_url=request.path + "?fragment=progress"),
            "states": ReportState,
        },
    )


class _ReportAction(_StaffAction):
    """A POST on a partner's report (fetched with its batch and partner, as its page is)."""

    model = PartnerReport

    def get_object(self, pk: Any) -> Any:
        return _report(self.request, pk)


class ReportColumns(_ReportAction):
    def perform(self, report: PartnerReport, data: dict[str, Any]) -> Any:
        form = ColumnsForm(self.request.POST, headers=reports.headers_of(report), initial_columns={})
        if not form.is_valid():
            raise ValidationError(_("Choose a column for the serial number and the result."))
        report = reports.do_set_report_columns(
            report, form.columns(), actor=self.request.user, save_as=form.cleaned_data["save_as"]
        )
        reports.start_check(report, actor=self.request.user)
        return _("The columns are saved; the report is being checked.")


class ReportCheck(_ReportAction):
    def perform(self, report: PartnerReport, data: dict[str, Any]) -> Any:
        reports.start_check(report, actor=self.request.user)  # the page shows the result, or the progress
        return None


class ReportApply(_ReportAction):
    def perform(self, report: PartnerReport, data: dict[str, Any]) -> Any:
        report = reports.start_apply(report, actor=self.request.user)
        # Applied in the request, or queued: then the page shows the progress.
        return _("The report was applied.") if report.status == ReportState.APPLIED else None


@login_required
@_about(PartnerReport)
def report_file(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    _staff_only(request)
    if not report.content:
        raise Http404
    response = HttpResponse(bytes(report.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


class LineResolve(_StaffAction):
    model = ReportLine

    def perform(self, line: ReportLine, data: dict[str, Any]) -> Any:
        reports.do_resolve_line(
            line,
            self.request.POST.get("resolution", ""),
            note=self.request.POST.get("note", ""),
            actor=self.request.user,
        )
        return _("The line is resolved.")

    def redirect_url(self, line: ReportLine) -> str:
        return reverse("circular_report_detail", args=[line.report_id]) + f"#line-{line.pk}"


# --- certificates and credits --------------------------------------------------------------------


@login_required
@_about(Certificate)
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    cert = access_object(
        Certificate, request.user, pk,
        queryset=Certificate.objects.select_related("item__batch__partner", "asset__model", "report_line__report", "owner"),
    )  # fmt: skip
    cert = certificates.ensure_rendered(cert)
    response = HttpResponse(bytes(cert.content), content_type=cert.mimetype or "application/pdf")
    response["Content-Disposition"] = f'inline; filename="{cert.filename or cert.number + ".pdf"}"'
    return response


class CertificateAttach(_StaffAction):
    """The partner's own certificate file, kept beside ours; back to the device either way."""

    model = Certificate
    form_class = CertificateFileForm
    invalid_message = gettext_lazy("Choose the partner's certificate file.")

    def perform(self, cert: Certificate, data: dict[str, Any]) -> Any:
        upload = data["file"]
        certificates.do_attach_partner_certificate(cert, upload.name, upload.read(), actor=self.request.user)
        return _("Saved.")

    def redirect_url(self, cert: Certificate) -> str:
        return reverse("circular_item_detail", args=[cert.item_id])


@login_required
@_about(Credit)
def credit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    credit = access_object(Credit, request.user, pk, queryset=Credit.objects.select_related("owner", "report__batch"))
    items = list(
        credit.items.select_related("asset", "report_line").order_by("serial_number")[:ITEMS_SHOWN]  # type: ignore[attr-defined]
    )
    return render(request, "circular/credit_detail.html", {"credit": credit, "object": credit, "items": items})


def certificate_panel(user: Any, asset: Asset) -> dict[str, Any] | None:
    """The asset page's take-back panel: the device's batch, outcome and certificate, its loss
    reports, and the link to report it lost or stolen for those who may (at most three queries)."""
    from samdrift.circular.losses import may_report_loss
    from samdrift.circular.models import LossReport

    item = BatchItem.objects.for_user(user).filter(asset=asset).select_related("batch").first()
    cert = Certificate.objects.for_user(user).filter(asset=asset).first() if item is not None else None
    losses = list(LossReport.objects.for_user(user).filter(asset=asset).order_by("-id")[:10])
    may_report = may_report_loss(user, asset)
    if item is None and not losses and not may_report:
        return None
    return {
        "item": item,
        "certificate": cert,
        "erased": item is not None and item.state == ItemState.ERASED,
        "losses": losses,
        "may_report_loss": may_report,
    }
