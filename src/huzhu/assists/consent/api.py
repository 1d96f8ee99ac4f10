"""Routes of the name consent: a helper's choice, and the starter's view of who helped."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.assists.consent import service
from huzhu.assists.consent.schemas import HelperOut, NameConsentIn, NameConsentOut
from huzhu.assists.schemas import AssistIdPath, InstanceIdPath
from huzhu.deps import SessionDep, SettingsDep
from huzhu.errors import problem_doc

router = APIRouter(tags=["assists"])
Helper = Annotated[Principal, Depends(require(Permission.ASSIST_GIVE))]
Starter = Annotated[Principal, Depends(require(Permission.INSTANCE_READ_OWN))]


@router.put(
    "/assists/{assist_id}/name-consent",
    response_model=NameConsentOut,
    responses={
        403: problem_doc(403, "`not_your_assist`"),
        404: problem_doc(404, "`assist_not_found`"),
    },
)
def set_name_consent(
    assist_id: AssistIdPath, body: NameConsentIn, session: SessionDep, principal: Helper
) -> NameConsentOut:
    """Let the starter of the activity see my display name for this assist of mine
    (`shown: true`), or stop it. Off unless I turn it on; each change is kept in my
    consent history (my export's `consent_history`)."""
    return NameConsentOut.model_validate(
        service.set_name_consent(
            session,
            shop_id=principal.shop_id,
            account_id=principal.subject_id,
            assist_id=assist_id,
            shown=body.shown,
        )
    )


@router.get(
    "/me/instances/{instance_id}/helpers",
    response_model=list[HelperOut],
    responses={
        403: problem_doc(403, "`not_initiator`"),
        404: problem_doc(404, "`instance_not_found`"),
    },
)
def helpers_of_my_instance(
    instance_id: InstanceIdPath, session: SessionDep, settings: SettingsDep, principal: Starter
) -> list[HelperOut]:
    """Who helped my activity, oldest first: a helper's display name where they agreed
    to show it for this assist, a pseudonym (`#` and 6 hex characters, the same for one
    helper on this activity and nowhere else) otherwise."""
    helpers = service.helpers_seen_by_starter(
        session,
        settings,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        instance_id=instance_id,
    )
    return [HelperOut.model_validate(h) for h in helpers]
