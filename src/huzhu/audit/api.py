"""Routes of the audit domain: the shop's log, for its owners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.audit import service
from huzhu.audit.schemas import AuditFilter, AuditOut
from huzhu.deps import SessionDep
from huzhu.pagination import Page, PageParams, page_params

router = APIRouter(tags=["audit"])

Owner = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/audit", response_model=Page[AuditOut])
def list_audit(
    session: SessionDep,
    principal: Owner,
    params: Paging,
    where: Annotated[AuditFilter, Query()],
) -> Page[AuditOut]:
    """The shop's append-only audit log, newest first: every operator read of personal
    data, void, enforcement step, campaign change, export and deletion. Owners only."""
    rows, cursor = service.list_entries(session, params, shop_id=principal.shop_id, where=where)
    return Page[AuditOut](items=[AuditOut.model_validate(r) for r in rows], next_cursor=cursor)
