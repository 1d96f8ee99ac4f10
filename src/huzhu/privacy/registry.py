"""Every column that names a person, and what the export and the deletion do with it.

One declared rule per (table, column) holding an account id, under whatever name
(helper, initiator, sender, recipient, reporter, subject, muted, blocked…). The
privacy tests read the schema and fail when a column that names a person has no rule
here, and check each rule against what `export_of` and `delete_account` really do: a
new table cannot slip past the person's rights unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Column, MetaData


class Deletion(StrEnum):
    """What the person's deletion does to the rows that name them in one column."""

    ERASE = "erase"  # the rows go
    # The rows stay for counts and tallies; the listed columns (free text, a pointer to
    # what was erased) are emptied.
    SCRUB = "scrub"
    KEEP = "keep"  # the rows stay (counts, money, draws, the ladder): the id names no one


@dataclass(frozen=True, slots=True)
class PersonColumn:
    table: str
    column: str
    # Where the person's rows sit in their export (dotted keys), or None: not exported.
    export: str | None
    deletion: Deletion
    why: str  # why this export rule and this deletion rule
    scrubbed: tuple[str, ...] = ()  # with SCRUB: the columns that are emptied


E, S, K = Deletion.ERASE, Deletion.SCRUB, Deletion.KEEP
RULES: tuple[PersonColumn, ...] = (
    PersonColumn("account", "id", "account", S, "the tombstone stays: everything refers to it",
                 ("display_name",)),
    PersonColumn("account_mute", "account_id", "preferences.relations.mute", E, "whom they muted"),
    PersonColumn("account_mute", "muted_id", None, E,
                 "another person's choice about them; goes: who knew whom"),
    PersonColumn("account_block", "account_id", "preferences.relations.block", E,
                 "whom they blocked"),
    PersonColumn("account_block", "blocked_id", None, E,
                 "another person's choice about them; goes: who knew whom"),
    PersonColumn("contact", "account_id", "preferences.relations.contact", E, "their contacts"),
    PersonColumn("contact", "contact_id", None, E,
                 "another person's address book entry; goes: who knew whom"),
    PersonColumn("invite_preference", "account_id", "preferences.invites", E, "a preference"),
    PersonColumn("inbox_preference", "account_id", "preferences.inbox", E, "a preference"),
    PersonColumn("guardrail_cap", "account_id", "preferences.guardrails.cap_history", E,
                 "a preference, with its history"),
    PersonColumn("wechat_recipient", "account_id", "preferences.wechat", E,
                 "the sealed openid goes with the subscription"),
    PersonColumn("name_consent", "helper_id", "preferences.name_display", E,
                 "a consent; their name is gone anyway"),
    PersonColumn("consent_event", "account_id", "consent_history", E,
                 "their history of consents, theirs alone"),
    PersonColumn("inbox_message", "account_id", "inbox", E, "their inbox"),
    PersonColumn("inbox_push_day", "account_id", None, E,
                 "a per-day count of pushes, nothing the person said or read"),
    PersonColumn("wechat_message", "account_id", None, E,
                 "the delivery queue of their inbox, exported as the inbox itself"),
    PersonColumn("instance", "initiator_id", "activities_started", K,
                 "campaign totals, budgets and draws count the activity"),
    PersonColumn("assist", "helper_id", "assists_given", K,
                 "assists stay counted; the tombstone ties them to no one"),
    PersonColumn("helper_day", "helper_id", None, K,
                 "a per-day counter behind the daily assist cap, nothing said or chosen"),
    PersonColumn("share_link", "sender_id", "share_links", K,
                 "opens and assists through the link stay counted"),
    PersonColumn("invite", "sender_id", "invites_sent", K,
                 "the shop's invite counts; the recipient's own copy is theirs"),
    PersonColumn("invite", "recipient_id", "invites_received", S,
                 "the sender's counts and caps; the message itself is erased with the inbox",
                 ("inbox_message_id",)),
    PersonColumn("report", "reporter_account_id", "reports_filed", S,
                 "cases and tallies count the report; its words go", ("text",)),
    PersonColumn("report", "subject_account_id", None, K,
                 "who reported them is never told them; the count shows in their standing"),
    PersonColumn("report_tally", "account_id", None, K,
                 "the ladder's count of reports, shown in their standing, not a row of theirs"),
    PersonColumn("review_case", "subject_account_id", None, K,
                 "an analyst's case file: its decision is in their enforcement actions"),
    PersonColumn("review_case", "subject_account_ids", None, K,
                 "an analyst's case file: its decision is in their enforcement actions"),
    PersonColumn("enforcement_action", "account_id", "enforcement_actions", K,
                 "the ladder's memory; a restriction in force is carried past deletion"),
    PersonColumn("appeal", "account_id", "appeals", S,
                 "the decision stays with the action; their words go", ("text",)),
    PersonColumn("audit_entry", "account_id", None, K,
                 "the operators' record of processing (append-only; free text outside it)"),
    PersonColumn("audit_note", "account_id", None, S,
                 "the words they wrote in the record (a report, an appeal) go", ("text",)),
    PersonColumn("audit_note", "subject_account_id", None, S,
                 "words written about them in the record go; the chained entry stays",
                 ("text",)),
    PersonColumn("purchase", "account_id", "spending.orders", K,
                 "money records stay for the legal period, naming no one"),
    PersonColumn("payment_txn", "account_id", "spending.payments", K,
                 "money records stay for the legal period, naming no one"),
)  # fmt: skip

# Column names that hold an account id without a foreign key saying so.
PERSON_NAME = re.compile(
    r"^(account|helper|initiator|starter|sender|recipient|reporter|reporter_account"
    r"|subject_account|target|target_account|muted|blocked|contact|member)_ids?$"
)


def names_a_person(column: Column[object]) -> bool:
    """A column holding an account id: a foreign key to `account.id`, the account's own
    id, or a name that says so (`helper_id`, `subject_account_ids`…)."""
    if column.table.name == "account" and column.name == "id":
        return True
    if any(fk.target_fullname == "account.id" for fk in column.foreign_keys):
        return True
    return PERSON_NAME.match(column.name) is not None


def person_columns(metadata: MetaData) -> set[tuple[str, str]]:
    """(table, column) of every column in the schema that names a person."""
    return {
        (table.name, column.name)
        for table in metadata.tables.values()
        for column in table.columns
        if names_a_person(column)
    }


def rules_by_column() -> dict[tuple[str, str], PersonColumn]:
    return {(rule.table, rule.column): rule for rule in RULES}
