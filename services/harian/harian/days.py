"""An employee's own days: drafts, the day as it stands, the month calendar, the RHK to choose from;
and the rules every write of a day goes through (shared by drafts and submissions)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import FieldError, validation_error
from ekinerja_kernel.events import as_utc, utcnow

from . import history, monitoring, staff
from .domain.backfill import allowed_dates, check_entry_date
from .domain.entry import Activity, parse_activities
from .domain.failure import FAILED
from .domain.month import month_view
from .domain.status import EntryState, combine_states, is_late
from .domain.workdays import read_date
from .tables import day_status, entries, submissions

SUPERSEDED = "diganti"  # an entry replaced by a later submission of the same day: kept, not counted
# The states of the entries in force (every state but SUPERSEDED), named so that a query of a day's
# live entries seeks them in ix_entries_nip_date_state and never reads the day's replaced ones.
LIVE_STATES = tuple(state.value for state in EntryState)
# What a new submission of the day replaces: everything in force but what the supervisor approved.
REPLACEABLE_STATES = (EntryState.DRAFT.value, EntryState.DIAJUKAN.value, EntryState.DIKEMBALIKAN.value)


def parse_day(value: Any) -> dt.date:
    day, errors = read_date(value, "date")
    if errors:
        raise validation_error(errors)
    assert day is not None  # read_date gives a date when it gives no error
    return day


def checked_activities(s: Session, owner: Any, day: dt.date, raw: Any, today: dt.date,
                       memo: dict[Any, Any] | None = None) -> tuple[Activity, ...]:
    """The day's activities if `owner` may write them for `day` on `today`, else one problem:
    the date rules first (they need no RHK), then the activities against the approved SKP.
    `memo` lets a batch read each agency's settings and each employee's RHK once."""
    memo = {} if memo is None else memo
    if ("settings", owner.agency_id) not in memo:
        memo[("settings", owner.agency_id)] = staff.settings_of(s, owner.agency_id)[0]
    settings = memo[("settings", owner.agency_id)]
    check_entry_date(settings.calendar(), day, today, settings.backfill_days)
    if ("rhk", owner.nip, day.year) not in memo:
        memo[("rhk", owner.nip, day.year)] = staff.rhk_choices(s, owner.nip, day.year)
    rhk = memo[("rhk", owner.nip, day.year)]
    if not rhk:
        raise staff.no_approved_skp(day.year)
    activities, errors = parse_activities(raw, {r.rhk_id for r in rhk})
    if errors:
        raise validation_error(errors, detail="The daily entry breaks one or more rules.",
                               detail_id="Progres harian melanggar satu atau lebih aturan.")
    return activities


# An activity's fields, as the contract's Activity names them and the entries table stores them.
ACTIVITY_FIELDS = tuple(f.name for f in dataclasses.fields(Activity))


def activity_columns(a: Activity) -> dict[str, Any]:
    """An activity as its entry row stores it (numbers as their exact text)."""
    values = ((name, getattr(a, name)) for name in ACTIVITY_FIELDS)
    return {name: str(value) if isinstance(value, Decimal) else value for name, value in values}


def activity_fields(r: Any) -> dict[str, Any]:
    """An entry (or draft) row's activity, as the API shows it and a draft is submitted again."""
    return {name: getattr(r, name) for name in ACTIVITY_FIELDS}


def store_activities(s: Session, nip: str, day: dt.date, activities: tuple[Activity, ...], state: str,
                     submission_id: str | None = None, submitted_at: dt.datetime | None = None) -> None:
    now = utcnow()
    s.execute(insert(entries), [
        {"id": str(uuid.uuid4()), "nip": nip, "date": day, "seq": seq, **activity_columns(a), "state": state,
         "submission_id": submission_id, "submitted_at": submitted_at, "updated_at": now}
        for seq, a in enumerate(activities)])


def refresh_day(s: Session, owner: Any, day: dt.date) -> str | None:
    """Recomputes the employee-day row of the read model from the day's live entries."""
    return refresh_days(s, {(owner.nip, day): owner})[(owner.nip, day)]


def touch_days(s: Session, keys: Iterable[tuple[str, dt.date]]) -> None:
    """monitoring.touch_day for many employee-days at once (in one order: their owners' rows are
    locked on PostgreSQL)."""
    monitoring.DAY_TRACKER.touch(s, sorted(keys))


DayKey = tuple[str, dt.date]  # (nip, date): one employee-day


