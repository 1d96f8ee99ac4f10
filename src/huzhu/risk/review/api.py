"""Routes of the review queue: participants report; analysts list, assign, decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.deps import SessionDep, SettingsDep
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.schemas import ActionOut
from huzhu.pagination import Page, PageParams, page_params
from huzhu.risk.review import service
from huzhu.risk.review.schemas import (
    CaseDecision,
    CaseDetail,
    CaseKindFilter,
    CaseOut,
    CaseStatusFilter,
    ConfirmIn,
    DismissIn,
    FraudReportIn,
    ReportIn,
    ReportOut,
    SpamReportIn,
)

# Ids are positive 64-bit integers; saying so in the schema keeps out-of-range ids
# schema-invalid instead of "valid ids the server refuses".
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]

router = APIRouter(tags=["review"])

Paging = Annotated[PageParams, Depends(page_params)]
Reader = Annotated[Principal, Depends(require(Permission.REVIEW_READ))]
Decider = Annotated[Principal, Depends(require(Permission.REVIEW_DECIDE))]


@router.post("/reports", response_model=ReportOut, status_code=status.HTTP_201_CREATED)
def file_report(
    body: ReportIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.REPORT_FILE))],
) -> ReportOut:
    """Report a sender for spam or an instance for fraud; it joins the open review case
    about the same subject or opens one. 404 `reported_account_not_found`,
    `instance_not_found`; 409 `already_reported`; 403 `cannot_report_self`; 429
    `report_limit` (reports a day, `HUZHU_ENFORCEMENT__REPORTS_PER_DAY`)."""
    report = service.file_report(
        session,
        settings,
        shop_id=principal.shop_id,
        reporter_id=principal.subject_id,
        kind=body.kind,
        account_id=body.account_id if isinstance(body, SpamReportIn) else None,
        instance_id=body.instance_id if isinstance(body, FraudReportIn) else None,
        text=body.text,
    )
    return ReportOut.model_validate(report)


@router.get("/review/cases", response_model=Page[CaseOut])
def list_cases(
    session: SessionDep,
    principal: Reader,
    params: Paging,
    status: Annotated[CaseStatusFilter | None, Query(description="only this status")] = None,
    kind: Annotated[CaseKindFilter | None, Query(description="only this kind")] = None,
    account_id: Annotated[int | None, Query(ge=1, description="only about this account")] = None,
    assignee_operator_id: Annotated[int | None, Query(ge=1)] = None,
) -> Page[CaseOut]:
    """The review queue, newest first."""
    rows, cursor = service.list_cases(
        session,
        params,
        shop_id=principal.shop_id,
        status=status.value if status else None,
        kind=kind.value if kind else None,
        account_id=account_id,
        assignee_operator_id=assignee_operator_id,
    )
    return Page[CaseOut](items=[CaseOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/review/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: IdPath, session: SessionDep, principal: Reader) -> CaseDetail:
    """A case with its evidence, its reports and the actions taken on it; each read is
    in the audit log. 404 `review_case_not_found`."""
    case = service.read_case(session, principal, case_id=case_id)
    actions, _ = enforcement.list_actions(
        session, PageParams(limit=200), shop_id=principal.shop_id, case_id=case.id
    )
    return CaseDetail(
        **CaseOut.model_validate(case).model_dump(),
        evidence=case.evidence or {},
        reports=[ReportOut.model_validate(r) for r in service.reports_of(session, case.id)],
        actions=[ActionOut.model_validate(a) for a in actions],
    )


@router.post("/review/cases/{case_id}/assign", response_model=CaseOut)
def assign_case(case_id: IdPath, session: SessionDep, principal: Decider) -> CaseOut:
    """Take the case (assign it to me). 404 `review_case_not_found`; 409
    `case_already_decided`, `not_an_operator`."""
    case = service.assign_case(
        session,
        shop_id=principal.shop_id,
        case_id=case_id,
        operator_id=enforcement.operator_id_of(session, principal),
        actor=enforcement.actor_of(session, principal),
    )
    return CaseOut.model_validate(case)


@router.post("/review/cases/{case_id}/confirm", response_model=CaseDecision)
def confirm_case(
    case_id: IdPath, body: ConfirmIn, session: SessionDep, settings: SettingsDep, principal: Decider
) -> CaseDecision:
    """Confirm the case and act on it (`enforce`: by default the rule registered for
    the case's kind; `outcome` says what a fraud report's rule did). 404
    `review_case_not_found`; 409 `case_already_decided`."""
    case, actions = service.confirm_case(
        session,
        settings,
        shop_id=principal.shop_id,
        case_id=case_id,
        reason=body.reason,
        enforce=body.enforce,
        actor=enforcement.actor_of(session, principal),
    )
    return CaseDecision(
        case=CaseOut.model_validate(case),
        actions=[ActionOut.model_validate(a) for a in actions],
        outcome=(case.evidence or {}).get("rule_outcome"),
    )


@router.post("/review/cases/{case_id}/dismiss", response_model=CaseOut)
def dismiss_case(
    case_id: IdPath, body: DismissIn, session: SessionDep, principal: Decider
) -> CaseOut:
    """Dismiss the case: no breach. 404 `review_case_not_found`; 409
    `case_already_decided`."""
    case = service.dismiss_case(
        session,
        shop_id=principal.shop_id,
        case_id=case_id,
        reason=body.reason,
        actor=enforcement.actor_of(session, principal),
    )
    return CaseOut.model_validate(case)
