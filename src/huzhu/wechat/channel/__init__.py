"""The WeChat channel of the inbox: an inbox message to a participant who asked for
WeChat messages is also sent as a subscription message (`message/subscribe/send`).

Never inline in a request: the channel is registered with notify's inbox
(huzhu/wiring.py), so `notify.service.send_inbox_message` queues a `wechat_message` row
in the same transaction as the inbox message (it exists iff the message committed), and
the runners' periodic `notify.wechat_deliver` (tasks.py) sends it — claim committed
before the network call, outcome recorded after, retried with backoff. The inbox keeps
every message whatever WeChat does: WeChat is a second copy, never the only one.

The channel depends on notify (and on the WeChat adapter, wechat.service), never the
reverse: notify knows only that some channel registered.
"""
