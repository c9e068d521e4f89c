"""Presentational helpers for templates: names and links derived from a model instance, role
labels and the scale of the home page's bar chart. No queries of their own."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DecimalField
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext as _

from samdrift.core.crud import LIST_URL_NAMES
from samdrift.core.formats import format_money, format_number
from samdrift.core.forms import bootstrapify
from samdrift.core.links import may_view, may_view_any, url_for
from samdrift.core.roles import SYSTEM_ROLE, Role

register = template.Library()


@register.filter
def verbose_name_plural(obj: Any) -> str:
    """`people` for a Person: the heading of the list the object belongs to."""
    meta = getattr(obj, "_meta", None)
    return str(meta.verbose_name_plural) if meta else ""


@register.filter
def verbose_name(obj: Any) -> str:
    meta = getattr(obj, "_meta", None)
    return str(meta.verbose_name) if meta else ""


@register.filter
def list_url(obj: Any) -> str:
    """The URL of the list page of the object's model (`person_list`), or '' when there is none.

    The name its `ModelViews` gave it comes first; otherwise a candidate URL counts only when its
    view lists this very model (another app may have a model of the same name)."""
    meta = getattr(obj, "_meta", None)
    if meta is None:
        return ""
    declared = LIST_URL_NAMES.get(meta.model)
    for name in (
        *([declared] if declared else []),
        f"{meta.model_name}_list",
        f"sd_{meta.model_name}_list",
        f"{meta.app_label}_{meta.model_name}_list",
    ):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        view = getattr(resolve(url).func, "view_class", None)
        if view is None or getattr(view, "model", None) is meta.model:
            return url
    return ""


@register.filter
def list_url_for(obj: Any, user: Any) -> str:
    """The list page of the object's model, when the user may see any of its rows."""
    url = list_url(obj)
    if not url or not may_view_any(user, type(obj)):
        return ""
    return url


@register.filter
def link_for(obj: Any, user: Any) -> str:
    """`{{ value|link_for:user }}`: the object's page when the user may open it, else ''.

    A link the reader's role cannot follow is not shown (a 404 behind a link is a broken page)."""
    return url_for(user, obj)


@register.filter
def styled(form: Any, compact: str = "") -> Any:
    """Bootstrap classes for a form a view did not prepare; `|styled:"compact"` for filters."""
    if compact:
        form.compact = True
    return bootstrapify(form)


@register.filter
def role_label(code: str) -> str:
    """The role an audit event was recorded in, as a reader says it."""
    special = {SYSTEM_ROLE: _("System"), "self": _("Own account"), "anonymous": _("Not logged in")}
    if code in special:
        return special[code]
    try:
        return str(Role(code).label)
    except ValueError:
        return code


@register.filter
def field_label(obj: Any, name: str) -> str:
    """The verbose name of a field of the object's model, for the field names in audit changes."""
    meta = getattr(obj, "_meta", None)
    if meta is None:
        return name
    try:
        return str(meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


@register.simple_tag
def max_of(objects: Iterable[Any], *attrs: str) -> int:
    """The largest of the named attributes over the objects (at least 1, to divide by)."""
    values = [getattr(obj, attr, 0) or 0 for obj in objects for attr in attrs]
    return max([1, *values])


@register.simple_tag
def percent(value: Any, maximum: Any) -> str:
    """`value` as a percentage of `maximum`, for a CSS width (dot as decimal separator)."""
    try:
        share = 100 * float(value or 0) / float(maximum)
    except (TypeError, ValueError, ZeroDivisionError):
        share = 0.0
    return f"{max(0.0, min(100.0, share)):.1f}"


@register.filter
def money(value: Any) -> str:
    """`{{ amount|money }}` → `9 450,00 kr` (samdrift.core.formats)."""
    return format_money(value)


@register.filter
def number(value: Any, decimals: Any = None) -> str:
    """`{{ n|number }}` or `{{ n|number:2 }}` → `21 331 000,00`."""
    try:
        places = int(decimals) if decimals not in (None, "") else None
    except (TypeError, ValueError):
        places = None
    return format_number(value, places)


@register.filter
def model_label(label: str) -> str:
    """`tenancy.user` → `användare`: an audit event's object type as a reader says it."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def related_name(user: Any, found: Any) -> str:
    """What a change names a related row by: a user's full name; the name of reference data (an
    asset model, a manufacturer: no owner's data); an owner's row only for a reader who may open it."""
    if found is None:
        return ""
    if hasattr(found, "get_full_name"):
        # A user named in a change: the person's name (who did or got the work).
        return str(found.get_full_name() or found.get_username())
    owned = any(f.name == "owner" for f in found._meta.get_fields())
    if not owned or user is None or may_view(user, found):
        return str(found)
    return ""


@register.filter
def model_class(label: str) -> Any:
    """`assets.asset` → the model class, for naming the fields of an audit event of any model."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@register.simple_tag(takes_context=True)
def change_value(context: Any, obj: Any, name: str, value: Any) -> str:
    """One side of a recorded change in words: a choice's label, Yes/No, the related object's name
    instead of its id (each id looked up once per page), an amount grouped."""
    if value is None or value == "":
        return "–"
    meta = getattr(obj, "_meta", None)
    try:
        field = meta.get_field(name) if meta is not None else None
    except FieldDoesNotExist:
        field = None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is None:
        return str(value)
    if isinstance(value, list | dict):
        return str(value)
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    related = getattr(field, "related_model", None)
    if related is not None and field.many_to_one:
        known = context.get("change_names")
        if known is not None:
            # The page looked the names up for all its events at once (audit_reading.related_names).
            name = known.get((related, str(value)))
            if name is None and not str(value).isdigit():
                return str(value)  # recorded as a name or code, not an id
            return name or _("(not shown)")
        cache = context.render_context.setdefault("samdrift_change_names", {})
        key = (related, value)
        if key not in cache:
            found = related._default_manager.filter(pk=value).first()
            cache[key] = related_name(context.get("user"), found) or _("(not shown)")
        return cache[key]
    if isinstance(field, DecimalField):
        return format_number(value, field.decimal_places)
    return str(value)
