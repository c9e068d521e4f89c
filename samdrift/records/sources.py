"""The system's objects as official records: how each kind is found by a search, shown part by part
with its secrecy markings (for review and for the masked release package), and disposed of.

One `Source` per kind of object. Records defines its own register entries here; every other app
publishes the adapter of its objects (`<app>/records.py`: how they are found, shown and disposed of
by its own do_dispose_* action) and registers it through records/services.py from its ready(), so
records reaches into no other app. A source acts with the records officer's authority (checked by
the caller): a records officer must assess every record asked for, confidential ones included, so
the sources read unscoped querysets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.records.models import Case, SecrecyGround, SecrecyMarking, StandingMarking

MAX_WORDS = 8
# What an anonymised record says instead of its subject: data, the same in every language.
DISPOSED = "Gallrat"
SEARCH_LIMIT = 200


@dataclass
class Part:
    """One part of a record: a field or a comment, with the ground when it is marked."""

    key: str
    label: str
    text: str
    ground: SecrecyGround | None = None


@dataclass
class Rendered:
    """A record as a reader sees it: identifier, title, its parts and its attachments."""

    identifier: str
    title: str
    parts: list[Part]
    record_ground: SecrecyGround | None = None
    attachments: list[Any] = field(default_factory=list)
    pupil_data: bool = False

    @property
    def grounds(self) -> list[SecrecyGround]:
        seen: dict[int, SecrecyGround] = {}
        for ground in [
            self.record_ground,
            *(p.ground for p in self.parts),
            *(a.secrecy_ground for a in self.attachments),
        ]:
            if ground is not None:
                seen[ground.pk] = ground
        return list(seen.values())

    @property
    def is_marked(self) -> bool:
        return bool(self.grounds)


@dataclass(frozen=True)
class Hit:
    label: str  # content type label, e.g. servicedesk.ticket
    object_id: str
    identifier: str
    title: str
    when: Any
    marked: bool


def _words(query: str) -> list[str]:
    return (query or "").split()[:MAX_WORDS]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _match(words: list[str], fields: Iterable[str]) -> Q:
    condition = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _grounds_by_code() -> dict[str, SecrecyGround]:
    return {g.code: g for g in SecrecyGround.objects.all()}


class Source:
    """How one kind of object is treated as an official record."""

    label: str = ""
    verbose: Callable[[], str] = staticmethod(lambda: "")
    search_fields: tuple[str, ...] = ()
    date_field: str = "created"
    identifier_field: str = "pk"
    order: int = 100  # where the kind stands among the others (search, forms)

    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.label)

    def content_type(self) -> ContentType:
        return ContentType.objects.get_for_model(self.model())

    def queryset(self) -> models.QuerySet:
        return self.model()._default_manager.all()

    def get(self, object_id: Any) -> models.Model | None:
        try:
            return self.queryset().filter(pk=int(object_id)).first()
        except (TypeError, ValueError, OverflowError):
            return None

    def search(self, query: str, date_from: date | None, date_to: date | None, limit: int = SEARCH_LIMIT) -> list[Hit]:
        words = _words(query)
        if not words:
            return []
        qs = self.queryset().filter(_match(words, self.search_fields))
        if date_from:
            qs = qs.filter(**{f"{self.date_field}__gte": _day_start(date_from)})
        if date_to:
            qs = qs.filter(**{f"{self.date_field}__lt": _day_start(date_to + timedelta(days=1))})
        # Newest first. Within a date range by the date itself, which its index finds and yields in
        # order: a month's search over ten million tickets reads some thousands of rows (16 ms)
        # instead of walking the id index back from today to that month (140-170 ms;
        # bench/http_pages.py). Without a range, by id, the newest first as they were written.
        order = (f"-{self.date_field}", "-pk") if date_from or date_to else ("-pk",)
        rows = list(qs.order_by(*order)[:limit])
        marked = marked_ids(self.content_type(), [str(r.pk) for r in rows]) | self.marked_parts([r.pk for r in rows])
        return [
            Hit(
                self.label,
                str(r.pk),
                self.identifier(r),
                self.title(r),
                getattr(r, self.date_field),
                self.natively_marked(r) or str(r.pk) in marked,
            )
            for r in rows
        ]

    def identifier(self, obj: Any) -> str:
        return str(getattr(obj, self.identifier_field))

    def title(self, obj: Any) -> str:
        return str(obj)

    def natively_marked(self, obj: Any) -> bool:
        return False

    def marked_parts(self, ids: list[int]) -> set[str]:
        """Ids of these records with a part marked by their own app (one query)."""
        return set()

    def parts(self, obj: Any, grounds: dict[str, SecrecyGround]) -> Rendered:
        raise NotImplementedError

    # disposal
    def disposal_queryset(self, cutoff: datetime, event: str) -> models.QuerySet | None:
        return None

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        """Dispose of these records (a subquery of ids) by `method` ("delete" or "anonymise"):
        the app's own do_dispose_* action, inside the records officer's disposal transaction."""
        raise NotImplementedError


def delete_rows(qs: models.QuerySet) -> int:
    """Delete the rows and, first, the rows of the same app that refer to them, in set-based SQL
    (DELETE ... WHERE fk IN (SELECT ...)): Django's collector would load every row into memory.
    Files of deleted rows are removed from storage once the transaction commits. A row of another
    app that still refers to them stops the deletion (the database refuses), so nothing of another
    capability is removed behind its back."""
    from django.db import transaction

    model = qs.model
    for relation in model._meta.related_objects:
        related = relation.related_model
        if related is model or related._meta.app_label != model._meta.app_label:
            continue
        delete_rows(related._default_manager.filter(**{f"{relation.field.name}__in": qs.values("pk")}))
    files = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    names = [n for row in qs.values_list(*files) for n in row if n] if files else []
    deleted = qs._raw_delete(qs.db)  # type: ignore[attr-defined]
    if names:

        def remove_files() -> None:
            from django.core.files.storage import default_storage

            for name in names:
                default_storage.delete(name)

        transaction.on_commit(remove_files)
    return deleted


class CaseSource(Source):
    label = "records.case"
    verbose = staticmethod(lambda: _("Register entry"))
    search_fields = ("subject", "registration_number", "counterparty")
    date_field = "created"
    identifier_field = "registration_number"

    def queryset(self) -> models.QuerySet:
        return super().queryset().select_related("secrecy_ground", "series")

    def title(self, obj: Any) -> str:
        return obj.subject

    def natively_marked(self, obj: Any) -> bool:
        return obj.secrecy_ground_id is not None

    def parts(self, obj: Any, grounds: dict[str, SecrecyGround]) -> Rendered:
        parts = [
            Part("registration_number", _("Registration number"), obj.registration_number),
            Part("registered", _("Date"), obj.registered.isoformat()),
            Part("direction", _("Direction"), str(obj.get_direction_display())),
            Part("counterparty", _("Sender or recipient"), obj.counterparty),
            Part("subject", _("Subject"), obj.subject),
        ]
        attachments = list(obj.attachments.select_related("secrecy_ground").order_by("created", "id"))
        return Rendered(obj.registration_number, obj.subject, parts, obj.secrecy_ground, attachments)

    def disposal_queryset(self, cutoff: datetime, event: str) -> models.QuerySet | None:
        # Entries under a legal hold are left out by propose_disposal and skipped by
        # do_execute_batch from their LegalHold rows, as the records of every source are; an entry
        # for a system object goes with that object.
        qs = Case.objects.filter(content_type__isnull=True)
        if event == "closed":
            return qs.filter(status="closed", closed_at__lt=cutoff)
        if event == "created":
            return qs.filter(created__lt=cutoff)
        return None

    order = 20

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        from samdrift.records.models import AccessRequest, Attachment

        if method == "anonymise":
            delete_rows(Attachment.objects.filter(case_id__in=ids))
            return Case.objects.filter(pk__in=ids).update(subject=DISPOSED, counterparty="")
        AccessRequest.objects.filter(case_id__in=ids).update(case=None)
        return delete_rows(Case.objects.filter(pk__in=ids))


SOURCES: dict[str, Source] = {}  # searched by access requests, by `order`
DISPOSAL_ONLY: dict[str, Source] = {}  # disposed of by the plan, never searched


def register_source(source: Source, *, searchable: bool = True) -> None:
    """Add (or replace) a kind of record: each app registers its own from its AppConfig.ready()
    (records/services.py publishes this), so that records reaches into no other app."""
    SOURCES.pop(source.label, None)
    DISPOSAL_ONLY.pop(source.label, None)
    target = SOURCES if searchable else DISPOSAL_ONLY
    target[source.label] = source
    ordered = sorted(target.values(), key=lambda s: (s.order, s.label))
    target.clear()
    target.update((s.label, s) for s in ordered)


class DisposalOnly(Source):
    """Records the plan disposes of but an access request does not search (they are answered
    from the asset pages and a GDPR extract): no search, no rendering."""

    def search(self, query: str, date_from: date | None, date_to: date | None, limit: int = SEARCH_LIMIT) -> list[Hit]:
        return []


register_source(CaseSource())


def disposer_for_ct(content_type: ContentType) -> Source | None:
    """The source that disposes of this type's records (every searchable source, and those above)."""
    label = f"{content_type.app_label}.{content_type.model}"
    return SOURCES.get(label) or DISPOSAL_ONLY.get(label)


