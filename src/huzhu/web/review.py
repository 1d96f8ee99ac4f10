"""The console's trust-and-safety pages: the review queue (spam reports, fraud cases),
a case with its reports and the actions taken on it, and appeals.

Same services and permissions as the API (`risk.review.service`, `enforcement.service`;
review.read, review.decide, appeal.decide): an analyst takes a case, confirms it (and
the enforcement ladder acts) or dismisses it, and decides appeals — each decision with
a reason, recorded in the audit log by those services. Accounts appear by their
pseudonymous ids only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.accounts.rules import Permission, Principal
from huzhu.assists import service as assists
from huzhu.assists.rules import AssistStatus
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.rules import AppealStatus
from huzhu.errors import Forbidden, HuzhuError
from huzhu.pagination import PageParams
from huzhu.risk.review import service as reviews
from huzhu.risk.review.rules import (
    CaseKind,
    CaseStatus,
    group_activities,
    group_reached,
    group_rules,
)
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, redirect
from huzhu.web.templating import render

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
LIST = PageParams(limit=100)
CASE_STATUSES = tuple(CaseStatus)
APPEAL_STATUSES = tuple(AppealStatus)
ENFORCE_CHOICES = (
    "rule",
    "none",
    "next",
    "warning",
    "invite_restriction_1d",
    "invite_restriction_7d",
    "participation_restriction",
    "ban",
)
REASON_MAX = 1000


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _operator(request: Request, permission: Permission) -> Principal | None:
    settings = _settings(request)
    principal = await in_one_unit_of_work(request, lambda s: auth.operator(request, s, settings))
    if principal is not None and not auth.may(principal, permission):
        raise Forbidden(f"role {principal.role.value} lacks {permission.value}")
    return principal


def _reason(data: dict[str, str]) -> str | None:
    reason = data.get("reason", "").strip()
    return reason if 1 <= len(reason) <= REASON_MAX else None


@router.get("/review")
async def review_queue(request: Request) -> Response:
    principal = await _operator(request, Permission.REVIEW_READ)
    if principal is None:
        return redirect("/console/login", next="/console/review")
    status = request.query_params.get("status", CaseStatus.OPEN)
    chosen = status if status in CASE_STATUSES else None
    cases, _ = await in_one_unit_of_work(
        request,
        lambda s: reviews.list_cases(s, LIST, shop_id=principal.shop_id, status=chosen),
    )
    return render(
        request,
        "console/review.html",
        viewer=await auth.viewer(request, _settings(request), principal=principal),
        cases=cases,
        shown=chosen or "all",
        statuses=CASE_STATUSES,
    )


def _case_page(session: Session, principal: Principal, case_id: int) -> dict[str, Any]:
    case = reviews.read_case(session, principal, case_id=case_id)
    actions, _ = enforcement.list_actions(session, LIST, shop_id=principal.shop_id, case_id=case.id)
    found: dict[str, Any] = {
        "case": case,
        "reports": reviews.reports_of(session, case.id),
        "actions": actions,
        "held": _held_on(session, principal, case),
    }
    if case.kind == CaseKind.INLINE_GROUP:
        # What held the group, for the page to name in the reader's language.
        found["group_rules"] = group_rules(case.evidence)
        found["group_activities"] = group_activities(case.evidence)
        found["group_reached"] = group_reached(case.evidence)
    return found


def _held_on(session: Session, principal: Principal, case: Any) -> list[Any] | None:
    """A spike's evidence beside its window's counts: the assists held on its activity
    now — what confirming voids and dismissing counts (a campaign spike holds none)."""
    if case.kind != CaseKind.SPIKE or case.instance_id is None:
        return None
    rows, _ = assists.read_assists(
        session, LIST, principal=principal, instance_id=case.instance_id, status=AssistStatus.HELD
    )
    return rows


@router.get("/review/{case_id}")
async def review_case(case_id: int, request: Request) -> Response:
    principal = await _operator(request, Permission.REVIEW_READ)
    if principal is None:
        return redirect("/console/login", next=f"/console/review/{case_id}")
    found = await in_one_unit_of_work(request, lambda s: _case_page(s, principal, case_id))
    return render(
        request,
        "console/review_case.html",
        viewer=await auth.viewer(request, _settings(request), principal=principal),
        may_decide=auth.may(principal, Permission.REVIEW_DECIDE),
        enforce_choices=ENFORCE_CHOICES,
        mutual_help_reason_min_chars=_settings(request).detect.mutual_help_reason_min_chars,
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
        **found,
    )


@router.post("/review/{case_id}/{decision}")
async def decide_case(case_id: int, decision: str, request: Request) -> Response:
    data = await form_of(request)
    principal = await _operator(request, Permission.REVIEW_DECIDE)
    if principal is None:
        return redirect("/console/login")
    settings = _settings(request)
    back = f"/console/review/{case_id}"
    reason = _reason(data)
    if decision in ("confirm", "dismiss") and reason is None:
        return redirect(back, error="reason_required")
    enforce = data.get("enforce", "rule")
    if enforce not in ENFORCE_CHOICES:
        enforce = "rule"

    def _decide(session: Session) -> str:
        actor = enforcement.actor_of(session, principal)
        if decision == "take":
            reviews.assign_case(
                session,
                shop_id=principal.shop_id,
                case_id=case_id,
                operator_id=enforcement.operator_id_of(session, principal),
                actor=actor,
            )
            return "case_taken"
        if decision == "confirm":
            reviews.confirm_case(
                session,
                settings,
                shop_id=principal.shop_id,
                case_id=case_id,
                reason=reason or "",
                enforce=enforce,
                actor=actor,
            )
            return "case_confirmed"
        if decision == "dismiss":
            case = reviews.dismiss_case(
                session,
                shop_id=principal.shop_id,
                case_id=case_id,
                reason=reason or "",
                actor=actor,
            )
            # A case a detector opened (a spike, a hold) has no reporters to tell.
            return "case_dismissed" if case.report_count else "case_dismissed_unreported"
        return ""

    try:
        notice = await in_one_unit_of_work(request, _decide)
    except HuzhuError as exc:
        if exc.status == 404:
            raise
        return redirect(back, **messages.problem_query(request, exc))
    return redirect(back, notice=notice or None)


@router.get("/appeals")
async def appeals(request: Request) -> Response:
    principal = await _operator(request, Permission.APPEAL_DECIDE)
    if principal is None:
        return redirect("/console/login", next="/console/appeals")
    status = request.query_params.get("status", AppealStatus.PENDING)
    chosen = status if status in APPEAL_STATUSES else None

    def _load(session: Session) -> tuple[list[Any], dict[int, Any]]:
        rows, _ = enforcement.list_appeals(session, LIST, shop_id=principal.shop_id, status=chosen)
        acted = {
            a.action_id: enforcement.get_action(
                session, shop_id=principal.shop_id, action_id=a.action_id
            )
            for a in rows
        }
        return rows, acted

    rows, acted = await in_one_unit_of_work(request, _load)
    return render(
        request,
        "console/appeals.html",
        viewer=await auth.viewer(request, _settings(request), principal=principal),
        appeals=rows,
        actions=acted,
        shown=chosen or "all",
        statuses=APPEAL_STATUSES,
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
    )


@router.post("/appeals/{appeal_id}/{decision}")
async def decide_appeal(appeal_id: int, decision: str, request: Request) -> Response:
    data = await form_of(request)
    principal = await _operator(request, Permission.APPEAL_DECIDE)
    if principal is None:
        return redirect("/console/login")
    reason = _reason(data)
    if decision not in ("uphold", "lift"):
        return redirect("/console/appeals")
    if reason is None:
        return redirect("/console/appeals", error="reason_required")

    def _decide(session: Session) -> None:
        enforcement.decide_appeal(
            session,
            shop_id=principal.shop_id,
            appeal_id=appeal_id,
            lift_action=decision == "lift",
            reason=reason,
            actor=enforcement.actor_of(session, principal),
        )

    try:
        await in_one_unit_of_work(request, _decide)
    except HuzhuError as exc:
        if exc.status == 404:
            raise
        return redirect("/console/appeals", **messages.problem_query(request, exc))
    return redirect("/console/appeals", notice=f"appeal_{decision}")
