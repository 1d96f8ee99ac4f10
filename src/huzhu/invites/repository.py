"""Queries of the invites domain, named by intent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    CursorResult,
    Row,
    Select,
    Subquery,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from huzhu.db.series import per_bucket, read_series
from huzhu.invites.models import (
    AccountBlock,
    AccountMute,
    Contact,
    Invite,
    InvitePreference,
    ShareLink,
    ShareOpen,
    ShareOpenDay,
)

RelationModel = type[AccountMute] | type[AccountBlock] | type[Contact]


def share_link(session: Session, link_id: int) -> ShareLink | None:
    return session.get(ShareLink, link_id)


_link = cast(Table, ShareLink.__table__)
_open = cast(Table, ShareOpen.__table__)
# Share opens read and write through Core: they are the most frequent write of a live
# campaign (every click on a shared link), and the ORM's unit of work costs several
# times their statements.
_LINK_FACTS = select(
    *(
        _link.c[name]
        for name in (
            "id", "shop_id", "instance_id", "sender_id", "channel", "kid", "issued_at",
            "expires_at", "revoked_at",
        )
    )
).where(_link.c.id == bindparam("link_id"))  # fmt: skip
_INSERT_OPEN = insert(_open).returning(_open.c.id)


def share_link_facts(session: Session, link_id: int) -> Row[Any] | None:
    """A link's columns (attribute names as on ShareLink), without loading the object."""
    return session.connection().execute(_LINK_FACTS, {"link_id": link_id}).first()


def insert_share_open(session: Session, values: dict[str, Any]) -> int:
    return int(session.connection().execute(_INSERT_OPEN, values).scalar_one())


class OpenFacts(NamedTuple):
    """What batch ring detection reads of one open: when, and the keyed hashes of its
    network and phone (None when not known)."""

    id: int
    opened_at: datetime
    net_hash: str | None
    device_hash: str | None


# Bound parameters per IN list: well under SQLite's and PostgreSQL's limits.
_IN_CHUNK = 500


def open_facts(session: Session, open_ids: list[int]) -> list[OpenFacts]:
    found: list[OpenFacts] = []
    for start in range(0, len(open_ids), _IN_CHUNK):
        chunk = open_ids[start : start + _IN_CHUNK]
        stmt = select(
            ShareOpen.id, ShareOpen.opened_at, ShareOpen.ip_prefix_hash, ShareOpen.device_hash
        ).where(ShareOpen.id.in_(chunk))
        found.extend(OpenFacts(*row) for row in session.execute(stmt))
    return found


def share_links_of_sender_query(*, shop_id: int, sender_id: int) -> Select[ShareLink]:
    return select(ShareLink).where(ShareLink.shop_id == shop_id, ShareLink.sender_id == sender_id)


def newest_live_link(
    session: Session, *, instance_id: int, sender_id: int, channel: str, kid: str, now: datetime
) -> ShareLink | None:
    """The sender's newest unrevoked, unexpired link of one instance and channel, signed
    with `kid` (group links are per group, so never reused this way)."""
    return session.scalars(
        select(ShareLink)
        .where(
            ShareLink.instance_id == instance_id,
            ShareLink.sender_id == sender_id,
            ShareLink.channel == channel,
            ShareLink.group_hash.is_(None),
            ShareLink.revoked_at.is_(None),
            ShareLink.kid == kid,
            ShareLink.expires_at > now,
        )
        .order_by(ShareLink.id.desc())
        .limit(1)
    ).first()


def preference(session: Session, account_id: int) -> InvitePreference | None:
    return session.get(InvitePreference, account_id)


def is_blocked_either_way(session: Session, a: int, b: int) -> bool:
    stmt = select(AccountBlock.account_id).where(
        or_(
            (AccountBlock.account_id == a) & (AccountBlock.blocked_id == b),
            (AccountBlock.account_id == b) & (AccountBlock.blocked_id == a),
        )
    )
    return session.execute(stmt.limit(1)).first() is not None


def has_muted(session: Session, *, account_id: int, sender_id: int) -> bool:
    return session.get(AccountMute, (account_id, sender_id)) is not None


def has_contact(session: Session, *, account_id: int, contact_id: int) -> bool:
    return session.get(Contact, (account_id, contact_id)) is not None


def _table(model: RelationModel) -> tuple[Table, str]:
    """The relation's table and the name of its "other person" column."""
    other = {AccountMute: "muted_id", AccountBlock: "blocked_id", Contact: "contact_id"}[model]
    return cast(Table, model.__table__), other


