"""Errors of the review queue."""

from huzhu.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited


class CaseNotFound(NotFound):
    code = "review_case_not_found"
    title = "No such review case"


class CaseAlreadyDecided(Conflict):
    code = "case_already_decided"
    title = "This case has been decided already"


class AlreadyReported(Conflict):
    code = "already_reported"
    title = "You have reported this already; it is waiting for review"


class CannotReportSelf(Forbidden):
    code = "cannot_report_self"
    title = "You cannot report yourself"


class ReportSubjectMissing(InvalidInput):
    code = "report_subject_missing"
    title = "Say whom or what you report"


class ReportedAccountNotFound(NotFound):
    code = "reported_account_not_found"
    title = "No such account in this shop"


class ReportLimit(RateLimited):
    """Carries `limit` and `retry_after` (also sent as the Retry-After header)."""

    code = "report_limit"
    title = "You have filed as many reports as you may today"


class MutualHelpNeedsAnalyst(Forbidden):
    code = "mutual_help_needs_analyst"
    title = "A likely mutual-help group is acted on only by an analyst"


class MutualHelpReasonRequired(InvalidInput):
    """Carries `min_chars`."""

    code = "mutual_help_reason_required"
    title = "Say why this likely mutual-help group is a ring before acting on it"
