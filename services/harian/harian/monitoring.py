"""National monitoring, harian's part: daily-progress counters per node of the unit tree and date,
kept as each day changes (kernel rollup), so the national, agency and unit pages read a few rows per
node they show instead of entries or employees.

An employee-day counts once, by what decides it (`day_contributions`):
- it has a day_status row (something was written): by the row's status (draft, diajukan,
  disetujui, dikembalikan) and lateness, at the unit the row names (the owner's unit when written);
- else it was closed (day_closures: it left the back-fill window): blank (belum_diisi, and a
  closing whose entries are gone since) or justified, at the unit of the closing;
- else it is not known yet (today, or a day still open for back-filling): not counted. A day is
  blank once it can no longer be filled in, which is also when allowances count it.
Every writer of day_status goes through days.refresh_day, which touches the day here before it
changes; the closer touches each day it closes; staff touches each employee before their record
changes (the headcount). The delta from the old contribution to the new one is added at commit, in
the same transaction.

Who sees what: kernel.monitoring (BKN everything, an agency's admin and leadership their agency, a
unit's head its subtree). A national admin's read of someone's figures is recorded in mon_reads
in the transaction of the answer.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import monitoring as mon
from ekinerja_kernel import rollup
from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.inbox import first_delivery
from ekinerja_kernel.rollup import Contribution, pairs_in

from .monitoring_tables import DAYS, MEMBERS, READS, TREE
from .tables import day_closures, day_status, employees, inbox

FILLED = ("diajukan", "disetujui", "dikembalikan")
WRITTEN = ("draft", *FILLED)
JUSTIFIED = "justified"
CHUNK = 500
Grouped = Iterable[tuple[str | None, str | None, tuple, dict[str, int]]]  # leaf totals: agency, unit, key, values

ROLLUP = rollup.Rollup(TREE)
ROLLUP.add(DAYS)
ROLLUP.add(MEMBERS)


# --- contributions -------------------------------------------------------------------------------

def day_values(status: str, late: bool, closed: bool) -> dict[str, int]:
    """The counters one employee-day adds: by its row's status (`closed` False), or by its closing."""
    if closed:
        return {JUSTIFIED if status == JUSTIFIED else "blank": 1}
    values = {status: 1}
    if late and status in FILLED:
        values["late"] = 1
    return values


def day_contributions(s: Session, items: list[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], list[Contribution]]:
    found: dict[tuple[str, dt.date], list[Contribution]] = {}
    r: Any  # rows of two queries
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        for r in s.execute(select(day_status.c.nip, day_status.c.date, day_status.c.status, day_status.c.late,
                                  day_status.c.agency_id, day_status.c.unit_id)
                           .where(pairs_in((day_status.c.nip, day_status.c.date), chunk))):
            found[(r.nip, r.date)] = [Contribution(DAYS, r.agency_id, r.unit_id, (r.date,),
                                                   day_values(r.status, bool(r.late), closed=False))]
        for r in s.execute(select(day_closures.c.nip, day_closures.c.date, day_closures.c.status,
                                  day_closures.c.agency_id, day_closures.c.unit_id)
                           .where(pairs_in((day_closures.c.nip, day_closures.c.date), chunk))):
            found.setdefault((r.nip, r.date), [Contribution(DAYS, r.agency_id, r.unit_id, (r.date,),
                                                            day_values(r.status, False, closed=True))])
    return found


def member_contributions(s: Session, nips: list[str]) -> dict[str, list[Contribution]]:
    found: dict[str, list[Contribution]] = {}
    for start in range(0, len(nips), CHUNK):
        for r in s.execute(select(employees.c.nip, employees.c.status, employees.c.agency_id, employees.c.unit_id)
                           .where(employees.c.nip.in_(nips[start:start + CHUNK]))):
            if r.status == "active":
                found[r.nip] = [Contribution(MEMBERS, r.agency_id, r.unit_id, (), {"members": 1})]
    return found


