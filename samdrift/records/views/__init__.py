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
from .register import CaseAttach as CaseAttach
from .register import CaseClose as CaseClose
from .register import CaseHold as CaseHold
from .register import CaseList as CaseList
from .register import attachment_download as attachment_download
from .register import case_create as case_create
from .register import case_detail as case_detail
from .requests import AccessRequestList as AccessRequestList
from .requests import ItemDecide as ItemDecide
from .requests import ItemMark as ItemMark
from .requests import ItemRemove as ItemRemove
from .requests import MarkingLift as MarkingLift
from .requests import RequestAdd as RequestAdd
from .requests import RequestDecide as RequestDecide
from .requests import RequestWithdraw as RequestWithdraw
from .requests import item_detail as item_detail
from .requests import request_create as request_create
from .requests import request_detail as request_detail
from .requests import request_pdf as request_pdf
from .requests import request_zip as request_zip
from .retention import DisposalBatchList as DisposalBatchList
from .retention import batch_detail as batch_detail
from .retention import disposal_propose as disposal_propose
from .retention import ground_list as ground_list
from .retention import plan as plan
from .retention import recordtype_detail as recordtype_detail
