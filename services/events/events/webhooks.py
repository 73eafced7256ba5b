"""Delivering public events to webhooks: each an HTTP POST of the event as published (structured
CloudEvents JSON), signed per Standard Webhooks (`webhook-id` = the event id, the same on every try,
`webhook-timestamp`, `webhook-signature`), tried on the schedule of domain/retry.py.

A delivery due is claimed (its next try pushed back by a lease, committed) before the request is
made outside any transaction, then its outcome recorded: replicas do not send it twice at once, the
database is not held during a slow endpoint, and a process that dies mid-request leaves it to be
tried again when the lease ends. A webhook failing without a success for WEBHOOK_DISABLE_AFTER_SECONDS
is disabled and its owner mailed."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import eventlet
import requests
from sqlalchemy import and_, func, select, update
from standardwebhooks.webhooks import Webhook

from ekinerja_kernel import config
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.mail import queue_mail
from ekinerja_kernel.publicevents import STRUCTURED
from ekinerja_kernel.service import BackgroundLoop

from . import metrics
from .domain import retry
from .tables import deliveries, mail_queue, public_log, webhooks

logger = logging.getLogger("ekinerja.events.webhooks")

LEASE_SECONDS = 120.0
BATCH = 50
MAX_ERROR = 500


def signed_headers(secret: str, event_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one try."""
    return {"webhook-id": event_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(event_id, now, body),
            "content-type": f"{STRUCTURED}; charset=utf-8", "user-agent": "e-Kinerja-webhooks/1"}


def post(url: str, headers: dict[str, str], body: str, timeout: float) -> tuple[int | None, str | None]:
    """(HTTP status, error) of one try; redirects are not followed (the signature is for this URL)."""
    try:
        response = requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=timeout,
                                 allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    if retry.succeeded(response.status_code):
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"[:MAX_ERROR]


class WebhookDispatcher(BackgroundLoop):
    identifier = "webhook-dispatcher"
    poll_setting = ("WEBHOOK_POLL_SECONDS", 1.0)

    def setup(self) -> None:
        super().setup()
        self.pool = eventlet.GreenPool(config.env_int("WEBHOOK_CONCURRENCY", 10))

    # Read on each round, so an operator's change needs no restart.
    @staticmethod
    def schedule() -> tuple[float, ...]:
        return retry.parse_schedule(config.env("WEBHOOK_RETRY_SECONDS", ""))

    @staticmethod
    def disable_after() -> float:
        return config.env_float("WEBHOOK_DISABLE_AFTER_SECONDS", retry.DEFAULT_DISABLE_AFTER)

    def work_once(self) -> int:
        claimed = self._claim()
        if claimed:
            for _ in self.pool.imap(self._deliver, claimed):
                pass
        self._gauges()
        return len(claimed)

    def _claim(self) -> Sequence[Any]:
        now = utcnow()
        with self.factory() as session, session.begin():
            rows = session.execute(
                select(deliveries.c.id, deliveries.c.event_id, deliveries.c.attempts, deliveries.c.webhook_id,
                       webhooks.c.name, webhooks.c.url, webhooks.c.secret, public_log.c.body)
                .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
                .join(public_log, public_log.c.seq == deliveries.c.seq)
                .where(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now,
                       webhooks.c.state == "active")
                .order_by(deliveries.c.next_attempt_at, deliveries.c.seq).limit(BATCH)
                .with_for_update(skip_locked=True, of=deliveries)).all()
            if rows:
                session.execute(update(deliveries).where(deliveries.c.id.in_([r.id for r in rows]))
                                .values(next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS)))
        return rows

    def _deliver(self, row: Any) -> None:
        now = utcnow()
        status, error = post(row.url, signed_headers(row.secret, row.event_id, row.body, now), row.body,
                             config.env_float("WEBHOOK_TIMEOUT_SECONDS", 15.0))
        try:
            self._record(row, now, status, error)
        except Exception:  # the lease runs out and it is tried again; never kill the pool
            logger.warning("could not record a webhook delivery", exc_info=True)

    def _record(self, row: Any, tried_at: dt.datetime, status: int | None, error: str | None) -> None:
        attempts = row.attempts + 1
        with self.factory() as session, session.begin():
            if error is None:
                session.execute(update(deliveries).where(deliveries.c.id == row.id).values(
                    state="delivered", attempts=attempts, last_attempt_at=tried_at, last_status=status,
                    last_error=None, next_attempt_at=None, delivered_at=utcnow()))
                session.execute(update(webhooks).where(webhooks.c.id == row.webhook_id).values(
                    last_success_at=utcnow(), failing_since=None))
                metrics.DELIVERIES.labels(row.name, "delivered").inc()
                return
            again = retry.next_attempt(attempts, utcnow(), self.schedule())
            session.execute(update(deliveries).where(deliveries.c.id == row.id).values(
                state="pending" if again else "failed", attempts=attempts, last_attempt_at=tried_at,
                last_status=status, last_error=error, next_attempt_at=again))
            metrics.DELIVERIES.labels(row.name, "retry" if again else "failed").inc()
            session.execute(update(webhooks).where(webhooks.c.id == row.webhook_id,
                                                   webhooks.c.failing_since.is_(None))
                            .values(failing_since=tried_at))
            hook = session.execute(select(webhooks).where(webhooks.c.id == row.webhook_id)).one()
            if hook.state == "active" and retry.should_disable(hook.failing_since, utcnow(), self.disable_after()):
                self._disable(session, hook, error)

    def _disable(self, session: Any, hook: Any, error: str) -> None:
        since = hook.failing_since.isoformat() if hook.failing_since else "?"
        reason = f"no successful delivery since {since}; last error: {error}"
        session.execute(update(webhooks).where(webhooks.c.id == hook.id).values(
            state="disabled", disabled_at=utcnow(), disabled_reason=reason[:MAX_ERROR]))
        queue_mail(session, mail_queue, hook.owner_email,
                   f"[e-Kinerja] Webhook {hook.name} dinonaktifkan / disabled",
                   f"Webhook {hook.name} ({hook.url}) tidak berhasil menerima event sejak {since} dan telah "
                   f"dinonaktifkan. Event berikutnya disimpan dan dikirim setelah diaktifkan kembali "
                   f"(selama masa simpan log).\n\n"
                   f"The webhook {hook.name} ({hook.url}) has not accepted an event since {since} and has been "
                   f"disabled. Events meanwhile are kept and sent once it is enabled again (within the log's "
                   f"retention).\n\nLast error: {error}\n\n"
                   f"Operator: ekinerja-events webhooks deliveries {hook.name} --state pending; "
                   f"ekinerja-events webhooks enable {hook.name}\n")
        logger.error("webhook %s disabled: %s", hook.name, reason, extra={"webhook": hook.name})

    def _gauges(self) -> None:
        with self.factory() as session:
            hooks = session.execute(select(webhooks.c.id, webhooks.c.name, webhooks.c.state)).all()
            counts = {(r[0], r[1]): r[2] for r in session.execute(
                select(deliveries.c.webhook_id, deliveries.c.state, func.count())
                .where(and_(deliveries.c.state.in_(("pending", "failed"))))
                .group_by(deliveries.c.webhook_id, deliveries.c.state))}
        for hook in hooks:
            metrics.PENDING.labels(hook.name).set(counts.get((hook.id, "pending"), 0))
            metrics.FAILED.labels(hook.name).set(counts.get((hook.id, "failed"), 0))
            metrics.DISABLED.labels(hook.name).set(1 if hook.state == "disabled" else 0)
