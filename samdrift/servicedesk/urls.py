from django.urls import path

from samdrift.core.crud import model_urls
from samdrift.servicedesk import views, views_mail, views_reference

urlpatterns = [
    path("servicedesk/tickets/", views.TicketList.as_view(), name="sd_ticket_list"),
    path("servicedesk/tickets/new/", views.TicketCreate.as_view(), name="sd_ticket_create"),
    path("servicedesk/tickets/bulk/", views.TicketBulk.as_view(), name="sd_ticket_bulk"),
    path("servicedesk/tickets/<int:pk>/", views.TicketDetail.as_view(), name="sd_ticket_detail"),
    path("servicedesk/tickets/<int:pk>/history/", views.TicketHistory.as_view(), name="sd_ticket_history"),
    path("servicedesk/tickets/<int:pk>/compose/", views.TicketCompose.as_view(), name="sd_ticket_compose"),
    path("servicedesk/tickets/<int:pk>/comment/", views.TicketComment.as_view(), name="sd_ticket_comment"),
    path("servicedesk/tickets/<int:pk>/status/", views.TicketStatus.as_view(), name="sd_ticket_status"),
    path("servicedesk/tickets/<int:pk>/assign/", views.TicketAssign.as_view(), name="sd_ticket_assign"),
    path("servicedesk/tickets/<int:pk>/time/", views.TicketTime.as_view(), name="sd_ticket_time"),
    path("servicedesk/tickets/<int:pk>/devices/", views.TicketDevices.as_view(), name="sd_ticket_devices"),
    path("servicedesk/tickets/<int:pk>/merge/", views.TicketMerge.as_view(), name="sd_ticket_merge"),
    path("servicedesk/tickets/<int:pk>/link/", views.TicketLinkView.as_view(), name="sd_ticket_link"),
    path("servicedesk/tickets/<int:pk>/attach/", views_mail.TicketAttach.as_view(), name="sd_ticket_attach"),
    path("servicedesk/attachments/<int:pk>/", views_mail.AttachmentDownload.as_view(), name="sd_attachment_download"),
    path("servicedesk/views/new/", views_mail.SavedViewCreate.as_view(), name="sd_savedview_create"),
    path("servicedesk/views/<int:pk>/delete/", views_mail.SavedViewDelete.as_view(), name="sd_savedview_delete"),
    path("servicedesk/email/", views_mail.InboundList.as_view(), name="sd_inbound_list"),
    path("servicedesk/email/<int:pk>/", views_mail.InboundDetail.as_view(), name="sd_inbound_detail"),
    path("servicedesk/email/<int:pk>/retry/", views_mail.InboundRetry.as_view(), name="sd_inbound_retry"),
    path("servicedesk/email/<int:pk>/raw/", views_mail.InboundRaw.as_view(), name="sd_inbound_raw"),
    path("servicedesk/mailboxes/<int:pk>/poll/", views_mail.MailboxPoll.as_view(), name="sd_mailbox_poll"),
    path("servicedesk/report/", views.monthly_report, name="sd_report"),
    path("portal/", views.PortalHome.as_view(), name="sd_portal"),
    path("portal/suggestions/", views_reference.article_suggestions, name="sd_article_suggestions"),
    path("portal/new/", views.PortalNew.as_view(), name="sd_portal_new"),
    path("portal/tickets/<int:pk>/", views.PortalTicket.as_view(), name="sd_portal_ticket"),
]

# Reference data and the knowledge base: each model's six pages from core's ModelViews.
urlpatterns += model_urls(
    views_reference.categories,
    views_reference.articles,
    views_mail.mailboxes,
    views_reference.support_groups,
    views_reference.sla_policies,
)
