"""Prometheus metrics: request counts and durations per route, and the published index.

Under gunicorn every worker counts its own requests; with ``PROMETHEUS_MULTIPROC_DIR`` set
(gunicorn.conf.py does) the counts live in files there and ``/metrics`` sums all workers'.
Without it (falcon.testing, one process) a normal registry holds them.

The index gauges are not stored: they are read from the engine when ``/metrics`` is scraped,
so they are never stale (the index age keeps growing between rebuilds) and there is one
series however many workers there are, with no multiprocess gauge mode to get wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterator

import falcon
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from searchsvc.engine import Engine, IndexMissing

log = logging.getLogger(__name__)

# A search answers in milliseconds; over a couple of seconds is an incident, not a bucket.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
UNMATCHED = "unmatched"  # the route label of requests no route matched (404s)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def multiprocess_dir() -> str | None:
    """The directory workers share counts through, if running in multiprocess mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get(
        "prometheus_multiproc_dir"
    )


class IndexCollector(Collector):
    """The published index, read at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        ready = GaugeMetricFamily(
            "searchsvc_index_ready", "1 if a published index is readable, else 0."
        )
        try:
            snapshot = self.engine.snapshot()
        except IndexMissing:
            ready.add_metric([], 0)
            yield ready
            return
        ready.add_metric([], 1)
        yield ready
        yield GaugeMetricFamily(
            "searchsvc_index_documents", "Documents in the published index.",
            value=snapshot.documents,
        )
        info = GaugeMetricFamily(
            "searchsvc_index_generation_info", "1 for the published index generation.",
            labels=["generation"],
        )
        info.add_metric([snapshot.generation], 1)
        yield info
        built_at = _parse_time(snapshot.manifest.get("built_at"))
        if built_at is not None:
            yield GaugeMetricFamily(
                "searchsvc_index_age_seconds",
                "Seconds since the published index was built.",
                value=(dt.datetime.now(dt.UTC) - built_at).total_seconds(),
            )


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        log.warning("manifest built_at %r is not an ISO-8601 time", value)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class Metrics:
    """The service's metrics and the Falcon middleware that records them."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "searchsvc_requests", "HTTP requests answered, by route, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )
        self.duration = Histogram(
            "searchsvc_request_duration_seconds", "Time to answer a request, by route.",
            ["route"], buckets=DURATION_BUCKETS, registry=self.registry,
        )
        self.index = IndexCollector(engine)
        if multiprocess_dir() is None:
            self.registry.register(self.index)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The metrics in the format the scraper accepts, and its content type."""
        if multiprocess_dir() is None:
            registry = self.registry
        else:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            registry.register(self.index)
        encoder, content_type = choose_encoder(accept or "")
        return encoder(registry), content_type

    # -- Falcon middleware --------------------------------------------------------------

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.metrics_started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        started = getattr(req.context, "metrics_started", None)
        if started is None:
            return
        route = req.uri_template if resource is not None and req.uri_template else UNMATCHED
        method = req.method if req.method in METHODS else "other"
        self.requests.labels(route, method, str(resp.status_code)).inc()
        self.duration.labels(route).observe(time.perf_counter() - started)


class MetricsResource:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.cache_control = ["no-store"]
        resp.data, resp.content_type = self.metrics.exposition(req.get_header("Accept"))
