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
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import eventlet
from kombu import Connection, Consumer
from sqlalchemy import Insert, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config, metrics
from ekinerja_kernel.bus import HARIAN_SUBMISSIONS
from ekinerja_kernel.deadletter import Attempts, DeadLetters, max_tries, retry_pause, settle_batch
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import as_utc, parse_time, utcnow
from ekinerja_kernel.logs import set_request_id
from ekinerja_kernel.mail import queue_mail
from ekinerja_kernel.outbox import Outbox
from ekinerja_kernel.service import BackgroundLoop

from . import days, links, staff
from .domain.failure import FAILED, failure_problem
from .domain.status import EntryState
from .tables import entries, mail_queue, submissions

log = logging.getLogger(__name__)


def _nothing_to_submit(day: dt.date) -> DomainError:
    return DomainError(code="nothing-to-submit", status=422, title="Nothing to submit",
                       detail=f"There is no draft for {day.isoformat()} to submit: send the activities with "
                              "the submission, or save a draft first.",
                       detail_id=f"Tidak ada draf tanggal {day.isoformat()} untuk dikirim: kirim kegiatan "
                                 "bersama pengiriman, atau simpan draf terlebih dahulu.")


def _day_key(data: dict[str, Any]) -> tuple[str, dt.date] | None:
    try:
        return data["nip"], days.parse_day(data.get("date"))
    except DomainError:
        return None  # refused for its date in the walk


def _by_date(keys: Any) -> dict[dt.date, list[str]]:
    found: dict[dt.date, set[str]] = {}
    for nip, day in keys:
        found.setdefault(day, set()).add(nip)
    return {day: sorted(nips) for day, nips in found.items()}


def _in_force(s: Session, keys: set[tuple[str, dt.date]], since: dt.datetime) -> dict[tuple[str, dt.date], dt.datetime]:
    """For each employee-day, the acceptance time of its latest stored `diterima` submission if that
    is later than `since` (the batch's earliest): what a submission of the batch must be newer than.
    Reads only the submissions newer than `since` (ix_submissions_nip_date), never the day's history."""
    found: dict[tuple[str, dt.date], dt.datetime] = {}
    for day, nips in _by_date(keys).items():
        for r in s.execute(select(submissions.c.nip, submissions.c.accepted_at).where(
                submissions.c.nip.in_(nips), submissions.c.date == day, submissions.c.accepted_at > since,
                submissions.c.status == "diterima")):
            at = as_utc(r.accepted_at)
            if (r.nip, day) not in found or at > found[(r.nip, day)]:
                found[(r.nip, day)] = at
    return found


def _drafts(s: Session, keys: set[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], list[dict[str, Any]]]:
    """The saved drafts of the employee-days whose submission carries no activities."""
    found: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for day, nips in _by_date(keys).items():
        for r in s.execute(select(entries).where(entries.c.nip.in_(nips), entries.c.date == day,
                                                 entries.c.state == EntryState.DRAFT.value)
                           .order_by(entries.c.nip, entries.c.seq)):
            found.setdefault((r.nip, day), []).append(days.activity_fields(r))
    return found


@dataclass
class _Outcome:
    """What the walk decided for one submission of the batch."""
    message: dict[str, Any]
    accepted_at: dt.datetime
    status: str
    problem: Any = None
    owner: Any = None
    day: dt.date | None = None
    activities: tuple[Any, ...] = ()
    live: bool = False  # its entries are the day's in force at the commit (the day's latest accepted)


def _walk(s: Session, todo: list[tuple[dict[str, Any], dt.datetime]], facts: dict[str, Any]) -> list[_Outcome]:
    """Applies the rules to each submission in the batch's order, against what was read at once: a
    submission older than one already in force for its day is `diganti`; one that breaks a rule is
    `ditolak` with its problem; the others are `diterima`, and the latest of each day is in force."""
    memo, staff_rows, in_force, drafts = facts["memo"], facts["employees"], facts["in_force"], facts["drafts"]
    outcomes: list[_Outcome] = []
    latest: dict[tuple[str, dt.date], _Outcome] = {}
    for message, accepted_at in todo:
        data = message["data"]
        try:
            owner = staff.require_active(staff_rows.get(data["nip"]))
            day = days.parse_day(data.get("date"))
            key = (owner.nip, day)
            newest = in_force.get(key)
            if newest is not None and newest > accepted_at:
                outcomes.append(_Outcome(message, accepted_at, "diganti"))  # a later one is in force
                continue
            raw = data.get("activities")
            if raw is None:
                raw = drafts.get(key)
                if not raw:
                    raise _nothing_to_submit(day)
            # The window is judged on the day the gateway accepted it, not on when the queue got to it.
            activities = days.checked_activities(s, owner, day, raw, accepted_at.astimezone(config.timezone()).date(),
                                                 memo)
        except DomainError as exc:
            outcomes.append(_Outcome(message, accepted_at, "ditolak", problem=exc.to_problem()))
            continue
        outcome = _Outcome(message, accepted_at, "diterima", owner=owner, day=day, activities=activities, live=True)
        if key in latest:
            latest[key].live = False  # replaced within the batch: its entries are kept as diganti
        latest[key] = outcome
        in_force[key] = accepted_at
        drafts.pop(key, None)  # the draft is replaced too
        outcomes.append(outcome)
    return outcomes


