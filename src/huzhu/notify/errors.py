"""Errors of the notify domain."""

from __future__ import annotations

from huzhu.errors import InvalidInput, NotFound
from huzhu.notify.kinds import Kind


class EndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"
    title = "No such webhook endpoint in this shop"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    title = "No such webhook delivery in this shop"


class InvalidWebhookUrl(InvalidInput):
    code = "invalid_webhook_url"
    title = "The webhook URL is not allowed"


class InboxMessageNotFound(NotFound):
    """Also for another person's message: whether it exists is not theirs to learn."""

    code = "inbox_message_not_found"
    title = "No such message in your inbox"


class UnknownInboxKind(InvalidInput):
    code = "unknown_inbox_kind"
    title = "No such kind of inbox message"


class KindNotMuteable(InvalidInput):
    """Decisions on a person's account and appeals always reach them: the ladder's
    promise is that every action is told and can be appealed. One code per kind, so a
    client can say which."""

    code = "kind_not_muteable"
    title = "This kind of message cannot be muted"


class EnforcementNotMuteable(KindNotMuteable):
    code = "enforcement_not_muteable"
    title = "Decisions on your account cannot be muted"


class AppealOutcomeNotMuteable(KindNotMuteable):
    code = "appeal_outcome_not_muteable"
    title = "Decisions on your appeals cannot be muted"


NOT_MUTEABLE: dict[Kind, type[KindNotMuteable]] = {
    Kind.ENFORCEMENT: EnforcementNotMuteable,
    Kind.APPEAL_OUTCOME: AppealOutcomeNotMuteable,
}
