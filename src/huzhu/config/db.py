"""The database: `HUZHU_DB__*`, its url also `HUZHU_DATABASE_URL`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite:///./var/huzhu.db",
        description="sqlite:///path (embedded) or postgresql://user@host/db (production)",
    )
    pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="connections per process, in each of its two pools (PostgreSQL: "
        "SQLAlchemy's and the assist hot path's), lowered to fit max_connections",
    )
    max_connections: int = Field(
        default=90,
        ge=2,
        le=100_000,
        description="PostgreSQL: connections all processes of this deployment may hold "
        "together; keep it under the server's max_connections less its reserved ones",
    )
    processes: int = Field(
        default=1,
        ge=1,
        le=1024,
        description="processes sharing max_connections (`huzhu serve --workers N` counts "
        "its N; add your `huzhu worker` processes)",
    )
    wait_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="longest a request waits for a database connection (SQLite: for "
        "its turn to write) before it is answered 503 with Retry-After",
    )
    retry_after_seconds: int = Field(
        default=2, ge=1, le=3600, description="the Retry-After of a 503 for overload"
    )
    echo: bool = False
    sqlite_concurrent_units: int = Field(
        default=4,
        ge=1,
        le=32,
        description="SQLite only: request units of work admitted at once per process "
        "(one writer; the rest wait in the event loop, not in pool threads)",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not (value.startswith("sqlite") or value.startswith("postgresql")):
            raise ValueError("database url must start with sqlite:/// or postgresql://")
        return value

    @property
    def pool_sizes(self) -> tuple[int, int]:
        """(SQLAlchemy pool, hot-path pool) connections of one process on PostgreSQL:
        pool_size each, lowered so that `processes` processes together hold at most
        max_connections (the hot path's pool a third of a process's share)."""
        share = max(2, self.max_connections // self.processes)
        hot = min(self.pool_size, max(1, share // 3))
        return min(self.pool_size, share - hot), hot

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy's sync engine (psycopg 3 on PostgreSQL)."""
        if self.url.startswith("postgresql://") or self.url.startswith("postgres://"):
            return "postgresql+psycopg://" + self.url.split("://", 1)[1]
        return self.url

    @property
    def asyncpg_dsn(self) -> str:
        """The DSN for asyncpg, which serves the assist hot path on PostgreSQL."""
        return "postgresql://" + self.url.split("://", 1)[1]

    @property
    def sqlite_path(self) -> Path:
        raw = self.url.split(":///", 1)[1] if ":///" in self.url else ""
        return Path(raw or ":memory:")