def refresh_days(s: Session, owners: dict[DayKey, Any],
                 submitted: dict[DayKey, dt.datetime] | None = None) -> dict[DayKey, str | None]:
    """refresh_day for many employee-days at once (the intake's batch): the live entries and the
    rows as they stand read in one query per date, then one update and one insert for all.
    `submitted`: the earliest submission of each day in the batch, whose entries may be replaced
    already within it (the day's first submission time still counts it)."""
    touch_days(s, owners)  # the days' monitoring counters follow their new status
    by_date: dict[dt.date, list[str]] = {}
    for nip, day in owners:
        by_date.setdefault(day, []).append(nip)
    live: dict[tuple[str, dt.date], list[Any]] = {key: [] for key in owners}
    before: dict[tuple[str, dt.date], Any] = {}
    r: Any  # rows of two queries
    for day, nips in by_date.items():
        for r in s.execute(select(entries.c.nip, entries.c.state, entries.c.submitted_at).where(
                entries.c.nip.in_(nips), entries.c.date == day, entries.c.state.in_(LIVE_STATES))):
            live[(r.nip, day)].append(r)
        for r in s.execute(select(day_status.c.nip, day_status.c.first_submitted_at).where(
                day_status.c.nip.in_(nips), day_status.c.date == day)):
            before[(r.nip, day)] = r
    now, tz = utcnow(), config.timezone()
    statuses: dict[tuple[str, dt.date], str | None] = {}
    updates, inserts, gone = [], [], []
    for (nip, day), owner in owners.items():
        rows = live[(nip, day)]
        status = combine_states(r.state for r in rows)
        statuses[(nip, day)] = status.value if status else None
        if status is None:
            if (nip, day) in before:
                gone.append((nip, day))
            continue
        first = min((as_utc(r.submitted_at) for r in rows if r.submitted_at), default=None)
        previous = as_utc(before[(nip, day)].first_submitted_at) if (nip, day) in before else None
        candidates = [x for x in (first, previous, (submitted or {}).get((nip, day))) if x]
        first = min(candidates) if candidates else None
        values = {"agency_id": owner.agency_id, "unit_id": owner.unit_id, "status": status.value,
                  "entries": len(rows), "first_submitted_at": first,
                  "late": bool(first) and is_late(day, first, tz), "updated_at": now}
        if (nip, day) in before:
            updates.append({"k_nip": nip, "k_date": day, **values})
        else:
            inserts.append({"nip": nip, "date": day, **values})
    if updates:
        s.execute(update(day_status).where(day_status.c.nip == bindparam("k_nip"),
                                           day_status.c.date == bindparam("k_date")), updates)
    if inserts:
        s.execute(insert(day_status), inserts)
    for nip, day in gone:
        s.execute(delete(day_status).where(day_status.c.nip == nip, day_status.c.date == day))
    return statuses


def entry_view(r: Any) -> dict[str, Any]:
    return {"id": r.id, **activity_fields(r), "state": r.state, "note": r.note, "decided_by": r.decided_by,
            "submitted_at": as_utc(r.submitted_at).isoformat() if r.submitted_at else None}


def day_view(s: Session, nip: str, day: dt.date) -> dict[str, Any]:
    rows = s.execute(select(entries).where(entries.c.nip == nip, entries.c.date == day,
                                           entries.c.state.in_(LIVE_STATES))
                     .order_by(entries.c.state, entries.c.seq)).all()
    summary = s.execute(select(day_status).where(day_status.c.nip == nip, day_status.c.date == day)).first()
    refused = s.execute(select(submissions).where(submissions.c.nip == nip, submissions.c.date == day,
                                                  submissions.c.status.in_(("ditolak", FAILED)))
                        .order_by(submissions.c.accepted_at.desc())).first()
    labels = history.rhk_labels(s, (r.rhk_id for r in rows))
    return {"nip": nip, "date": day.isoformat(), "status": summary.status if summary else "belum_diisi",
            "late": bool(summary and summary.late),
            "entries": [history.with_rhk(entry_view(r), labels) for r in rows],
            "last_refused_submission": submission_view(refused) if refused else None,
            "history": history.day_history(s, nip, day)}


def submission_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "nip": row.nip, "date": row.date.isoformat(), "status": row.status,
            "entries": row.entries, "problem": row.problem, "accepted_at": as_utc(row.accepted_at).isoformat(),
            "processed_at": as_utc(row.processed_at).isoformat()}


# --- use cases ---------------------------------------------------------------------------------

