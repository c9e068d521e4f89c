"""Records pages: the register, public access requests (search, decide, release package),
the information management plan, disposal, GDPR and the log of reads of marked records.

Thin: authorise (records officers write; records officers and admins read), fetch through the
scoped layer, call one action, render."""

from .base import RecordsListView as RecordsListView
from .gdpr import JSON_NAMES as JSON_NAMES
from .gdpr import GdprRequestList as GdprRequestList
from .gdpr import gdpr_create as gdpr_create
from .gdpr import gdpr_detail as gdpr_detail
from .gdpr import gdpr_rectify as gdpr_rectify
from .gdpr import gdpr_restrict as gdpr_restrict
from .logs import AccessLogList as AccessLogList
from .logs import ArchiveExportList as ArchiveExportList
from .logs import archive_create as archive_create
from .logs import archive_detail as archive_detail
from .logs import archive_download as archive_download
from .register import CaseList as CaseList
from .register import attachment_download as attachment_download
from .register import case_attach as case_attach
from .register import case_close as case_close
from .register import case_create as case_create
from .register import case_detail as case_detail
from .register import case_hold as case_hold
from .requests import AccessRequestList as AccessRequestList
from .requests import item_decide as item_decide
from .requests import item_detail as item_detail
from .requests import item_mark as item_mark
from .requests import item_remove as item_remove
from .requests import marking_lift as marking_lift
from .requests import request_add as request_add
from .requests import request_create as request_create
from .requests import request_decide as request_decide
from .requests import request_detail as request_detail
from .requests import request_pdf as request_pdf
from .requests import request_withdraw as request_withdraw
from .requests import request_zip as request_zip
from .retention import DisposalBatchList as DisposalBatchList
from .retention import batch_detail as batch_detail
from .retention import disposal_propose as disposal_propose
from .retention import ground_list as ground_list
from .retention import plan as plan
from .retention import recordtype_detail as recordtype_detail
