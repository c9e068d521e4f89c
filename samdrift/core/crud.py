"""One model's pages from a few declarations: list, detail, create, edit, (de)activate and history,
with their URLs (what NetBox's `get_model_urls` does for its models).

An app declares what differs per model and gets the five views and six URL patterns::

    owners = ModelViews(
        Owner, "owners", thing="owner", may_write=may_write,
        list={"table_class": OwnerTable, "filterset_class": OwnerFilter, "title": _("Owners")},
        detail={"detail_fields": ("name", "org_number", "active")},
        form={"form_class": OwnerForm},
        create_action=actions.do_create_owner, update_action=actions.do_update_owner,
        active_action=actions.do_set_owner_active,
    )
    urlpatterns = owners.urls()

What is the same for every model is filled in here: the URL names (`<model_name>_list`, `_create`,
`_detail`, `_edit`, `_active`, `_history`, or another stem given as `name`), the links between the
pages, and the permission checks: made from the app's `may_write(user, thing, owner_id)` when a
`thing` is given, else `may_write(user, obj=None)` is the check itself. A page that needs more than declarations
(extra context, its own template) is given as a class; the bundle subclasses it and fills in only
what the class leaves unset. Every view still reads through the scoped layer and writes through the
app's actions: the bundle only removes the typing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path

from samdrift.core.views import (
    ActionFormView,
    HistoryView,
    ScopedDetailView,
    ScopedListView,
    SetActiveView,
    permission_checks,
)

Declared = dict[str, Any] | type | None


# Each model's list URL name, as its `ModelViews` named it (`sd_article_list` for the knowledge base):
# where the breadcrumbs and a form's Cancel go back to.
LIST_URL_NAMES: dict[type[Any], str] = {}


class ModelViews:
    """The pages of one model. `list`, `detail` and `form` are each a dict of class attributes or a
    class to build on; `form=None` (with no actions) makes the model read-only in the UI."""

    def __init__(
        self,
        model: type[Any],
        prefix: str,
        *,
        may_write: Callable[..., bool],
        thing: str | None = None,
        name: str | None = None,
        list: Declared = None,
        detail: Declared = None,
        form: Declared = None,
        create_action: Any = None,
        update_action: Any = None,
        active_action: Any = None,
        edit_form_class: Any = None,
        history: bool = True,
    ) -> None:
        self.model = model
        self.prefix = prefix.strip("/")
        self.name = name or model._meta.model_name
        if thing is not None:  # the app's may_write(user, thing, owner_id)
            writer, creator = permission_checks(may_write)
            may_edit, may_create = writer(thing), creator(thing)
        else:  # a check of its own: may_write(user, obj=None)
            may_edit = may_create = staticmethod(may_write)
        n = self.name
        LIST_URL_NAMES[model] = f"{n}_list"
        writes = create_action is not None or update_action is not None
        self.active = active_action is not None
        self.history = history
        self.creates = create_action is not None
        self.edits = update_action is not None

        self.list_view = self._build(
            ScopedListView,
            list,
            "List",
            model=model,
            create_url_name=f"{n}_create" if self.creates else None,
            may_create=may_create if self.creates else None,
        )
        self.detail_view = self._build(
            ScopedDetailView,
            detail,
            "Detail",
            model=model,
            edit_url_name=f"{n}_edit" if self.edits else None,
            history_url_name=f"{n}_history" if history else None,
            active_url_name=f"{n}_active" if self.active else None,
            may_edit=may_edit,
        )
        self.form_view: Any = None
        if writes:
            attrs: dict[str, Any] = {
                "model": model,
                "create_action": staticmethod(create_action) if create_action else None,
                "update_action": staticmethod(update_action) if update_action else None,
                "may_write": may_edit,
                "success_url_name": f"{n}_detail",
            }
            if edit_form_class is not None:
                create_form = (form or {}).get("form_class") if isinstance(form, dict) else None

                def get_form_class(view: Any) -> Any:
                    return edit_form_class if view.object else (create_form or view.form_class)

                attrs["get_form_class"] = get_form_class
            self.form_view = self._build(ActionFormView, form, "FormView", **attrs)
        self.active_view = (
            self._build(
                SetActiveView,
                None,
                "Active",
                model=model,
                active_action=staticmethod(active_action),
                may_write=may_edit,
                success_url_name=f"{n}_detail",
            )
            if self.active
            else None
        )
        self.history_view = self._build(HistoryView, None, "History", model=model) if history else None

    def _build(self, base: type, declared: Declared, suffix: str, **defaults: Any) -> Any:
        """A view class: the declared class (or `base` with the declared attributes), with the
        bundle's defaults for whatever the declaration leaves unset."""
        if isinstance(declared, type):
            cls, own = declared, {}
        else:
            cls, own = base, dict(declared or {})
        attrs = {
            key: value
            for key, value in defaults.items()
            if key not in own and (cls is base or getattr(cls, key, None) in (None, ""))
        }
        attrs.update(own)
        attrs["__module__"] = getattr(cls, "__module__", __name__) if cls is not base else self.model.__module__
        attrs["__qualname__"] = f"{self.model.__name__}{suffix}"
        return type(f"{self.model.__name__}{suffix}", (cls,), attrs)

    def views(self) -> tuple[Any, Any, Any, Any, Any]:
        """(list, detail, form, active, history) view classes, for modules that name them."""
        return self.list_view, self.detail_view, self.form_view, self.active_view, self.history_view

    def urls(self) -> list[URLPattern]:
        n, p = self.name, self.prefix
        patterns = [
            path(f"{p}/", self.list_view.as_view(), name=f"{n}_list"),
            path(f"{p}/<int:pk>/", self.detail_view.as_view(), name=f"{n}_detail"),
        ]
        if self.form_view is not None and self.creates:
            patterns.append(path(f"{p}/new/", self.form_view.as_view(), name=f"{n}_create"))
        if self.form_view is not None and self.edits:
            patterns.append(path(f"{p}/<int:pk>/edit/", self.form_view.as_view(), name=f"{n}_edit"))
        if self.active_view is not None:
            patterns.append(path(f"{p}/<int:pk>/active/", self.active_view.as_view(), name=f"{n}_active"))
        if self.history_view is not None:
            patterns.append(path(f"{p}/<int:pk>/history/", self.history_view.as_view(), name=f"{n}_history"))
        return patterns


def model_urls(*bundles: ModelViews) -> list[URLPattern]:
    """The URL patterns of several models' pages, in order."""
    return [pattern for bundle in bundles for pattern in bundle.urls()]
