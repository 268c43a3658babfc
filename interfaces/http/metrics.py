"""The Prometheus metrics of `GET /metrics` (API.md, People, operations and deployment).

Requests by route template, method and status with their latency; command outcomes by
command and code; the log's head (events written); each read model's position and lag.
Counters and histograms belong to one app (a registry of its own, so two apps in one
process count apart); the log's head and the read models are read from the database
when scraped.

With `mops serve --workers N` each worker process counts its own requests and commands:
a scrape answers the counters of the worker that took it (the gauges read from the
database are the same from every worker). Scrape each worker's port, or sum over time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from interfaces.bootstrap import Services

# The label of a request that matched no route: raw paths would make a label per path.
UNMATCHED = "unmatched"
# Methods counted under their own name; others (which answer 405) count as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; commands commit in milliseconds, reports wait up to 5 s for their read model.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ReadSideCollector(Collector):
    """The log's head and each read model's position and lag, read when scraped."""

    def __init__(self, services: Callable[[], Services | None]) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        services = self.services()
        if services is None:  # scraped before the app started
            return
        head = services.backoffice.max_position()
        log = GaugeMetricFamily(
            "mops_event_log_position", "Position of the newest event in the log (events written)"
        )
        log.add_metric([], head)
        yield log
        position = GaugeMetricFamily(
            "mops_read_model_position", "Last log position a read model folded", labels=["name"]
        )
        lag = GaugeMetricFamily(
            "mops_read_model_lag", "Events a read model is behind the log", labels=["name"]
        )
        failed = GaugeMetricFamily(
            "mops_read_model_failed", "1 when a read model's fold failed", labels=["name"]
        )
        restarts = CounterMetricFamily(
            "mops_read_model_restarts",
            "Restarts of a read model's fold in this process",
            labels=["name"],
        )
        for item in services.read_side.status(head):
            name = [item["name"]]
            position.add_metric(name, item["position"])
            lag.add_metric(name, item["lag"])
            failed.add_metric(name, 1 if item["state"] == "failed" else 0)
            restarts.add_metric(name, item["restarts"])
        yield from (position, lag, failed, restarts)
        yield from deliveries(services)


def deliveries(services: Services) -> Iterator[Metric]:
    """Webhook deliveries of notifications by outcome, from the notifications read model:
    attempts `delivered` and `failed`, outbox rows `pending` and `given_up`."""
    if "notifications" not in services.read_side.views:
        return
    outcomes = services.read_side.view("notifications").delivery_outcomes()
    family = GaugeMetricFamily(
        "mops_notification_deliveries",
        "Webhook deliveries of notifications by outcome (attempts delivered or failed; "
        "outbox rows pending or given up)",
        labels=["outcome"],
    )
    for outcome, count in outcomes.items():
        family.add_metric([outcome], count)
    yield family


class Metrics:
    """What one app counts, and the gauges it reads from the database when scraped."""

    def __init__(self, services: Callable[[], Services | None]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "mops_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mops_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "mops_commands",
            "Commands answered, by command and code (`ok` when done, else the problem's code)",
            ["command", "code"],
            registry=self.registry,
        )
        # The log and the read models of the app's services, read when scraped.
        self.registry.register(ReadSideCollector(services))

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        labels = (route, method if method in METHODS else "other", str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def command(self, command: str, code: str) -> None:
        """Count one command's outcome."""
        self.commands.labels(command, code).inc()
