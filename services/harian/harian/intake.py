"""The peak-safe write path, harian's side: submissions the gateway accepted (202) wait in a
durable queue; this consumer takes them in batches, applies the rules, stores each exactly once
(the submission id is the key) in one transaction per batch, and acks only after the commit. A
crash before the commit means redelivery, and the dedup key makes that harmless.

One submission that cannot be stored (a bug, text no database can hold) must not hold back the
others: a failing batch is halved until the failing submission stands alone, so the good ones are
stored at once; it is then tried alone up to DEAD_LETTER_TRIES times, parked in
harian.submissions.dead with its error (kernel deadletter), and its status says `gagal` and why; the
employee gets a mail. A failure while the database does not answer is an outage and parks nothing."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

import eventlet
from kombu import Connection, Consumer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config, metrics
from ekinerja_kernel.bus import HARIAN_SUBMISSIONS
from ekinerja_kernel.deadletter import Attempts, DeadLetters, max_tries, retry_pause, settle_batch
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import parse_time, utcnow
from ekinerja_kernel.logs import set_request_id
from ekinerja_kernel.mail import queue_mail
from ekinerja_kernel.outbox import Outbox
from ekinerja_kernel.service import BackgroundLoop

from . import days, staff
from .domain.failure import FAILED, failure_problem
from .domain.status import EntryState
from .tables import entries, mail_queue, submissions

log = logging.getLogger(__name__)


def _activities_from_draft(s: Session, nip: str, day: dt.date) -> list[dict[str, Any]]:
    rows = s.execute(select(entries).where(entries.c.nip == nip, entries.c.date == day,
                                           entries.c.state == EntryState.DRAFT.value).order_by(entries.c.seq)).all()
    if not rows:
        raise DomainError(code="nothing-to-submit", status=422, title="Nothing to submit",
                          detail=f"There is no draft for {day.isoformat()} to submit: send the activities with "
                                 "the submission, or save a draft first.",
                          detail_id=f"Tidak ada draf tanggal {day.isoformat()} untuk dikirim: kirim kegiatan "
                                    "bersama pengiriman, atau simpan draf terlebih dahulu.")
    return [{"rhk_id": r.rhk_id, "description": r.description, "quantity": r.quantity, "satuan": r.satuan,
             "quality": r.quality, "evidence_url": r.evidence_url, "minutes": r.minutes} for r in rows]


def _apply(s: Session, outbox: Outbox, data: dict[str, Any], accepted_at: dt.datetime,
           memo: dict[Any, Any]) -> tuple[str, int, Any]:
    """(status, entries stored, problem) for one submission; raises DomainError to refuse it."""
    owner = staff.active_employee(s, data["nip"])
    day = days.parse_day(data.get("date"))
    newer = s.execute(select(submissions.c.id).where(
        submissions.c.nip == owner.nip, submissions.c.date == day, submissions.c.status == "diterima",
        submissions.c.accepted_at > accepted_at)).first()
    if newer is not None:
        return "diganti", 0, None  # a later submission of the same day is already in force
    raw = data.get("activities")
    if raw is None:
        raw = _activities_from_draft(s, owner.nip, day)
    # The window is judged on the day the gateway accepted it, not on when the queue got to it.
    activities = days.checked_activities(s, owner, day, raw, accepted_at.astimezone(config.timezone()).date(), memo)
    s.execute(update(entries).where(
        entries.c.nip == owner.nip, entries.c.date == day,
        entries.c.state.in_([EntryState.DRAFT.value, EntryState.DIAJUKAN.value, EntryState.DIKEMBALIKAN.value]))
        .values(state=days.SUPERSEDED, updated_at=utcnow()))
    days.store_activities(s, owner.nip, day, activities, EntryState.DIAJUKAN.value, data["id"], accepted_at)
    status = days.refresh_day(s, owner, day)
    outbox.add(s, "harian.submitted", owner.nip, {
        "submission_id": data["id"], "nip": owner.nip, "agency_id": owner.agency_id, "unit_id": owner.unit_id,
        "date": day.isoformat(), "entries": len(activities), "day_status": status,
        "accepted_at": accepted_at.isoformat()})
    return "diterima", len(activities), None


def process_batch(factory: sessionmaker[Session], outbox: Outbox, batch: list[dict[str, Any]]) -> dict[str, int]:
    """Stores a batch of submission commands in one transaction; each is applied whole (savepoint)
    or refused with its problem, and one already stored (a redelivery, a retry) is skipped. One that
    failed before (`gagal`) and comes back through a replay is applied, and its outcome replaces that."""
    counts = {"diterima": 0, "ditolak": 0, "diganti": 0, "duplicate": 0}
    memo: dict[Any, Any] = {}  # agency settings and approved RHK, read once per batch
    with factory() as s, s.begin():
        known = dict(s.execute(select(submissions.c.id, submissions.c.status).where(
            submissions.c.id.in_([m["data"]["id"] for m in batch]))).all())
        seen = {i for i, status in known.items() if status != FAILED}
        for message in batch:
            data = message["data"]
            set_request_id(message.get("requestid"))  # the log follows the gateway's request
            if data["id"] in seen:
                counts["duplicate"] += 1
                continue
            seen.add(data["id"])
            if known.get(data["id"]) == FAILED:
                s.execute(delete(submissions).where(submissions.c.id == data["id"]))
            accepted_at = parse_time(data["accepted_at"])
            try:
                with s.begin_nested():
                    status, stored, problem = _apply(s, outbox, data, accepted_at, memo)
            except DomainError as exc:
                status, stored, problem = "ditolak", 0, exc.to_problem()
                _tell_refused(s, data, problem)
            s.execute(submissions.insert().values(
                id=data["id"], nip=data["nip"], date=_date_or_epoch(data.get("date")), accepted_at=accepted_at,
                processed_at=utcnow(), status=status, problem=problem, entries=stored,
                request_id=message.get("requestid")))
            counts[status] += 1
    return counts


def record_failed(factory: sessionmaker[Session], body: Any, attempts: Attempts) -> bool:
    """A parked submission's status: `gagal`, with why (no stack trace), and the employee is told by
    the refusals' mail, once. False when there is nothing to record it under, or it is known already
    (stored meanwhile by a redelivery, or failed before)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("nip"), str):
        return False
    problem = failure_problem(data, attempts.tries)
    try:
        accepted_at = parse_time(data["accepted_at"])
    except (KeyError, TypeError, ValueError):
        accepted_at = utcnow()
    with factory() as s, s.begin():
        if s.execute(select(submissions.c.status).where(submissions.c.id == data["id"])).first() is not None:
            return False
        s.execute(submissions.insert().values(
            id=data["id"], nip=data["nip"], date=_date_or_epoch(data.get("date")), accepted_at=accepted_at,
            processed_at=utcnow(), status=FAILED, problem=problem, entries=0, request_id=body.get("requestid")))
        _tell_refused(s, data, problem)
    return True


