"""The partner's report: upload (kept as received), column mapping, the dry run that lists every
exception to resolve, the resolutions, and applying it all-or-nothing.

The dry run writes one `ReportLine` per row (and one per device missing from the report after the
partner's deadline), each with the exception found, if any. Nothing else changes until the report
is applied: then, in one transaction, every reported device gets its certificate, its asset goes
erased → reused/resold/recycled, its CO2e avoided is computed with factor and source, each owner's
residual value is credited on its next invoice through billing, and each owner's security officer
gets one incident listing the devices that were not erased or are missing.

The work is split by subject: `report_files` (columns, values, upload), `report_check` (the dry run
and resolving exceptions) and `report_apply` (applying); this module keeps their public names
where callers import them.
"""

from samdrift.circular.report_apply import (
    APPLY_VALUES,
    CERTIFICATE_COLUMNS,
    Stale,
    certificate_number,
    check_may_close,
    co2e_avoided,
    co2e_factors,
    do_apply_report,
)
from samdrift.circular.report_check import (
    Parsed,
    check_report,
    do_resolve_line,
    missing_deadline,
    start_apply,
    start_check,
)
from samdrift.circular.report_files import (
    ALIASES,
    FIELDS,
    MAX_BYTES,
    REQUIRED,
    clean_columns,
    do_set_report_columns,
    do_upload_report,
    guess_columns,
    headers_of,
    parse_method,
    parse_outcome,
    parse_result,
    parse_when,
)

__all__ = [
    "ALIASES", "APPLY_VALUES", "CERTIFICATE_COLUMNS", "FIELDS", "MAX_BYTES", "REQUIRED", "Parsed",
    "Stale", "certificate_number", "check_may_close", "check_report", "clean_columns", "co2e_avoided",
    "co2e_factors", "do_apply_report", "do_resolve_line", "do_set_report_columns", "do_upload_report",
    "guess_columns", "headers_of", "missing_deadline", "parse_method", "parse_outcome", "parse_result",
    "parse_when", "start_apply", "start_check",
]  # fmt: skip
