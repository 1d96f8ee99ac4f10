"""What the invites domain forgets (privacy/retention.py runs it): share opens past
`retention.share_opens_days`, with the keyed hashes of the network, phone and user agent
they carry, folded into per link and day counts so that open counts stay true."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.db.batches import delete_ids
from huzhu.invites import repository as repo
from huzhu.invites.models import ShareOpen
from huzhu.kit import clock


def fold_share_opens(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` opens from before `before` become counts and leave; how many went.
    The counts and the deletion are one transaction: an open is counted exactly once."""
    opens = repo.expired_opens(session, before=before, limit=limit)
    days: Counter[tuple[int, int, int, str, str]] = Counter(
        (
            o.share_link_id,
            o.shop_id,
            o.instance_id,
            o.channel,
            clock.as_utc(o.opened_at).date().isoformat(),
        )
        for o in opens
    )
    repo.add_open_days(
        session,
        [
            {
                "share_link_id": link,
                "shop_id": shop,
                "instance_id": instance,
                "channel": channel,
                "day": day,
                "opens": n,
            }
            for (link, shop, instance, channel, day), n in sorted(days.items())
        ],
    )
    return delete_ids(session, ShareOpen, [o.id for o in opens])


def open_counts(session: Session, *, instance_ids: list[int]) -> dict[int, int]:
    """Every open of these instances ever recorded, kept or folded."""
    return repo.open_counts(session, instance_ids=instance_ids)
