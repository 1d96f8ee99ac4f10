"""Notify: the event outbox, webhooks and the participant inbox.

Every state change writes an `event` row in the same transaction as the change, so an
event exists if and only if the change committed. A dispatcher job fans events out to
webhook endpoints as deliveries; each delivery is signed (HMAC-SHA256 over timestamp and
body), retried with exponential backoff, and every attempt is logged.

The inbox knows no channel but itself: one that sends copies elsewhere (WeChat,
wechat/channel/) registers with `service.register_inbox_channel` and is called in the
transaction of each new message.
"""
