"""A person's own data over the API: `GET /me/export`, `DELETE /me`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.deps import SessionDep, SettingsDep
from huzhu.errors import problem_doc
from huzhu.privacy import service
from huzhu.privacy.schemas import Deleted

router = APIRouter(tags=["privacy"])
Self = Annotated[Principal, Depends(require(Permission.DATA_OWN))]


@router.get("/me/export")
def my_export(session: SessionDep, settings: SettingsDep, principal: Self) -> dict[str, Any]:
    """Everything tied to me, in one JSON document: my account, preferences (with my
    caps' history), activities I started, assists I gave (activity and time), links I
    issued, invites I sent and received, reports I filed, actions on me and my appeals,
    my orders and payments, my inbox and my WeChat subscription. Other people appear only
    as pseudonyms (`p_…`) that mean something only inside this document."""
    return service.export_of(
        session, settings, shop_id=principal.shop_id, account_id=principal.subject_id
    )


@router.delete(
    "/me",
    response_model=Deleted,
    responses={
        409: problem_doc(409, "`activities_running`, with `instance_ids`"),
        410: problem_doc(410, "`account_deleted`: deleted already"),
    },
)
def delete_me(session: SessionDep, settings: SettingsDep, principal: Self) -> Deleted:
    """Delete my account: my name, my login's link and my WeChat openid go, at once and
    for good; my tokens stop working (410 `account_deleted`). What stays names no one:
    the assists I gave stay counted, my orders stay in the ledger for the legal period,
    every draw stays verifiable. Refused while an activity of mine still runs or holds
    my money (409 `activities_running`, naming them). A restriction on me stays with my
    login until it ends."""
    return Deleted.model_validate(
        service.delete_account(
            session, settings, shop_id=principal.shop_id, account_id=principal.subject_id
        )
    )
