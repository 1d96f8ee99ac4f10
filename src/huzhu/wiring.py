"""Plugs domains into the extension points of the domains below them: the one place.

Imports go downward only (STYLE.md), so where a lower domain's use case must let a
higher domain act inside it, the lower one offers a registry and the higher one is
registered here instead of being imported. The inbox (notify) does not know WeChat, yet
every inbox message to a person who asked for WeChat messages gets its `wechat_message`
row in the same transaction as the message; enforcement does not know the review queue
(risk), yet an action citing a case that is not there is refused; the inbox does not know
invite preferences (invites), yet its pushes wait out the person's quiet hours; batch
ring detection (risk) does not know share opens (invites), yet weighs them.

`wire()` is explicit and idempotent, and every process entry calls it before doing work:
`create_app` (the API server and its in-process job runner), the `huzhu` command's root
callback (worker, detect, demo and its seed, shop) and the tests' conftest. Not an
import side effect: a registration that happens only because some module happened to be
imported is one a reader cannot find, and is silently missing from the process that
forgot the import.
"""

from __future__ import annotations

from huzhu.enforcement import service as enforcement
from huzhu.invites import direct as invite_direct
from huzhu.invites import service as invites
from huzhu.notify import service as notify
from huzhu.risk import detect_service
from huzhu.risk.review import service as review
from huzhu.wechat.channel import service as wechat_channel


def wire() -> None:
    notify.register_inbox_channel(
        "wechat", wechat_channel.queue_for_inbox_message, reaches=wechat_channel.reaches
    )
    # Pushes from the inbox wait out the quiet hours of the person's invite preferences.
    notify.register_push_timing(invites.push_window)
    # An invite's message stores no token: its links are signed again when it is read.
    notify.register_read_params(notify.Kind.INVITE_RECEIVED, invite_direct.invite_links)
    # An explicit enforcement action may cite a review case (POST /enforcement/actions).
    enforcement.register_case_check(review.get_case)
    # Batch ring detection weighs the opens of a group's assists (their time, phone and
    # network) without risk importing invites, which builds on it.
    detect_service.register_open_reader(invites.open_facts)
