"""Prometheus metrics, one registry per app so several apps (tests) never share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "citeqa_requests_total", "HTTP requests", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "citeqa_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.answers = Counter("citeqa_answers_total", "Answers given", ["abstained"], registry=self.registry)
        # By key name (service/runtime/keys.py): the names in the keys file and the service's own, never a key.
        self.by_key = Counter(
            "citeqa_key_requests_total", "HTTP requests by API key name", ["key"], registry=self.registry
        )
        self.limited = Counter(
            "citeqa_rate_limited_total",
            "Requests refused by the rate limit, by API key name",
            ["key"],
            registry=self.registry,
        )

    def forget_keys(self, names: set[str]) -> None:
        """Drop the series of key names a reloaded keys file no longer has: the label set stays the file's."""
        for name in names:
            for counter in (self.by_key, self.limited):
                try:
                    counter.remove(name)
                except KeyError:
                    pass
