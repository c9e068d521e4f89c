from django.urls import path

from samdrift.records import views

urlpatterns = [
    path("records/register/", views.CaseList.as_view(), name="case_list"),
    path("records/register/new/", views.case_create, name="case_create"),
    path("records/register/<int:pk>/", views.case_detail, name="case_detail"),
    path("records/register/<int:pk>/close/", views.CaseClose.as_view(), name="case_close"),
    path("records/register/<int:pk>/hold/", views.CaseHold.as_view(), name="case_hold"),
    path("records/register/<int:pk>/attach/", views.CaseAttach.as_view(), name="case_attach"),
    path("records/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("records/requests/", views.AccessRequestList.as_view(), name="accessrequest_list"),
    path("records/requests/new/", views.request_create, name="accessrequest_create"),
    path("records/requests/<int:pk>/", views.request_detail, name="accessrequest_detail"),
    path("records/requests/<int:pk>/add/", views.RequestAdd.as_view(), name="accessrequest_add"),
    path("records/requests/<int:pk>/decide/", views.RequestDecide.as_view(), name="accessrequest_decide"),
    path("records/requests/<int:pk>/withdraw/", views.RequestWithdraw.as_view(), name="accessrequest_withdraw"),
    path("records/requests/<int:pk>/package.pdf", views.request_pdf, name="accessrequest_pdf"),
    path("records/requests/<int:pk>/package.zip", views.request_zip, name="accessrequest_zip"),
    path("records/items/<int:pk>/", views.item_detail, name="requestitem_detail"),
    path("records/items/<int:pk>/decide/", views.ItemDecide.as_view(), name="requestitem_decide"),
    path("records/items/<int:pk>/remove/", views.ItemRemove.as_view(), name="requestitem_remove"),
    path("records/items/<int:pk>/mark/", views.ItemMark.as_view(), name="requestitem_mark"),
    path("records/markings/<int:pk>/lift/", views.MarkingLift.as_view(), name="secrecymarking_lift"),
    path("records/plan/", views.plan, name="records_plan"),
    path("records/grounds/", views.ground_list, name="secrecyground_list"),
    path("records/plan/types/<int:pk>/", views.recordtype_detail, name="recordtype_detail"),
    path("records/disposal/", views.DisposalBatchList.as_view(), name="disposalbatch_list"),
    path("records/disposal/propose/", views.disposal_propose, name="disposal_propose"),
    path("records/disposal/<int:pk>/", views.batch_detail, name="disposalbatch_detail"),
    path("records/gdpr/", views.GdprRequestList.as_view(), name="gdprrequest_list"),
    path("records/gdpr/new/", views.gdpr_create, name="gdprrequest_create"),
    path("records/gdpr/<int:pk>/", views.gdpr_detail, name="gdprrequest_detail"),
    path("records/gdpr/people/<int:pk>/rectify/", views.gdpr_rectify, name="gdpr_rectify"),
    path("records/gdpr/people/<int:pk>/restrict/", views.gdpr_restrict, name="gdpr_restrict"),
    path("records/access-log/", views.AccessLogList.as_view(), name="accesslog_list"),
]
urlpatterns += [
    path("records/archive/", views.ArchiveExportList.as_view(), name="archiveexport_list"),
    path("records/archive/new/", views.archive_create, name="archiveexport_create"),
    path("records/archive/<int:pk>/", views.archive_detail, name="archiveexport_detail"),
    path("records/archive/<int:pk>/package.zip", views.archive_download, name="archiveexport_download"),
]
