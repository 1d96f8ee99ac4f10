"""Requests that look like people's, for tests over a real server whose subject is not
the inline risk screen."""

from __future__ import annotations

# A person's phone: an assist with it is counted unless something else is wrong. httpx's
# own user agent names a library, which the inline screen holds for review.
PHONE = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile",
    "Accept-Language": "zh-CN,zh;q=0.9",
}

# Every test request comes from loopback: the inline rules that hold fresh accounts, or
# assists with no share open, from one network as a group would hold them all. Off
# (their own tests cover them); the rest of the screen stays on.
LOOPBACK_CROWD_ENV = {
    "HUZHU_RISK__INLINE_ENABLED": "true",
    "HUZHU_RISK__GROUP_INSTANCE_ASSISTS": "0",
    "HUZHU_RISK__GROUP_CAMPAIGN_ASSISTS": "0",
    "HUZHU_RISK__BURST_INSTANCE_ASSISTS": "0",
    "HUZHU_RISK__BURST_CAMPAIGN_ASSISTS": "0",
}
