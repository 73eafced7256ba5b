"""Each employee's findings, announced: sync runs the diagnosis again for the employees whose facts
changed and sends `employee.diagnosed` when their problems and warnings differ from the last ones
sent. identity's sign-in refusals and skp's planning refusals show these very findings, so a refusal
and `GET /api/v1/me/diagnosis` never tell two stories.

Who needs a new diagnosis is queued in the transaction of the change (an import or a repair of the
employee or of their supervisor, an acting official in a seat above them, their supervisor's SKP in
force), so a change that commits is never left undiagnosed. A background loop drains the queue;
once a day a sweep queues what changes by date alone: acting assignments that begin or end, and a
new year (the supervisor's SKP is checked per year). The first sweep of a database queues everyone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.outbox import Outbox

from .diagnosis import gather
from .domain import diagnosis as rules
from .rediagnose import queue, queue_everyone, seat_holders
from .tables import (
    acting,
    diagnosis_published,
    diagnosis_queue,
    employees,
    open_findings,
    registry_refused,
    sync_cursors,
)

SWEEP = "diagnosis:sweep"  # its row in sync_cursors: `since` = the day last swept
QUEUED = Gauge("ekinerja_sync_diagnosis_queued", "Employees waiting for a new diagnosis (backlog of the findings loop)")
REFUSED = Gauge("ekinerja_sync_registry_refused", "Employees whose latest registry record the import refused "
                "(data to fix in SIASN/MyASN; each one's diagnosis says which field)")


def observe(factory: sessionmaker[Session]) -> None:
    """The backlog and the refused records, for dashboards and alerts."""
    with factory() as s:
        QUEUED.set(s.execute(select(func.count()).select_from(diagnosis_queue)).scalar_one())
        REFUSED.set(s.execute(select(func.count()).select_from(registry_refused)).scalar_one())


def publish_queued(factory: sessionmaker[Session], outbox: Outbox, limit: int = 200) -> tuple[int, int]:
    """Diagnose up to `limit` queued employees (and the subordinates of those queued with cascade);
    put `employee.diagnosed` in the outbox for each whose findings changed. Returns (queue rows
    done, events put)."""
    today, now = config.today(), utcnow()
    sent = 0
    with unit_of_work(factory) as s:
        taken = s.execute(select(diagnosis_queue).order_by(diagnosis_queue.c.queued_at).limit(limit)
                          .with_for_update(skip_locked=True)).all()
        if not taken:
            return 0, 0
        nips = [r.nip for r in taken]
        cascading = [r.nip for r in taken if r.cascade]
        if cascading:
            nips += s.execute(select(employees.c.nip).where(employees.c.supervisor_nip.in_(cascading))
                              .order_by(employees.c.nip)).scalars()
        nips = list(dict.fromkeys(nips))
        last = dict(s.execute(select(diagnosis_published.c.nip, diagnosis_published.c.digest)
                              .where(diagnosis_published.c.nip.in_(nips))).all())
        for nip in nips:
            data = rules.announced(gather(s, nip, today.year, today, now))
            if data is None:
                continue
            digest = rules.digest(data)
            if last.get(nip) == digest:
                continue
            # Nothing wrong with someone never announced: consumers already take no record as that.
            if nip in last or data["findings"]:
                outbox.add(s, "employee.diagnosed", nip, data)
                sent += 1
            upsert(s, diagnosis_published, {"nip": nip}, {"digest": digest, "checked_at": now})
            _keep_open(s, data, now)
        for r in taken:  # a row queued again meanwhile (newer queued_at) stays for the next batch
            s.execute(delete(diagnosis_queue).where(diagnosis_queue.c.nip == r.nip,
                                                    diagnosis_queue.c.queued_at == r.queued_at))
    return len(taken), sent


def _keep_open(s: Session, data: dict[str, Any], now: dt.datetime) -> None:
    """The agency's read model: this employee's problems and warnings of the SKP year just checked,
    as announced (another year's rows stay as that year was last checked)."""
    s.execute(delete(open_findings).where(open_findings.c.nip == data["nip"], open_findings.c.year == data["year"]))
    rows = {f["code"]: {"nip": data["nip"], "year": data["year"], "code": f["code"],
                        "agency_id": data["agency_id"], "check_name": f["check"], "status": f["status"],
                        "blocks": list(f.get("blocks") or ()), "checked_at": now} for f in data["findings"]}
    if rows:
        s.execute(insert(open_findings), list(rows.values()))


def sweep(factory: sessionmaker[Session], today: dt.date) -> bool:
    """Once a day: queue the staff under seats whose acting official begins or ends, and on a new
    year (or a database never swept) everyone. True when it swept."""
    with unit_of_work(factory) as s:
        since = s.execute(select(sync_cursors.c.since).where(sync_cursors.c.scope == SWEEP)).scalar()
        last = dt.date.fromisoformat(since) if since else None
        if last == today:
            return False
        if last is None or last.year != today.year:
            queue_everyone(s)
        else:
            seats = s.execute(select(acting.c.unit_id, acting.c.position_id).distinct().where(or_(
                and_(acting.c.start_date > last, acting.c.start_date <= today),
                and_(acting.c.end_date >= last, acting.c.end_date < today)))).all()
            for unit_id, position_id in seats:
                queue(s, seat_holders(s, unit_id, position_id), cascade=True)
        upsert(s, sync_cursors, {"scope": SWEEP}, {"since": today.isoformat(), "updated_at": utcnow()})
    return True


def reannounce(factory: sessionmaker[Session], agency_id: str | None = None) -> None:
    """Forget what was sent (of one agency, or all) and queue everyone: the running service sends
    every employee's findings again (for a consumer that joined late or lost its copy)."""
    with unit_of_work(factory) as s:
        scope = select(employees.c.nip)
        if agency_id:
            scope = scope.where(employees.c.agency_id == agency_id)
        s.execute(delete(diagnosis_published).where(diagnosis_published.c.nip.in_(scope)))
        queue_everyone(s, agency_id)
