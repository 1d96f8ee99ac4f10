"""How long each class of data is kept: `HUZHU_RETENTION__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field

DAY_SECONDS = 86_400


class RetentionSettings(BaseModel):
    """How long each class of data is kept before the retention sweep (privacy/retention)
    deletes it or folds it into aggregates; the README's "Retention" table. Done jobs and
    idempotency records keep their own settings (jobs.keep_done_seconds,
    idempotency.ttl_seconds), which the same sweep applies."""

    sweep_every_seconds: int | None = Field(
        default=None,
        ge=0,
        description="run the retention sweep this often (0: off; unset: 3600, off under "
        "HUZHU_ENV=test)",
    )
    batch_rows: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="rows of one class one sweep transaction touches (short locks)",
    )
    share_opens_days: int = Field(
        default=90,
        ge=31,  # a share link lives at most 30 days: an open is never removed under it
        description="share opens (with their keyed network, phone and agent hashes); then "
        "per link and day counts",
    )
    review_evidence_days: int = Field(
        default=365, ge=1, description="a decided review case's evidence, after the decision"
    )
    inbox_days: int = Field(default=365, ge=1, description="inbox messages")
    webhook_deliveries_days: int = Field(
        default=30, ge=1, description="finished webhook deliveries and their attempts"
    )
    events_days: int = Field(
        default=30, ge=1, description="outbox events already dispatched and delivered"
    )
    money_records_days: int = Field(
        default=3 * 365 + 1,
        ge=1,
        # China's E-Commerce Law, art. 31: transaction records kept at least three years.
        description="payments keep the account they belong to this long; then anonymised",
    )
