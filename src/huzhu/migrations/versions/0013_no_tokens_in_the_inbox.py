"""invite messages keep no token, orders can outlive their account's link, and the
unused share_name_consent column goes

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-07

An invite's inbox message stored the links it hands its recipient as URLs, tokens
included: the inviter's share link and the one-tap mute and unsubscribe links, which
never expire. From now on it stores only the share link's id, and the links are signed
again whenever the message is read or pushed (invites.direct.invite_links). Existing
invite messages are rewritten here to that form (the link's id from the invite that
points at the message); their stored title and body, which a message from before the
kinds registry kept with the URLs in it, are cleared, and the inviter's name, which the
message now reads from the inviter's account, is dropped.

An order (`purchase`) may lose its account once the legal period for money records is
over, as a payment already does (the retention sweep sets it to null). The account's
`share_name_consent` was never written or read: a helper's consent to show their name
is per assist, in `name_consent` (0010).

Downgrading puts the column and the NOT NULL back (an order already detached stops it)
but cannot give invite messages their tokens back: they were never to be kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INBOX = sa.table(
    "inbox_message",
    sa.column("id", sa.BigInteger()),
    sa.column("kind", sa.String()),
    sa.column("params", JSON),
    sa.column("title", sa.String()),
    sa.column("body", sa.Text()),
)
INVITE = sa.table(
    "invite",
    sa.column("inbox_message_id", sa.BigInteger()),
    sa.column("share_link_id", sa.BigInteger()),
    sa.column("instance_id", sa.BigInteger()),
)
INSTANCE = sa.table("instance", sa.column("id", sa.BigInteger()), sa.column("kind", sa.String()))


def _rebuildable(row: Any) -> dict[str, Any]:
    """What an invite message keeps: its activity and the id of the link it hands on."""
    old = row.params if isinstance(row.params, dict) else {}
    params = {k: old[k] for k in ("instance_id", "instance_kind") if k in old}
    if row.instance_id is not None:
        params.setdefault("instance_id", int(row.instance_id))
    if row.instance_kind is not None:
        params.setdefault("instance_kind", str(row.instance_kind))
    if row.share_link_id is not None:
        params["share_link_id"] = int(row.share_link_id)
    return params


def _rewrite_invite_messages() -> None:
    bind = op.get_bind()
    joined = INBOX.outerjoin(INVITE, INVITE.c.inbox_message_id == INBOX.c.id).outerjoin(
        INSTANCE, INSTANCE.c.id == INVITE.c.instance_id
    )
    rewrite = (
        sa.update(INBOX)
        .where(INBOX.c.id == sa.bindparam("message_id"))
        .values(params=sa.bindparam("new_params"), title=None, body=None)
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                INBOX.c.id,
                INBOX.c.params,
                INVITE.c.share_link_id,
                INVITE.c.instance_id,
                INSTANCE.c.kind.label("instance_kind"),
            )
            .select_from(joined)
            .where(INBOX.c.kind == "invite_received", INBOX.c.id > last)
            .order_by(INBOX.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            rewrite, [{"message_id": r.id, "new_params": _rebuildable(r)} for r in rows]
        )
        last = int(rows[-1].id)


def upgrade() -> None:
    _rewrite_invite_messages()
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("share_name_consent")
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("purchase", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "share_name_consent", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