def source_for(label: str) -> Source | None:
    return SOURCES.get(label)


def source_for_ct(content_type: ContentType) -> Source | None:
    return SOURCES.get(f"{content_type.app_label}.{content_type.model}")


def marked_ids(content_type: ContentType, object_ids: list[str]) -> set[str]:
    """Which of these objects carry an active secrecy marking (one query)."""
    if not object_ids:
        return set()
    return set(
        SecrecyMarking.objects.filter(
            content_type=content_type, object_id__in=object_ids, lifted_at__isnull=True
        ).values_list("object_id", flat=True)
    )


def render(content_type: ContentType, obj: Any) -> Rendered:
    """The record part by part, with every marking applied: the source's own (a confidential
    comment), standing markings of the type, and the marking rows on the object or its fields."""
    source = source_for_ct(content_type)
    if source is None:
        raise LookupError(content_type)
    grounds = _grounds_by_code()
    rendered = source.parts(obj, grounds)
    by_field: dict[str, SecrecyGround] = {}
    for standing in StandingMarking.objects.filter(content_type=content_type).select_related("ground"):
        if all(str(getattr(obj, k, None)) == str(v) for k, v in (standing.condition or {}).items()):
            by_field[standing.field_name] = standing.ground
    for marking in SecrecyMarking.objects.filter(
        content_type=content_type, object_id=str(obj.pk), lifted_at__isnull=True
    ).select_related("ground"):
        if marking.field_name:
            by_field[marking.field_name] = marking.ground
        else:
            rendered.record_ground = marking.ground
    for part in rendered.parts:
        if part.ground is None and part.key in by_field:
            part.ground = by_field[part.key]
    return rendered


def masked_text(ground: SecrecyGround) -> str:
    return _("[Masked: %(ground)s]") % {"ground": ground.reference}