def _lock_owners(s: Session, items: list[Any]) -> None:
    """The employee's read-copy row is the lock of their days: two writers of one employee-day (a
    decision and a new draft, two devices) take turns, so each sees the other's result as before."""
    nips = sorted({i[0] if isinstance(i, tuple) else i for i in items})
    for start in range(0, len(nips), CHUNK):
        s.execute(select(employees.c.nip).where(employees.c.nip.in_(nips[start:start + CHUNK]))
                  .order_by(employees.c.nip).with_for_update()).all()


DAY_TRACKER = ROLLUP.tracker("harian-days", day_contributions, _lock_owners)
MEMBER_TRACKER = ROLLUP.tracker("harian-members", member_contributions, _lock_owners)


def touch_day(s: Session, nip: str, day: dt.date, lock: bool = True) -> None:
    """Before a change of the employee-day's day_status row or closing (in the same transaction).
    The day closer passes lock=False: a day it closes is out of the back-fill window, so no entry
    can be written for it meanwhile, and a decision on a written day does not change what its closing
    adds (the row decides)."""
    DAY_TRACKER.touch(s, [(nip, day)], lock=lock)


def touch_member(s: Session, nip: str) -> None:
    """Before the employee's read-copy row changes (unit, agency, status)."""
    MEMBER_TRACKER.touch(s, [nip])


def on_unit_event(factory: sessionmaker[Session], envelope: dict[str, Any]) -> None:
    """unit.upserted: the unit's place in the tree (kernel rollup moves its totals when it moved)."""
    if envelope.get("type") != "ekinerja.unit.upserted.v1":
        return
    data = envelope["data"]
    with unit_of_work(factory) as s:
        if not first_delivery(s, inbox, envelope):
            return
        ROLLUP.place_unit(s, data["id"], data["agency_id"], data.get("parent_id"), data.get("name"),
                          data.get("kind"))


# --- who sees what ---------------------------------------------------------------------------------

def access_of(s: Session, ctx: RequestContext) -> mon.Access:
    return mon.access_of(s, ctx, employees, ROLLUP)


def target(s: Session, access: mon.Access, level: Any, id_: Any) -> tuple[str | None, Any, Sequence[Any]]:
    return mon.target(s, access, ROLLUP, level, id_)


node_view = mon.node_view


# --- reading the read model ---------------------------------------------------------------------------

def _total(t: Any) -> Any:
    return t.c.blank + t.c.justified + t.c.draft + t.c.diajukan + t.c.disetujui + t.c.dikembalikan


def _working_days(s: Session, under: str | None, nodes: list[str], first: dt.date, last: dt.date) -> dict[str, int]:
    """Per node (the children of `under`, or the nodes listed): the dates of the range with any
    employee-day known under it."""
    t = DAYS.table
    nodes = nodes or ROLLUP.child_nodes(s, under)
    if not nodes:
        return {}
    query = select(t.c.node, func.count()).where(rollup.node_in(s, t.c.node, nodes), t.c.date >= first,
                                                 t.c.date <= last, _total(t) > 0)
    return dict(s.execute(query.group_by(t.c.node)).all())


def _figures(counts: dict[str, Counter], members: dict[str, Counter], working: dict[str, int],
             nodes: list[str]) -> dict[str, dict[str, Any]]:
    return {n: mon.harian_figures(counts.get(n, Counter()), members.get(n, Counter())["members"], working.get(n, 0))
            for n in nodes}


