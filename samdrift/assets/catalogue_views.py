"""The catalogue's pages (manufacturers, models) and sites: one bundle each (samdrift.core.crud)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from samdrift.assets import actions
from samdrift.assets.filters import AssetModelFilter, ManufacturerFilter, SiteFilter
from samdrift.assets.forms import AssetModelEditForm, AssetModelForm, ManufacturerForm, SiteEditForm, SiteForm
from samdrift.assets.models import AssetModel, Manufacturer, Site
from samdrift.assets.permissions import may_write
from samdrift.assets.tables import AssetModelTable, ManufacturerTable, SiteTable
from samdrift.core.crud import ModelViews

MODEL_FIELDS = (
    "manufacturer",
    "name",
    "category",
    "expected_lifetime_months",
    "list_price",
    "co2e_kg",
    "co2e_source",
    "active",
)
SITE_FIELDS = ("owner", "name", "street", "postcode", "city", "latitude", "longitude", "active")

manufacturers = ModelViews(
    Manufacturer,
    "assets/manufacturers",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": ManufacturerTable,
        "filterset_class": ManufacturerFilter,
        "title": gettext_lazy("Manufacturers"),
        "export_fields": ("name", "aliases", "active"),
    },
    detail={"detail_fields": ("name", "aliases", "active")},
    form={"form_class": ManufacturerForm},
    create_action=actions.do_create_manufacturer,
    update_action=actions.do_update_manufacturer,
    active_action=actions.do_set_manufacturer_active,
)

asset_models = ModelViews(
    AssetModel,
    "assets/models",
    thing="catalogue",
    may_write=may_write,
    list={
        "table_class": AssetModelTable,
        "filterset_class": AssetModelFilter,
        "select_related": ("manufacturer",),
        "title": gettext_lazy("Models"),
        "export_fields": ("manufacturer__name", *MODEL_FIELDS[1:]),
    },
    detail={"detail_fields": MODEL_FIELDS},
    form={"form_class": AssetModelForm},
    edit_form_class=AssetModelEditForm,
    create_action=actions.do_create_asset_model,
    update_action=actions.do_update_asset_model,
    active_action=actions.do_set_asset_model_active,
)

sites = ModelViews(
    Site,
    "assets/sites",
    thing="site",
    may_write=may_write,
    list={
        "table_class": SiteTable,
        "filterset_class": SiteFilter,
        "select_related": ("owner",),
        "title": gettext_lazy("Sites"),
        "export_fields": ("owner__name", *SITE_FIELDS[1:]),
    },
    detail={"detail_fields": SITE_FIELDS},
    form={"form_class": SiteForm},
    edit_form_class=SiteEditForm,
    create_action=actions.do_create_site,
    update_action=actions.do_update_site,
    active_action=actions.do_set_site_active,
)