def _tell_refused(s: Session, data: dict[str, Any], problem: dict[str, Any]) -> None:
    """Nothing vanishes silently: the employee gets a mail saying what was refused and why."""
    person = staff.employee(s, data["nip"])
    if person is None or not person.email:
        return
    reasons_id = "\n".join(f"  - {e['field']}: {e['detail_id']}" for e in problem.get("errors", [])) \
        or f"  - {problem['detail_id']}"
    reasons_en = "\n".join(f"  - {e['field']}: {e['detail']}" for e in problem.get("errors", [])) \
        or f"  - {problem['detail']}"
    day = data.get("date")
    queue_mail(s, mail_queue, person.email, f"e-Kinerja: progres harian {day} tidak tersimpan / not saved",
               f"Yth. {person.name},\n\nProgres harian tanggal {day} yang Anda kirim tidak dapat disimpan:\n"
               f"{reasons_id}\n\nPerbaiki lalu kirim kembali. Status: /api/v1/harian/submissions/{data['id']}\n\n"
               f"Your daily progress for {day} could not be saved:\n{reasons_en}\n\nFix it and submit again.\n")


def _date_or_epoch(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):  # refused for it; the row still records the submission
        return dt.date(1970, 1, 1)


class SubmissionIntake(BackgroundLoop):
    """Consumes harian.submissions in batches (up to HARIAN_BATCH messages or HARIAN_BATCH_WAIT
    seconds), one transaction per batch, acked after the commit (and a submission that fails every
    try, after its parked copy is confirmed)."""

    identifier = "submission-intake"
    poll_setting = ("HARIAN_INTAKE_POLL_SECONDS", 0.0)

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def setup(self) -> None:
        super().setup()
        self.batch_size = config.env_int("HARIAN_BATCH", 300)
        self.batch_wait = config.env_float("HARIAN_BATCH_WAIT", 0.05)
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.heartbeat = int(self.container.config.get("HEARTBEAT", 15))
        self._conn: Connection | None = None
        self._pending: list[Any] = []
        self.limit, self.pause = max_tries(), retry_pause()
        self.dead_letters = DeadLetters(self.amqp_uri, self.service)

    def _consumer(self) -> Connection:
        if self._conn is None:
            conn = Connection(self.amqp_uri, heartbeat=self.heartbeat, connect_timeout=5)
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            channel.basic_qos(0, self.batch_size, False)
            consumer = Consumer(channel, queues=[HARIAN_SUBMISSIONS], callbacks=[self._received], accept=["json"])
            consumer.consume()
            self._conn = conn
        return self._conn

    def _received(self, body: Any, message: Any) -> None:
        self._pending.append((body, message))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        self._pending = []  # unacked: the broker redelivers them to the next connection
        self.dead_letters.close()
        if conn is not None:
            try:
                conn.release()
            except Exception:  # already broken
                log.debug("closing a broken intake connection", exc_info=True)

    def work_once(self) -> int:
        try:
            conn = self._consumer()
            try:
                conn.drain_events(timeout=1.0)
                while len(self._pending) < self.batch_size:
                    conn.drain_events(timeout=self.batch_wait)
            except TimeoutError:
                pass
            if not self._pending:
                conn.heartbeat_check()
                return 0
            batch, self._pending = self._pending, []
            counts = self._settle(batch)
            batch[-1][1].channel.basic_ack(batch[-1][1].delivery_tag, multiple=True)
        except Exception:
            self.close()
            raise
        set_request_id(None)
        for status, n in counts.items():
            metrics.EVENTS_HANDLED.labels(self.service, "harian.submit:" + status,
                                          "dead" if status == FAILED else "ok").inc(n)
        return len(batch)

    def _settle(self, batch: list[Any]) -> Counter[str]:
        """Stores the batch; parks (and records as failed) each submission that failed every try."""
        counts: Counter[str] = Counter()

        def store(chunk: list[Any]) -> None:
            counts.update(process_batch(self.factory, self.outbox, [body for body, _ in chunk]))

        failed = settle_batch(batch, store, lambda item: Attempts.of(item[1].headers, self.limit),
                              self.healthy, sleep=self._pause, pause=self.pause)
        for (body, message), attempts in failed:
            self.dead_letters.park(HARIAN_SUBMISSIONS.name, message, attempts)
            counts[FAILED] += 1
            try:
                record_failed(self.factory, body, attempts)
            except Exception:
                if not self.healthy():
                    raise  # redelivered and parked again later: the status is recorded then
                log.exception("a parked submission could not be recorded as failed; its copy is in %s.dead",
                              HARIAN_SUBMISSIONS.name)
        return counts

    def _pause(self, seconds: float) -> None:
        """Between tries: the consumer's heartbeats go on, or the broker would drop the connection
        (and redeliver the whole batch) during a long pause."""
        remaining = seconds
        while remaining > 0:
            step = min(remaining, 1.0)
            eventlet.sleep(step)
            remaining -= step
            if self._conn is not None:
                self._conn.heartbeat_check()
