"""What a day went through, kept for whoever judges the work later: each submission harian stored
and each decision of the supervisor (approved, or returned with the note). A decision stays on the
record of its day after the employee resubmits and the entries it concerned are replaced, so the
penilai sees at evaluation what was returned and why (`GET /api/v1/harian/decisions`); and the RHK
each entry links to, by its text and target, for the team's board."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import RequestContext, forbidden, require
from ekinerja_kernel.errors import FieldError, validation_error
from ekinerja_kernel.events import as_utc

from . import staff
from .domain.workdays import read_date
from .tables import approved_rhk, day_decisions, employees, submissions

MAX_HISTORY_DAYS = 366  # a whole evaluation year


def record_decision(s: Session, nip: str, day: dt.date, action: str, note: str | None, decided_by: str,
                    decided_at: dt.datetime, decided: Iterable[Any]) -> None:
    s.execute(insert(day_decisions).values(
        nip=nip, date=day, action=action, note=note, decided_by=decided_by, decided_at=decided_at,
        entries=[{"id": r.id, "rhk_id": r.rhk_id, "description": r.description} for r in decided]))


def rhk_labels(s: Session, rhk_ids: Iterable[str]) -> dict[str, Any]:
    """rhk_id -> its approved RHK (text, target) for the entries that link to one."""
    ids = sorted(set(rhk_ids))
    if not ids:
        return {}
    return {r.rhk_id: r for r in s.execute(select(approved_rhk.c.rhk_id, approved_rhk.c.text, approved_rhk.c.target)
                                           .where(approved_rhk.c.rhk_id.in_(ids)))}


def with_rhk(view: dict[str, Any], labels: dict[str, Any]) -> dict[str, Any]:
    """An entry's view with the text and target of its RHK (null when no longer in the approved SKP)."""
    found = labels.get(view["rhk_id"])
    return {**view, "rhk_text": found.text if found is not None else None,
            "rhk_target": found.target if found is not None else None}


def names_of(s: Session, nips: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({n for n in nips if n})
    if not wanted:
        return {}
    return dict(s.execute(select(employees.c.nip, employees.c.name).where(employees.c.nip.in_(wanted))).all())


def _decision_view(r: Any, names: dict[str, str]) -> dict[str, Any]:
    return {"date": r.date.isoformat(), "action": r.action, "note": r.note, "decided_by": r.decided_by,
            "decided_by_name": names.get(r.decided_by), "decided_at": as_utc(r.decided_at).isoformat(),
            "entries": r.entries}


def decisions(s: Session, nips: list[str], first: dt.date, last: dt.date) -> dict[tuple[str, dt.date], list]:
    """Every decision on the days of `nips` from `first` to `last`, oldest first, by (nip, date)."""
    if not nips:
        return {}
    rows = s.execute(select(day_decisions).where(day_decisions.c.nip.in_(nips), day_decisions.c.date >= first,
                                                 day_decisions.c.date <= last)
                     .order_by(day_decisions.c.decided_at, day_decisions.c.id)).all()
    names = names_of(s, (r.decided_by for r in rows))
    found: dict[tuple[str, dt.date], list] = {}
    for r in rows:
        found.setdefault((r.nip, r.date), []).append(_decision_view(r, names))
    return found


def day_history(s: Session, nip: str, day: dt.date) -> list[dict[str, Any]]:
    """The day's story, oldest first: `submitted` (each submission stored) and `approved` /
    `returned` (each decision, with the note)."""
    events: list[tuple[str, dict[str, Any]]] = []
    for r in s.execute(select(submissions.c.accepted_at, submissions.c.entries).where(
            submissions.c.nip == nip, submissions.c.date == day, submissions.c.status == "diterima")):
        at = as_utc(r.accepted_at).isoformat()
        events.append((at, {"event": "submitted", "at": at, "entries": r.entries}))
    for decision in decisions(s, [nip], day, day).get((nip, day), []):
        events.append((decision["decided_at"], {"event": "approved" if decision["action"] == "approve" else "returned",
                                                "at": decision["decided_at"], "note": decision["note"],
                                                "decided_by": decision["decided_by"],
                                                "decided_by_name": decision["decided_by_name"],
                                                "entries": decision["entries"]}))
    return [e for _, e in sorted(events, key=lambda pair: dt.datetime.fromisoformat(pair[0]))]


def _range(start: Any, end: Any) -> tuple[dt.date, dt.date]:
    first, errors = read_date(start, "from")
    last = first
    if end is not None and end != "":
        last, more = read_date(end, "to")
        errors += more
    if errors:
        raise validation_error(errors)
    assert first is not None and last is not None  # read_date gives a date when it gives no error
    if last < first or (last - first).days >= MAX_HISTORY_DAYS:
        raise validation_error([FieldError("to", "range", f"The range runs forward and spans at most "
                                                          f"{MAX_HISTORY_DAYS} days.",
                                           f"Rentang tanggal maju dan paling panjang {MAX_HISTORY_DAYS} hari.")])
    return first, last


def employee_decisions(factory: sessionmaker[Session], ctx: RequestContext, nip: Any, start: Any,
                       end: Any = None) -> dict[str, Any]:
    """The decisions on one employee's days over up to a year, with each note: for the employee,
    anyone above them in the chain (the penilai at evaluation, and the atasan's atasan) and their
    agency's admin."""
    caller = require(ctx.caller)
    first, last = _range(start, end)
    with factory() as s:
        person = staff.employee(s, nip if isinstance(nip, str) else None)
        allowed = person is not None and (caller.nip == person.nip or caller.administers(person.agency_id)
                                          or staff.supervises(s, caller.nip, person))
        if not allowed:
            raise forbidden("You can see the decisions on your own days, on those of anyone who reports to you "
                            "(directly or through others), or as an admin of their agency.",
                            "Anda dapat melihat keputusan atas hari-hari Anda sendiri, pegawai yang melapor kepada "
                            "Anda (langsung maupun melalui atasan lain), atau sebagai admin instansinya.")
        found = decisions(s, [person.nip], first, last)
        listed = [d for key in sorted(found) for d in found[key]]
        return {"nip": person.nip, "name": person.name, "from": first.isoformat(), "to": last.isoformat(),
                "returned": sum(1 for d in listed if d["action"] == "return"),
                "approved": sum(1 for d in listed if d["action"] == "approve"), "decisions": listed}
