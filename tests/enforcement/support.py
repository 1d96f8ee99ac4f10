"""A shop for the review and enforcement tests: one analyst (argon2 once), participants
made on demand, and readers of the inbox, audit log and outbox for assertions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.audit.models import AuditEntry
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.notify import service as notify
from huzhu.notify.models import Event, InboxMessage
from tests.factories import PASSWORD, make_participant, make_shop

UNLOCK_RULES: dict[str, Any] = {
    "instance_ttl_seconds": 3600,
    "daily_assists_per_helper": 5,
    "reference_price_cents": 0,
    "helpers_needed": 3,
    "reward_cents": 500,
    "reward_name": "free coffee",
}


@dataclass
class ReviewShop:
    db: Database
    settings: Settings
    shop_id: int
    analyst: str  # bearer token
    analyst_operator_id: int
    people: dict[str, tuple[int, str]] = field(default_factory=dict)
    _owner: str | None = None

    def owner(self) -> str:
        """A bearer token of the shop's owner (made on first use): the audit log is
        theirs to read, not the analyst's whose work it records."""
        if self._owner is None:
            with self.db.unit_of_work() as s:
                email = f"owner-{self.shop_id}@example.test"
                accounts.create_operator(
                    s,
                    shop_id=self.shop_id,
                    email=email,
                    display_name="owner",
                    password=PASSWORD,
                    role=Role.OWNER,
                )
                self._owner, _ = accounts.login(s, self.settings, email=email, password=PASSWORD)
        return self._owner

    def person(self, name: str) -> tuple[int, str]:
        """(account id, participant token), created on first use."""
        if name not in self.people:
            with self.db.unit_of_work() as s:
                self.people[name] = make_participant(
                    s, self.settings, shop_id=self.shop_id, name=name
                )
        return self.people[name]

    def id_of(self, name: str) -> int:
        return self.person(name)[0]

    def token(self, name: str) -> str:
        return self.person(name)[1]

    def refresh_token(self, name: str) -> str:
        """A new participant token (after the clock moved past the old one's expiry)."""
        account_id = self.id_of(name)
        token, _ = accounts.issue_participant_token(
            self.settings, shop_id=self.shop_id, account_id=account_id
        )
        self.people[name] = (account_id, token)
        return token

    def inbox(self, name: str) -> list[tuple[str, str, str]]:
        """(kind.variant, title, body) of a person's inbox, oldest first, in English."""
        with self.db.unit_of_work() as s:
            rows = s.scalars(
                select(InboxMessage)
                .where(InboxMessage.account_id == self.id_of(name))
                .order_by(InboxMessage.id)
            )
            told = []
            for m in rows:
                title, body = notify.render_inbox_message(
                    s, self.settings, m, language="en", time_zone="UTC"
                )
                variant = (m.params or {}).get("variant")
                told.append((f"{m.kind}.{variant}" if variant else m.kind, title, body))
            return told

    def audit(self, *, reads: bool = False) -> list[tuple[str, str, str, int]]:
        """(actor, action, subject type, subject id) of the shop's audit log in chain
        order; the analysts' reads (`….read`) only when asked for."""
        with self.db.unit_of_work() as s:
            rows = s.scalars(
                select(AuditEntry)
                .where(AuditEntry.shop_id == self.shop_id)
                .order_by(AuditEntry.seq)
            )
            return [
                (a.actor, a.action, a.subject_type, a.subject_id)
                for a in rows
                if reads or not a.action.endswith(".read")
            ]

    def events(self, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
        with self.db.unit_of_work() as s:
            rows = s.scalars(select(Event).where(Event.shop_id == self.shop_id).order_by(Event.id))
            return [(e.type, dict(e.payload)) for e in rows if e.type.startswith(prefix)]

    def account(self, name: str) -> tuple[str, Any, str | None]:
        with self.db.unit_of_work() as s:
            account = accounts.get_account(s, self.id_of(name))
            assert account is not None
            return account.status, account.restricted_until, account.restriction_reason


def review_shop(db: Database, settings: Settings) -> ReviewShop:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    with db.unit_of_work() as s:
        shop_id = make_shop(s, slug=slug)
        email = f"analyst-{slug}@example.test"
        operator = accounts.create_operator(
            s,
            shop_id=shop_id,
            email=email,
            display_name="analyst",
            password=PASSWORD,
            role=Role.ANALYST,
        )
        token, _ = accounts.login(s, settings, email=email, password=PASSWORD)
        operator_id = operator.id
    return ReviewShop(
        db=db, settings=settings, shop_id=shop_id, analyst=token, analyst_operator_id=operator_id
    )
