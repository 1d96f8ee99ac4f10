"""Prometheus metrics (prometheus-client), cheap enough for the assist hot path.

Counters and histograms are recorded where things happen; each label combination's child
is looked up once and kept (`_child`), so recording is one increment. With
`huzhu serve --workers N` every worker writes its values to files in a shared directory
(prometheus-client's multiprocess mode, `use_multiprocess`), and /metrics sums them.
What lives in the database (job queue, outbox, webhook deliveries) is read when /metrics
is scraped, by the collector the app registers (huzhu/health.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Every metric has labels, so no value is made before `use_multiprocess` picks where
# values live (a label-less metric makes its value when defined).
REQUESTS = Counter(
    "huzhu_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
LATENCY = Histogram(
    "huzhu_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ASSIST_OUTCOMES = Counter(
    "huzhu_assist_outcomes_total",
    "Assists by outcome (counted, held, replayed, refused) and refusal code",
    ["outcome", "reason"],
)
RISK_HOLDS = Counter(
    "huzhu_risk_holds_total", "Assists held for a risk check instead of counted", ["route"]
)
INVITES_REFUSED = Counter(
    "huzhu_invites_refused_total", "Direct invites refused, by problem code", ["reason"]
)
POOL_IN_USE = Gauge(
    "huzhu_db_pool_connections_in_use",
    "Database connections checked out of the pool",
    ["pool"],
    multiprocess_mode="livesum",
)


@cache
def _child(metric: Any, *labels: str) -> Any:
    return metric.labels(*labels)


def count(metric: Counter, *labels: str) -> None:
    _child(metric, *labels).inc()


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    _child(REQUESTS, route, method, str(status)).inc()
    _child(LATENCY, route, method).observe(seconds)


def pool_changed(pool: str, delta: int) -> None:
    _child(POOL_IN_USE, pool).inc(delta)


def watch_pool(engine: Engine, pool: str = "app") -> None:
    """Count the engine's checked-out connections as they come and go (no work at
    scrape time, and right with any number of workers)."""
    event.listen(engine, "checkout", lambda *_: pool_changed(pool, 1))
    event.listen(engine, "checkin", lambda *_: pool_changed(pool, -1))


_multiprocess_dir: Path | None = None


def use_multiprocess(directory: Path) -> None:
    """Values go to files in `directory`, shared by every worker of one `huzhu serve`
    (which sets PROMETHEUS_MULTIPROC_DIR to the same place, as prometheus-client reads
    it). Call before the first value is recorded in this process."""
    global _multiprocess_dir
    _multiprocess_dir = directory
    # prometheus-client finds the directory through this variable only; an operator who
    # runs the app under another server may have set just HUZHU_METRICS__MULTIPROCESS_DIR.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(directory))
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    _child.cache_clear()


class ScrapeTimeCollector(Collector):
    """Gauges computed when scraped: `read()` gives (name, help, [(labels, value)])."""

    def __init__(
        self, read: Callable[[], Iterable[tuple[str, str, list[tuple[dict[str, str], float]]]]]
    ) -> None:
        self.read = read

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import GaugeMetricFamily

        for name, help_text, samples in self.read():
            labels = sorted({key for sample_labels, _ in samples for key in sample_labels})
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for sample_labels, value in samples:
                family.add_metric([sample_labels.get(key, "") for key in labels], value)
            yield family


def exposition(extra: Collector | None = None) -> bytes:
    """The text format of every metric: this process's (or, in multiprocess mode, every
    worker's summed), plus what `extra` reads at scrape time."""
    if _multiprocess_dir is not None:
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, path=str(_multiprocess_dir))  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if extra is not None:
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(extra)
        body += generate_latest(scraped)
    return body
