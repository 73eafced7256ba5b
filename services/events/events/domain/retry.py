"""When a webhook delivery is tried again, and when a webhook is given up on.

Each delivery is tried at once, then after each pause of the schedule (default: 5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 10 h, as Standard Webhooks senders commonly do: about 28 hours in all); after the
last it is `failed` until the operator retries it. A webhook that has failed without one success for
`disable_after` (default 5 days) is disabled and its owner told; its deliveries wait until it is
enabled again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

DEFAULT_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
DEFAULT_DISABLE_AFTER = 5 * 24 * 3600.0


def parse_schedule(text: str | None) -> tuple[float, ...]:
    """`WEBHOOK_RETRY_SECONDS`: comma-separated pauses in seconds, each >= 0."""
    if not text:
        return DEFAULT_SCHEDULE
    pauses = tuple(float(part) for part in text.split(",") if part.strip())
    if not pauses or any(p < 0 for p in pauses):
        raise ValueError(f"WEBHOOK_RETRY_SECONDS must list pauses >= 0 in seconds, got {text!r}")
    return pauses


def next_attempt(attempts: int, now: dt.datetime, schedule: Sequence[float]) -> dt.datetime | None:
    """After `attempts` failed tries, when to try again; None when the schedule is spent."""
    if attempts < 1:
        return now
    if attempts > len(schedule):
        return None
    return now + dt.timedelta(seconds=schedule[attempts - 1])


def should_disable(failing_since: dt.datetime | None, now: dt.datetime, disable_after: float) -> bool:
    return failing_since is not None and (now - failing_since).total_seconds() >= disable_after


def succeeded(status: int | None) -> bool:
    return status is not None and 200 <= status < 300