def add_relation(
    session: Session, model: RelationModel, *, account_id: int, other_id: int, now: datetime
) -> bool:
    """Insert the pair unless it is there (True when it was added). ON CONFLICT DO
    NOTHING, so two taps at once add it once and neither fails."""
    table, other = _table(model)
    values = {"account_id": account_id, other: other_id, "created_at": now}
    dialect = session.get_bind().dialect.name
    ins = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    result = session.execute(ins.values(**values).on_conflict_do_nothing())
    return bool(cast(CursorResult[Any], result).rowcount)


def remove_relation(
    session: Session, model: RelationModel, *, account_id: int, other_id: int
) -> bool:
    table, other = _table(model)
    stmt = delete(table).where(table.c.account_id == account_id, table.c[other] == other_id)
    return bool(cast(CursorResult[Any], session.execute(stmt)).rowcount)


def relations_of(session: Session, model: RelationModel, account_id: int) -> list[int]:
    table, other = _table(model)
    stmt = select(table.c[other]).where(table.c.account_id == account_id)
    return [int(v) for v in session.scalars(stmt.order_by(table.c[other]).limit(1000))]


def relations_since(
    session: Session, model: RelationModel, account_id: int
) -> list[tuple[int, datetime]]:
    """The person's relations of one kind with when each was made, newest first."""
    table, other = _table(model)
    stmt = select(table.c[other].label("other_id"), table.c.created_at).where(
        table.c.account_id == account_id
    )
    rows = session.execute(stmt.order_by(table.c.created_at.desc(), table.c[other]).limit(1000))
    return [(int(row.other_id), row.created_at) for row in rows]


def invite_messages_from(session: Session, *, recipient_id: int, sender_id: int) -> list[int]:
    """The inbox messages that carried the sender's invites to the recipient."""
    stmt = select(Invite.inbox_message_id).where(
        Invite.recipient_id == recipient_id,
        Invite.sender_id == sender_id,
        Invite.inbox_message_id.is_not(None),
    )
    return [v for v in session.scalars(stmt) if v is not None]


def invites_sent_between(
    session: Session, *, sender_id: int, since: datetime, until: datetime
) -> int:
    stmt = select(func.count()).where(
        Invite.sender_id == sender_id, Invite.created_at >= since, Invite.created_at < until
    )
    return int(session.scalar(stmt) or 0)


def _reached_by(sender_id: int, person: Any) -> Any:
    """EXISTS a delivered invite from the sender to `person` (a column)."""
    return (
        select(Invite.id)
        .where(Invite.recipient_id == person, Invite.sender_id == sender_id)
        .exists()
    )


def mutes_and_blocks_of_sender_since(session: Session, *, sender_id: int, since: datetime) -> int:
    """People the sender's invites reached who then muted or blocked them lately (one who
    did both counts twice: a block is the stronger signal). A mute from someone who was
    never invited says nothing about the sender's invites — counting it would let a few
    fresh accounts silence anyone. One statement: it runs on every invite."""
    mutes = (
        select(func.count())
        .where(
            AccountMute.muted_id == sender_id,
            AccountMute.created_at >= since,
            _reached_by(sender_id, AccountMute.account_id),
        )
        .scalar_subquery()
    )
    blocks = (
        select(func.count())
        .where(
            AccountBlock.blocked_id == sender_id,
            AccountBlock.created_at >= since,
            _reached_by(sender_id, AccountBlock.account_id),
        )
        .scalar_subquery()
    )
    return int(session.scalar(select(mutes + blocks)) or 0)


def reach_of_instances(instance_ids: Select[Any]) -> Subquery:
    """Who reached whom through direct invites to these instances: (recipient_id,
    sender_id, first_at), the pair's first invite."""
    return (
        select(
            Invite.recipient_id.label("recipient_id"),
            Invite.sender_id.label("sender_id"),
            func.min(Invite.created_at).label("first_at"),
        )
        .where(Invite.instance_id.in_(instance_ids))
        .group_by(Invite.recipient_id, Invite.sender_id)
        .subquery()
    )


def invites_to_instances_upto(
    session: Session, *, instance_ids: Select[Any], edges: Sequence[datetime]
) -> list[int]:
    stmt = per_bucket(Invite.created_at, edges).where(Invite.instance_id.in_(instance_ids))
    return read_series(session, stmt, len(edges))


