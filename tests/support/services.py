"""Reaching the optional services (PostgreSQL, Redis) from tests."""

from __future__ import annotations

import os
from functools import cache

import pytest

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def services_required() -> bool:
    return os.environ.get("HUZHU_REQUIRE_SERVICES", "") in ("1", "true", "yes")


def _unavailable(what: str, why: str) -> None:
    message = f"{what} not available ({why}); set HUZHU_TEST_POSTGRES_URL / HUZHU_TEST_REDIS_URL"
    if services_required():
        pytest.fail(f"HUZHU_REQUIRE_SERVICES=1 but {message}", pytrace=False)
    pytest.skip(message)


@cache
def _postgres_probe(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:
        return type(exc).__name__


def postgres_admin_url_or_skip() -> str:
    url = os.environ.get("HUZHU_TEST_POSTGRES_URL", DEFAULT_PG)
    problem = _postgres_probe(url)
    if problem:
        _unavailable("PostgreSQL", problem)
    return url


@cache
def _redis_probe(url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=2).ping()
        return None
    except Exception as exc:
        return type(exc).__name__


def redis_url_or_skip() -> str:
    url = os.environ.get("HUZHU_TEST_REDIS_URL", DEFAULT_REDIS)
    problem = _redis_probe(url)
    if problem:
        _unavailable("Redis", problem)
    return url


def with_database(url: str, name: str, *, driver: str | None = None) -> str:
    base = url.rsplit("/", 1)[0]
    scheme, rest = base.split("://", 1)
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    return f"{scheme}://{rest}/{name}"


def _admin_exec(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def create_database(admin_url: str, name: str, *, template: str | None = None) -> None:
    suffix = f' TEMPLATE "{template}"' if template else ""
    _admin_exec(admin_url, f'CREATE DATABASE "{name}"{suffix}')


def drop_database(admin_url: str, name: str) -> None:
    _admin_exec(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