def _insert_once(s: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """A multi-row insert that skips a row whose primary key is there already (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    dialect = s.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        stmt = pg_insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite_insert(table).on_conflict_do_nothing()
    else:  # another database: the batch's own read of the known ids is the guard
        stmt = insert(table)
    s.execute(stmt, rows)


def _write(s: Session, outbox: Outbox, outcomes: list[_Outcome]) -> None:
    """The batch's writes, set-based: one update per date for the entries the batch replaces, one
    insert of every new entry, one day-status update/insert for every employee-day, one insert of the
    outbox events and one of the submissions."""
    now = utcnow()
    accepted: list[Any] = [o for o in outcomes if o.status == "diterima"]  # _walk gave each its owner and day
    owners = {(o.owner.nip, o.day): o.owner for o in accepted}
    for day, nips in _by_date(owners).items():
        s.execute(update(entries).where(entries.c.nip.in_(nips), entries.c.date == day,
                                        entries.c.state.in_(days.REPLACEABLE_STATES))
                  .values(state=days.SUPERSEDED, updated_at=now))
    rows = [{"id": str(uuid.uuid4()), "nip": o.owner.nip, "date": o.day, "seq": seq, **days.activity_columns(a),
             "state": EntryState.DIAJUKAN.value if o.live else days.SUPERSEDED,
             "submission_id": o.message["data"]["id"], "submitted_at": o.accepted_at, "updated_at": now}
            for o in accepted for seq, a in enumerate(o.activities)]
    if rows:
        s.execute(insert(entries), rows)
    earliest: dict[tuple[str, dt.date], dt.datetime] = {}
    for o in accepted:
        key = (o.owner.nip, o.day)
        earliest[key] = min(earliest.get(key, o.accepted_at), o.accepted_at)
    statuses = days.refresh_days(s, owners, earliest)
    outbox.add_many(s, [("harian.submitted", o.owner.nip, {
        "submission_id": o.message["data"]["id"], "nip": o.owner.nip, "agency_id": o.owner.agency_id,
        "unit_id": o.owner.unit_id, "date": o.day.isoformat(), "entries": len(o.activities),
        "day_status": statuses[(o.owner.nip, o.day)], "accepted_at": o.accepted_at.isoformat()},
        o.message.get("requestid")) for o in accepted])
    _insert_once(s, submissions, [
        {"id": o.message["data"]["id"], "nip": o.message["data"]["nip"],
         "date": _date_or_epoch(o.message["data"].get("date")), "accepted_at": o.accepted_at, "processed_at": now,
         "status": o.status, "problem": o.problem, "entries": len(o.activities),
         "request_id": o.message.get("requestid")} for o in outcomes])


def process_batch(factory: sessionmaker[Session], outbox: Outbox, batch: list[dict[str, Any]]) -> dict[str, int]:
    """Stores a batch of submission commands in one transaction, set-based: the batch's employees,
    RHK, agency settings, the submissions in force and the drafts are read in a few queries, the
    rules applied to each submission in order, and everything written in a few multi-row statements.
    One already stored (a redelivery, a retry) is skipped. One that failed before (`gagal`) and comes
    back through a replay is applied, and its outcome replaces that."""
    counts = {"diterima": 0, "ditolak": 0, "diganti": 0, "duplicate": 0}
    with factory() as s, s.begin():
        # The batch's employee-days, before anything of them is read: their monitoring counters follow
        # what the batch changes, and on PostgreSQL their employees' rows are locked (the lock of their
        # days, in one order), so a competing replica storing a submission of the same day waits for
        # this commit and then sees it (which submission is in force, which entries it replaces).
        days.touch_days(s, {k for m in batch if (k := _day_key(m["data"])) is not None})
        known = dict(s.execute(select(submissions.c.id, submissions.c.status).where(
            submissions.c.id.in_([m["data"]["id"] for m in batch]))).all())
        seen = {i for i, status in known.items() if status != FAILED}
        todo: list[tuple[dict[str, Any], dt.datetime]] = []
        for message in batch:
            data = message["data"]
            if data["id"] in seen:
                counts["duplicate"] += 1
                continue
            seen.add(data["id"])
            todo.append((message, parse_time(data["accepted_at"])))
        replayed = [m["data"]["id"] for m, _ in todo if known.get(m["data"]["id"]) == FAILED]
        if replayed:
            s.execute(delete(submissions).where(submissions.c.id.in_(replayed)))
        if not todo:
            return counts
        keys = {k for m, _ in todo if (k := _day_key(m["data"])) is not None}
        staff_rows = staff.employees_by_nip(s, (m["data"]["nip"] for m, _ in todo))
        agencies = staff.settings_of_agencies(s, {r.agency_id for r in staff_rows.values()})
        memo: dict[Any, Any] = {("settings", a): settings for a, settings in agencies.items()}
        for pair, rhk in staff.rhk_choices_of(s, {(nip, day.year) for nip, day in keys}).items():
            memo[("rhk", *pair)] = rhk
        facts = {"memo": memo, "employees": staff_rows,
                 "in_force": _in_force(s, keys, min(at for _, at in todo)),
                 "drafts": _drafts(s, {k for m, _ in todo if m["data"].get("activities") is None
                                       and (k := _day_key(m["data"])) is not None})}
        outcomes = _walk(s, todo, facts)
        _write(s, outbox, outcomes)
        for o in outcomes:
            counts[o.status] += 1
            if o.status == "ditolak":
                set_request_id(o.message.get("requestid"))  # the log follows the gateway's request
                _tell_refused(s, o.message["data"], o.problem, staff_rows.get(o.message["data"]["nip"]))
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


def _tell_refused(s: Session, data: dict[str, Any], problem: dict[str, Any], person: Any = None) -> None:
    """Nothing vanishes silently: the employee gets a mail saying what was refused and why."""
    person = person if person is not None else staff.employee(s, data["nip"])
    if person is None or not person.email:
        return
    reasons_id = "\n".join(f"  - {e['field']}: {e['detail_id']}" for e in problem.get("errors", [])) \
        or f"  - {problem['detail_id']}"
    reasons_en = "\n".join(f"  - {e['field']}: {e['detail']}" for e in problem.get("errors", [])) \
        or f"  - {problem['detail']}"
    day: Any = data.get("date")  # as sent
    queue_mail(s, mail_queue, person.email, f"e-Kinerja: progres harian {day} tidak tersimpan / not saved",
               f"Yth. {person.name},\n\nProgres harian tanggal {day} yang Anda kirim tidak dapat disimpan:\n"
               f"{reasons_id}\n\nPerbaiki lalu kirim kembali:\n\n    {links.submission_page(day, data['id'])}\n\n"
               f"Your daily progress for {day} could not be saved:\n{reasons_en}\n\nFix it and submit again: "
               f"{links.submission_page(day, data['id'])}\n")


def _date_or_epoch(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):  # refused for it; the row still records the submission
        return dt.date(1970, 1, 1)


class TransactionSize:
    """How many submissions one transaction takes: as many as the last transactions stored in about
    `seconds` (an average over the recent ones), between 1 and `most`."""

    FIRST = 20  # before anything is measured: small, so the first transaction cannot run long

    def __init__(self, seconds: float, most: int) -> None:
        self.seconds, self.most = seconds, max(1, most)
        self.per_item: float | None = None
        self.size = min(self.FIRST, self.most)

    def took(self, items: int, elapsed: float) -> None:
        """A transaction of `items` submissions took `elapsed` seconds; 0 seconds: a batch is one."""
        if items <= 0:
            return
        sample = elapsed / items
        self.per_item = sample if self.per_item is None else 0.7 * self.per_item + 0.3 * sample
        if self.seconds <= 0 or self.per_item <= 0:
            self.size = self.most
        else:
            self.size = max(1, min(self.most, int(self.seconds / self.per_item)))


class SubmissionIntake(BackgroundLoop):
    """Consumes harian.submissions in batches (up to HARIAN_BATCH messages or HARIAN_BATCH_WAIT
    seconds), acked after the commit (and a submission that fails every try, after its parked copy is
    confirmed). A batch is stored in transactions of about HARIAN_TRANSACTION_SECONDS each (as many
    submissions as the last ones took that long for), with a turn for the rest of the process between
    them: a read or a health check waits for at most one of them, never for a whole batch (on SQLite
    every worker shares the one connection)."""

    identifier = "submission-intake"
    poll_setting = ("HARIAN_INTAKE_POLL_SECONDS", 0.0)

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def setup(self) -> None:
        super().setup()
        self.batch_size = config.env_int("HARIAN_BATCH", 300)
        self.batch_wait = config.env_float("HARIAN_BATCH_WAIT", 0.05)
        self.transaction_seconds = config.env_float("HARIAN_TRANSACTION_SECONDS", 0.25)
        self.chunk = TransactionSize(self.transaction_seconds, self.batch_size)
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
        """Stores the batch in transactions of about `transaction_seconds`, the others' turn between."""
        counts: Counter[str] = Counter()
        rest = batch
        while rest:
            chunk, rest = rest[:self.chunk.size], rest[self.chunk.size:]
            started = time.monotonic()
            counts.update(self._settle_chunk(chunk))
            self.chunk.took(len(chunk), time.monotonic() - started)
            if rest:
                eventlet.sleep(0)  # who waits for the database (a read, on SQLite the one connection) goes now
        return counts

    def _settle_chunk(self, batch: list[Any]) -> Counter[str]:
        """Stores the chunk; parks (and records as failed) each submission that failed every try."""
        counts: Counter[str] = Counter()

        def store(chunk: Sequence[Any]) -> None:
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