def save_draft(factory: sessionmaker[Session], ctx: RequestContext, date: Any, activities: Any) -> dict[str, Any]:
    """The day's draft, replacing the previous draft of that day (submitted entries stay)."""
    caller = require(ctx.caller)
    day = parse_day(date)
    with unit_of_work(factory) as s:
        owner = staff.active_employee(s, caller.nip)
        parsed = checked_activities(s, owner, day, activities, config.today())
        s.execute(delete(entries).where(entries.c.nip == owner.nip, entries.c.date == day,
                                        entries.c.state == EntryState.DRAFT.value))
        store_activities(s, owner.nip, day, parsed, EntryState.DRAFT.value)
        refresh_day(s, owner, day)
        return day_view(s, owner.nip, day)


def delete_draft(factory: sessionmaker[Session], ctx: RequestContext, date: Any) -> dict[str, Any]:
    caller = require(ctx.caller)
    day = parse_day(date)
    with unit_of_work(factory) as s:
        owner = staff.active_employee(s, caller.nip)
        gone = s.execute(delete(entries).where(entries.c.nip == owner.nip, entries.c.date == day,  # type: ignore[attr-defined]  # DML executes to a CursorResult
                                               entries.c.state == EntryState.DRAFT.value)).rowcount
        if not gone:
            raise validation_error([FieldError("date", "has-draft", f"There is no draft for {day.isoformat()}.",
                                               f"Tidak ada draf untuk tanggal {day.isoformat()}.")])
        refresh_day(s, owner, day)
        return day_view(s, owner.nip, day)


def my_day(factory: sessionmaker[Session], ctx: RequestContext, date: Any) -> dict[str, Any]:
    caller = require(ctx.caller)
    day = parse_day(date)
    with factory() as s:
        return day_view(s, caller.nip, day)


def my_month(factory: sessionmaker[Session], ctx: RequestContext, year: int, month: int) -> dict[str, Any]:
    """Every day of the month with its status, and the blank working days, so no day is missed."""
    caller = require(ctx.caller)
    if not (isinstance(month, int) and 1 <= month <= 12 and isinstance(year, int) and 2020 <= year <= 2100):
        raise validation_error([FieldError("month", "month", "year and month must be e.g. 2026 and 1..12.",
                                           "year dan month harus mis. 2026 dan 1..12.")])
    with factory() as s:
        owner = staff.active_employee(s, caller.nip)
        start = dt.date(year, month, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        settings, _, _ = staff.settings_of(s, owner.agency_id)
        statuses = {r.date: r.status for r in s.execute(select(day_status).where(
            day_status.c.nip == owner.nip, day_status.c.date >= start, day_status.c.date <= end))}
        today = config.today()
        obligation = staff.obligation_of(s, owner, settings)
        view = month_view(settings.calendar(), staff.absences_of(s, owner.nip, start, end), year, month,
                          statuses, today, obligation)
        refused = {r.date for r in s.execute(select(submissions.c.date).where(
            submissions.c.nip == owner.nip, submissions.c.date >= start, submissions.c.date <= end,
            submissions.c.status.in_(("ditolak", FAILED))))}
        return {"year": year, "month": month, "counts": view.counts(),
                "obligation_start": obligation.isoformat() if obligation else None,
                "blank_working_days": [d.isoformat() for d in view.blank_working_days],
                "open_for_entry": [d.isoformat() for d in allowed_dates(settings.calendar(), today,
                                                                        settings.backfill_days)],
                "days": [{"date": d.date.isoformat(), "status": d.status.value, "working": d.working,
                          "off": d.off.detail if d.off else None, "off_id": d.off.detail_id if d.off else None,
                          "absence": d.absence.value if d.absence else None, "required": d.required,
                          "has_refused_submission": d.date in refused} for d in view.days]}


def rhk_for_day(factory: sessionmaker[Session], ctx: RequestContext, date: Any) -> dict[str, Any]:
    """The RHK of my approved SKP that an entry of that day can link to."""
    caller = require(ctx.caller)
    day = parse_day(date)
    with factory() as s:
        rows = staff.rhk_choices(s, caller.nip, day.year)
        return {"date": day.isoformat(), "year": day.year,
                "rhk": [{"id": r.rhk_id, "kind": r.kind, "text": r.text, "satuan": r.satuan, "target": r.target}
                        for r in rows]}


def submission_status(factory: sessionmaker[Session], ctx: RequestContext, submission_id: str) -> dict[str, Any]:
    """A submission as harian decided it, or "pending" while it still waits in the queue."""
    caller = require(ctx.caller)
    with factory() as s:
        row = s.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        if row is None:
            return {"id": submission_id, "status": "pending"}
        if row.nip != caller.nip:
            raise forbidden("This submission is someone else's.", "Pengiriman ini milik pegawai lain.")
        return {**submission_view(row), "day": day_view(s, row.nip, row.date)}
