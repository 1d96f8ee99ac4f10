"""WeChat adapter: JS-SDK config signatures, web OAuth (snsapi_base) into pseudonymous
participant accounts, and the shared access_token / jsapi_ticket. Its sub-package
channel/ sends inbox messages as WeChat subscription messages.

Invariants: an openid is never stored or logged in the clear — the account's identity is
its keyed hash (accounts.service.subject_hashes), and only a participant who asked for
WeChat messages has a sealed (AES-GCM) copy, which is what a message must be addressed
to. access_token and jsapi_ticket live in one database row each and are refreshed by one
worker at a time under a lease, ahead of expiry, so all workers share one value and
WeChat's daily quota is not burnt by a crowd of processes. WeChat failures reach clients
as 502 `wechat_unavailable` without any secret in the body.
"""
