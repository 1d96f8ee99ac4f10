"""Errors of the notify domain."""

from __future__ import annotations

from huzhu.errors import InvalidInput, NotFound


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
