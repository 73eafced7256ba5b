"""Prometheus metrics every service records, labelled by service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RPC_CALLS = Counter("ekinerja_rpc_calls_total", "RPC calls handled, by outcome",
                    ["service", "method", "outcome"])
RPC_LATENCY = Histogram("ekinerja_rpc_duration_seconds", "RPC handling time",
                        ["service", "method"],
                        buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
EVENTS_HANDLED = Counter("ekinerja_events_handled_total", "Events consumed, by outcome",
                         ["service", "type", "outcome"])
EVENTS_PUBLISHED = Counter("ekinerja_events_published_total", "Events relayed from the outbox",
                           ["service"])
ERRORS = Counter("ekinerja_errors_total", "Unexpected errors (bugs, lost dependencies)",
                 ["service", "where"])
DEAD_LETTERS = Counter("ekinerja_dead_letters_total",
                       "Messages parked in a dead-letter queue (<queue>.dead) after failing every try",
                       ["service", "queue"])
OUTBOX_PENDING = Gauge("ekinerja_outbox_pending", "Events committed but not yet published",
                       ["service"])