def _series_view(series: dict[dt.date, Counter], first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    out, day = [], first
    while day <= last:
        f = mon.harian_figures(series.get(day, Counter()), 0, 0)
        out.append({"date": day.isoformat(), **{k: f[k] for k in ("employee_days", "filled", "on_time", "late",
                                                                  "draft", "approved", "returned", "blank",
                                                                  "justified", "filled_rate", "blank_rate")}})
        day += dt.timedelta(days=1)
    return out


def _people_rows(s: Session, row: Any, first: dt.date,
                 last: dt.date) -> Iterator[tuple[str, dt.date, str, bool, bool]]:
    """(nip, date, status, late, closed) of every employee-day counted at this node itself."""
    ds, dc = day_status, day_closures
    if row.level == rollup.UNIT:
        at_ds, at_dc = ds.c.unit_id == row.unit_id, dc.c.unit_id == row.unit_id
    else:
        at_ds = and_(ds.c.agency_id == row.agency_id, ds.c.unit_id.is_(None))
        at_dc = and_(dc.c.agency_id == row.agency_id, dc.c.unit_id.is_(None))
    r: Any  # rows of two queries
    for r in s.execute(select(ds.c.nip, ds.c.date, ds.c.status, ds.c.late).where(at_ds, ds.c.date >= first,
                                                                                  ds.c.date <= last)):
        yield r.nip, r.date, r.status, bool(r.late), False
    query = (select(dc.c.nip, dc.c.date, dc.c.status)
             .select_from(dc.outerjoin(ds, and_(ds.c.nip == dc.c.nip, ds.c.date == dc.c.date)))
             .where(at_dc, dc.c.date >= first, dc.c.date <= last, ds.c.nip.is_(None)))
    for r in s.execute(query):
        yield r.nip, r.date, r.status, False, True


def people(s: Session, row: Any, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The node's own people (not its children's): its current active members and whoever has an
    employee-day counted at it in the range, each with their figures; the list adds up to the node's
    own share of its totals."""
    counts: dict[str, Counter] = defaultdict(Counter)
    dates: dict[str, set[dt.date]] = defaultdict(set)
    for nip, day, status, late, closed in _people_rows(s, row, first, last):
        counts[nip].update(day_values(status, late, closed))
        dates[nip].add(day)
    where = [employees.c.status == "active"]
    where.append(employees.c.unit_id == row.unit_id if row.level == rollup.UNIT else
                 and_(employees.c.agency_id == row.agency_id, employees.c.unit_id.is_(None)))
    members = {r.nip: r for r in s.execute(select(employees).where(*where))}
    others = sorted(set(counts) - set(members))
    named = dict(members)
    for start in range(0, len(others), CHUNK):
        chunk = others[start:start + CHUNK]
        named.update({r.nip: r for r in s.execute(select(employees).where(employees.c.nip.in_(chunk)))})
    def name(nip: str) -> str | None:
        return named[nip].name if nip in named else None

    return [{"nip": nip, "name": name(nip),
             "figures": mon.harian_figures(counts.get(nip, Counter()), int(nip in members), len(dates.get(nip, ())))}
            for nip in sorted(set(members) | set(counts), key=lambda n: (name(n) or "", n))]


def view(factory: sessionmaker[Session], ctx: RequestContext, level: Any, id_: Any, start: Any,
         end: Any = None) -> dict[str, Any]:
    """One level of the roll-up for a date range: the node's figures and their series per date, its
    children (agencies under the nation, units under an agency or unit) and its own people."""
    first, last = mon.date_range(start, end)
    with factory() as s:
        access = access_of(s, ctx)
        node, row, path = target(s, access, level, id_)
        children = ROLLUP.children(s, node)
        child_nodes = [c.node for c in children]
        t = DAYS.table
        in_range = (t.c.date >= first, t.c.date <= last)
        # The children's rows in one statement each, found by their parent (no list of nodes sent).
        figures = _figures(ROLLUP.child_sums(s, DAYS, node, *in_range), ROLLUP.child_sums(s, MEMBERS, node),
                           _working_days(s, node, [], first, last), child_nodes)
        if node is None:  # the nation: its agencies summed
            series = {k[0]: c for k, c in ROLLUP.child_series(s, DAYS, None, ("date",), *in_range).items()}
            total: Counter = Counter()
            for day in series.values():
                total.update(day)
            members = sum(f["members"] for f in figures.values())
            own = mon.harian_figures(total, members, sum(1 for c in series.values() if sum(c.values())))
        else:
            series = ROLLUP.series(s, DAYS, node, "date", *in_range)
            own = _figures(ROLLUP.sums(s, DAYS, [node], *in_range), ROLLUP.sums(s, MEMBERS, [node]),
                           _working_days(s, None, [node], first, last), [node])[node]
        listed = people(s, row, first, last) if row is not None else []
        answer = {"level": level, "id": id_ if node else None, "from": first.isoformat(), "to": last.isoformat(),
                "node": node_view(row) if row is not None else None,
                "path": [node_view(p) for p in path],
                "figures": own, "series": _series_view(series, first, last),
                "children": [{**node_view(c), "figures": figures[c.node]} for c in children],
                "people": listed, "pay_visible": access.sees_pay(row.agency_id) if row is not None else access.national}
    if listed and access.national:
        _record(factory, ctx, f"{row.level}:{id_}", "people", [p["nip"] for p in listed], first, last)
    return answer


def person(factory: sessionmaker[Session], ctx: RequestContext, nip: Any, start: Any,
           end: Any = None) -> dict[str, Any]:
    """One person's days in the range as harian counts them, with their figures and place in the tree."""
    first, last = mon.date_range(start, end)
    with factory() as s:
        access = access_of(s, ctx)
        found, path = mon.person_target(s, access, ROLLUP, employees, nip)
        known: dict[dt.date, dict[str, Any]] = {}
        items = [(nip, first + dt.timedelta(days=i)) for i in range((last - first).days + 1)]
        counts: Counter = Counter()
        for r in s.execute(select(day_status).where(pairs_in((day_status.c.nip, day_status.c.date), items))):
            known[r.date] = {"date": r.date.isoformat(), "status": r.status, "late": bool(r.late), "closed": False,
                             "unit_id": r.unit_id, "entries": r.entries}
            counts.update(day_values(r.status, bool(r.late), closed=False))
        for r in s.execute(select(day_closures).where(pairs_in((day_closures.c.nip, day_closures.c.date), items))):
            if r.date not in known:
                status = JUSTIFIED if r.status == JUSTIFIED else "belum_diisi"
                known[r.date] = {"date": r.date.isoformat(), "status": status, "late": False, "closed": True,
                                 "unit_id": r.unit_id, "entries": 0}
                counts.update(day_values(r.status, False, closed=True))
            else:
                known[r.date]["closed"] = True
        answer = {"nip": nip, "name": found.name, "status": found.status, "agency_id": found.agency_id,
                "unit_id": found.unit_id, "supervisor_nip": found.supervisor_nip,
                "from": first.isoformat(), "to": last.isoformat(), "path": [node_view(p) for p in path],
                "figures": mon.harian_figures(counts, int(found.status == "active"), len(known)),
                "days": [known[d] for d in sorted(known)],
                "pay_visible": access.sees_pay(found.agency_id) or nip == access.caller.nip}
    if access.audited(nip):
        _record(factory, ctx, nip, "person", [nip], first, last)
    return answer


def _record(factory: sessionmaker[Session], ctx: RequestContext, subject: str, what: str, nips: list[str],
            first: dt.date, last: dt.date) -> None:
    mon.record(factory, READS, ctx, subject, what, nips, f"{first.isoformat()}/{last.isoformat()}")


def reads(factory: sessionmaker[Session], ctx: RequestContext, subject: Any = None, limit: Any = 100) -> dict[str, Any]:
    """The record of national reads of people (for BKN's national admins)."""
    return mon.read_log(factory, ctx, employees, ROLLUP, READS, subject, limit)


# --- rebuilding from the source tables ---------------------------------------------------------------

def _months(s: Session) -> list[tuple[dt.date, dt.date]]:
    lows = [s.execute(select(func.min(t.c.date), func.max(t.c.date))).one() for t in (day_status, day_closures)]
    dates = [d for pair in lows for d in pair if d is not None]
    if not dates:
        return []
    found, day = [], min(dates).replace(day=1)
    while day <= max(dates):
        end = (day + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        found.append((day, end))
        day = end + dt.timedelta(days=1)
    return found


def grouped_days(s: Session, first: dt.date, last: dt.date) -> Grouped:
    """Leaf totals per (agency, unit, date) of the employee-days from first to last, from the source
    tables: one GROUP BY over day_status and one over the closings without a row."""
    ds, dc = day_status, day_closures
    for r in s.execute(select(ds.c.agency_id, ds.c.unit_id, ds.c.date, ds.c.status, ds.c.late, func.count().label("n"))
                       .where(ds.c.date >= first, ds.c.date <= last)
                       .group_by(ds.c.agency_id, ds.c.unit_id, ds.c.date, ds.c.status, ds.c.late)):
        values = day_values(r.status, bool(r.late), False)
        yield r.agency_id, r.unit_id, (r.date,), {k: v * r.n for k, v in values.items()}
    for r in s.execute(select(dc.c.agency_id, dc.c.unit_id, dc.c.date, dc.c.status, func.count().label("n"))
                       .select_from(dc.outerjoin(ds, and_(ds.c.nip == dc.c.nip, ds.c.date == dc.c.date)))
                       .where(dc.c.date >= first, dc.c.date <= last, ds.c.nip.is_(None))
                       .group_by(dc.c.agency_id, dc.c.unit_id, dc.c.date, dc.c.status)):
        yield r.agency_id, r.unit_id, (r.date,), {k: v * r.n for k, v in day_values(r.status, False, True).items()}


def grouped_members(s: Session) -> Grouped:
    for r in s.execute(select(employees.c.agency_id, employees.c.unit_id, func.count().label("n"))
                       .where(employees.c.status == "active").group_by(employees.c.agency_id, employees.c.unit_id)):
        yield r.agency_id, r.unit_id, (), {"members": r.n}


def rebuild(factory: sessionmaker[Session]) -> dict[str, int]:
    """Recomputes every counter from the source tables, a month per transaction (writers wait only
    for the month being rebuilt, and what they commit afterwards is added on top). The tree itself
    comes from unit.upserted (`ekinerja-sync announce` sends every unit again)."""
    written = {"members": 0, "days": 0, "months": 0}
    with unit_of_work(factory) as s:
        written["members"] = ROLLUP.rebuild(s, MEMBERS, list(grouped_members(s)))
        months = _months(s)
    t = DAYS.table
    stale_before = months[0][0] if months else None
    with unit_of_work(factory) as s:  # rows of dates no source row has any more
        if stale_before is None:
            ROLLUP.rebuild(s, DAYS, [])
        else:
            ROLLUP.rebuild(s, DAYS, [], (t.c.date < stale_before) | (t.c.date > months[-1][1]))
    for first, last in months:
        with unit_of_work(factory) as s:
            written["days"] += ROLLUP.rebuild(s, DAYS, list(grouped_days(s, first, last)), t.c.date >= first,
                                              t.c.date <= last)
            written["months"] += 1
    return written


def check(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Where the stored counters differ from a count of the source tables (empty when they agree)."""
    differences = []
    with factory() as s:
        expected = ROLLUP.expected(s, MEMBERS, grouped_members(s))
        differences += rollup.differences("mon_harian_members", expected, ROLLUP.stored(s, MEMBERS))
        t = DAYS.table
        for first, last in _months(s):
            expected = ROLLUP.expected(s, DAYS, grouped_days(s, first, last))
            differences += rollup.differences("mon_harian_days", expected,
                                    ROLLUP.stored(s, DAYS, t.c.date >= first, t.c.date <= last))
    return differences