def complaints_after_reach_upto(
    session: Session, *, reach: Subquery, edges: Sequence[datetime]
) -> dict[str, list[int]]:
    """Mutes and blocks of a sender by someone their invite reached, made after it."""
    found: dict[str, list[int]] = {}
    for kind, model, other in (
        ("mutes", AccountMute, AccountMute.muted_id),
        ("blocks", AccountBlock, AccountBlock.blocked_id),
    ):
        stmt = per_bucket(model.created_at, edges).join(
            reach,
            (reach.c.recipient_id == model.account_id)
            & (reach.c.sender_id == other)
            & (model.created_at >= reach.c.first_at),
        )
        found[kind] = read_series(session, stmt, len(edges))
    return found


def reached_among(session: Session, *, sender_id: int, people: list[int]) -> int:
    """How many of `people` received a delivered invite from the sender."""
    if not people:
        return 0
    return int(
        session.scalar(
            select(func.count(func.distinct(Invite.recipient_id))).where(
                Invite.sender_id == sender_id, Invite.recipient_id.in_(people)
            )
        )
        or 0
    )


def share_links_issued_by(session: Session, sender_id: int) -> list[ShareLink]:
    stmt = select(ShareLink).where(ShareLink.sender_id == sender_id).order_by(ShareLink.id)
    return list(session.scalars(stmt))


def invites_sent_by(session: Session, sender_id: int) -> list[Invite]:
    stmt = select(Invite).where(Invite.sender_id == sender_id).order_by(Invite.id)
    return list(session.scalars(stmt))


def invites_received_by(session: Session, recipient_id: int) -> list[Invite]:
    stmt = select(Invite).where(Invite.recipient_id == recipient_id).order_by(Invite.id)
    return list(session.scalars(stmt))


# -- retention -------------------------------------------------------------------------


class ExpiredOpen(NamedTuple):
    id: int
    share_link_id: int
    shop_id: int
    instance_id: int
    channel: str
    opened_at: datetime


def expired_opens(session: Session, *, before: datetime, limit: int) -> list[ExpiredOpen]:
    stmt = (
        select(
            ShareOpen.id,
            ShareOpen.share_link_id,
            ShareOpen.shop_id,
            ShareOpen.instance_id,
            ShareOpen.channel,
            ShareOpen.opened_at,
        )
        .where(ShareOpen.opened_at < before)
        .order_by(ShareOpen.id)
        .limit(limit)
    )
    return [ExpiredOpen(*row) for row in session.execute(stmt)]


def add_open_days(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add each row's `opens` to its (link, day) count, creating it if new: one
    INSERT … ON CONFLICT DO UPDATE per row, so two sweeps never lose a count."""
    dialect = session.get_bind().dialect.name
    table = cast(Table, ShareOpenDay.__table__)
    for row in rows:
        ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(**row)
        session.execute(
            ins.on_conflict_do_update(
                index_elements=["share_link_id", "day"],
                set_={"opens": table.c.opens + ins.excluded.opens},
            )
        )


def open_counts(session: Session, *, instance_ids: list[int]) -> dict[int, int]:
    """Opens per instance: those still kept plus the per-day counts of removed ones."""
    counts = dict.fromkeys(instance_ids, 0)
    for start in range(0, len(instance_ids), _IN_CHUNK):
        chunk = instance_ids[start : start + _IN_CHUNK]
        kept = select(ShareOpen.instance_id, func.count()).where(ShareOpen.instance_id.in_(chunk))
        folded = select(ShareOpenDay.instance_id, func.sum(ShareOpenDay.opens)).where(
            ShareOpenDay.instance_id.in_(chunk)
        )
        for stmt in (
            kept.group_by(ShareOpen.instance_id),
            folded.group_by(ShareOpenDay.instance_id),
        ):
            for instance_id, n in session.execute(stmt):
                counts[int(instance_id)] += int(n)
    return counts


def erase_relations_of(session: Session, account_id: int) -> None:
    """Every mute, block and contact the person made or was the other side of."""
    for model in (AccountMute, AccountBlock, Contact):
        table, other = _table(model)
        session.execute(
            delete(table).where(or_(table.c.account_id == account_id, table.c[other] == account_id))
        )


def erase_preference(session: Session, account_id: int) -> None:
    session.execute(delete(InvitePreference).where(InvitePreference.account_id == account_id))


def forget_inbox_messages_of(session: Session, recipient_id: int) -> None:
    """Invites received keep no pointer to the inbox message erased with their recipient."""
    session.execute(
        update(Invite).where(Invite.recipient_id == recipient_id).values(inbox_message_id=None)
    )
