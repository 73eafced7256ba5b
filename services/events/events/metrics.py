"""Prometheus metrics of the events service (its own port: EVENTS_METRICS_PORT)."""

from prometheus_client import Counter, Gauge

LOGGED = Counter("ekinerja_public_events_logged_total", "Public events appended to the replay log", ["type"])
LOG_REFUSED = Counter("ekinerja_public_events_refused_total",
                      "Messages on the log queue that are not public events (parked in events.log.dead)")
PRUNED = Counter("ekinerja_public_events_pruned_total", "Public events removed from the log by the retention")
REPLAYED = Counter("ekinerja_public_events_replayed_total", "Events served by the replay feed", ["subscriber"])
DELIVERIES = Counter("ekinerja_webhook_deliveries_total",
                     "Webhook delivery attempts by outcome (delivered, retry, failed)", ["webhook", "outcome"])
PENDING = Gauge("ekinerja_webhook_pending", "Deliveries waiting (to be tried, or held while disabled)", ["webhook"])
FAILED = Gauge("ekinerja_webhook_failed", "Deliveries every try failed (retry with `webhooks retry`)", ["webhook"])
DISABLED = Gauge("ekinerja_webhook_disabled", "1 while the webhook is disabled after failing too long", ["webhook"])
