from django.urls import path

from samdrift.assets import catalogue_views, import_views, inventory_views, licence_views, views, wifi_views
from samdrift.core.crud import model_urls

urlpatterns = model_urls(catalogue_views.manufacturers, catalogue_views.asset_models, catalogue_views.sites)

urlpatterns += model_urls(
    licence_views.software_products, licence_views.entitlements, wifi_views.wifi_zones, wifi_views.wifi_standard
)

urlpatterns += [
    path("assets/", views.AssetList.as_view(), name="asset_list"),
    path("assets/new/", views.AssetFormView.as_view(), name="asset_create"),
    path("assets/bulk/", views.asset_bulk, name="asset_bulk"),
    path("assets/stale/", views.StaleAssetList.as_view(), name="asset_stale"),
    path("assets/forecast/", views.refresh_forecast, name="asset_forecast"),
    path("assets/wifi-checks/<int:pk>/", wifi_views.RecordCheck.as_view(), name="wifizonecheck_record"),
    path("assets/licences/compliance/", licence_views.licence_compliance, name="licence_compliance"),
    path("assets/licences/<int:pk>/assign/", licence_views.AssignLicence.as_view(), name="licenceentitlement_assign"),
    path("assets/<int:pk>/", views.AssetDetail.as_view(), name="asset_detail"),
    path("assets/<int:pk>/edit/", views.AssetFormView.as_view(), name="asset_edit"),
    path("assets/<int:pk>/history/", views.AssetHistory.as_view(), name="asset_history"),
    path("assets/<int:pk>/label/", views.asset_label, name="asset_label"),
    path("assets/<int:pk>/check-out/", views.asset_check_out, name="asset_check_out"),
    path("assets/<int:pk>/check-in/", views.AssetCheckIn.as_view(), name="asset_check_in"),
    path("assets/<int:pk>/status/", views.AssetStatusChange.as_view(), name="asset_status"),
    path("assets/<int:pk>/move/", views.asset_move, name="asset_move"),
    path("assets/assignments/", views.AssignmentList.as_view(), name="assetassignment_list"),
    path("my-devices/", views.my_devices, name="my_devices"),
    path("my-devices/<int:pk>/accept/", views.AcceptAssignment.as_view(), name="assignment_accept"),
    path("assets/agent-keys/", views.AgentKeyList.as_view(), name="agentkey_list"),
    path("assets/agent-keys/new/", views.agent_key_create, name="agentkey_create"),
    path("assets/agent-keys/<int:pk>/active/", views.AgentKeyActive.as_view(), name="agentkey_active"),
    path("assets/inventory-uploads/", views.InventoryUploadList.as_view(), name="inventoryupload_list"),
    path("assets/inventory-uploads/<int:pk>/", views.InventoryUploadDetail.as_view(), name="inventoryupload_detail"),
    path("assets/triage/", views.TriageDeviceList.as_view(), name="triagedevice_list"),
    path("assets/triage/<int:pk>/", views.TriageDeviceDetail.as_view(), name="triagedevice_detail"),
    path("assets/triage/<int:pk>/create-asset/", views.TriageCreateAsset.as_view(), name="triagedevice_create_asset"),
    path("assets/triage/<int:pk>/link/", views.TriageLinkAsset.as_view(), name="triagedevice_link"),
    # The agents' endpoint: authenticated by the owner's agent key, not by a session.
    path("inventory/<str:key>/", inventory_views.inventory_endpoint, name="inventory_endpoint"),
]

urlpatterns += [
    path("assets/imports/", import_views.AssetImportList.as_view(), name="assetimport_list"),
    path("assets/imports/new/", import_views.upload, name="assetimport_create"),
    path("assets/imports/mappings/", import_views.MappingList.as_view(), name="assetimportmapping_list"),
    path(
        "assets/imports/mappings/<int:pk>/delete/",
        import_views.MappingDelete.as_view(),
        name="assetimportmapping_delete",
    ),
    path("assets/imports/<int:pk>/", import_views.detail, name="assetimport_detail"),
    path("assets/imports/<int:pk>/columns/", import_views.choose_columns, name="assetimport_columns"),
    path("assets/imports/<int:pk>/check/", import_views.ImportCheck.as_view(), name="assetimport_check"),
    path("assets/imports/<int:pk>/commit/", import_views.ImportCommit.as_view(), name="assetimport_commit"),
    path("assets/imports/<int:pk>/file/", import_views.original_file, name="assetimport_file"),
]
