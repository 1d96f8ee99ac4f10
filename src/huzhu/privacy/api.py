"""A person's own data over the API: `GET /me/export`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.deps import SessionDep, SettingsDep
from huzhu.privacy import service

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
