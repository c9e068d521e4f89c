from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "samdrift.assets"
    label = "assets"
    verbose_name = _("Assets")

    def ready(self) -> None:
        from samdrift.assets.models import STAFF
        from samdrift.core.context_processors import add_nav

        add_nav("assetimport_list", _("Asset imports"), STAFF)

        from samdrift.assets.imports import RULES
        from samdrift.core.importing import register_import

        # A dry run writes no asset: stopped, it is an error to run again. The import is one
        # transaction: stopped, nothing was written and the checked file may be imported again.
        register_import(RULES)

        from samdrift.assets.models import Asset
        from samdrift.core.pickers import Picker, register_picker

        register_picker(
            "asset", Picker(Asset, ("asset_tag", "serial_number", "hostname"), ("asset_tag", "id"), ("model",), None)
        )
