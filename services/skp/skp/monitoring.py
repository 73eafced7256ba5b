"""National monitoring, skp's part: plan states per node of the unit tree and year, evaluations and
predikat per node and period, and the predikat distribution of each unit against the caps its own
predikat sets, kept as plans and evaluations change (kernel rollup).

What counts where (`*_contributions`):
- an SKP of an active employee, at their current unit, by state (draft, diajukan, disetujui; an SKP
  with a version in force counts as disetujui while a revision is worked on: kernel rules.skp_in_force);
  "none" is the unit's active members minus its SKPs of the year;
- an evaluation, by period (year, kind, seq: the same across agencies), at the unit it was finalised
  with, or before that at its employee's current unit: realisasi (draft), dinilai or final, and the
  predikat of the rated ones; the unit's own rated predikat are kept apart (not rolled up) for its
  distribution check;
- each unit and period with a predikat kinerja organisasi set counts once in units_with_predikat,
  and in units_outside_caps while its own staff's predikat break the caps of that predikat
  (domain.distribution, counting every rated member of the unit, its head included; finalising
  applies the binding check, which leaves the heads out).
Touched before each change by the use cases (plans, realisasi, ratings, finalising, a unit's
predikat) and by staff before an employee's record changes; deltas at commit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import monitoring as mon
from ekinerja_kernel import rollup, rules
from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import FieldError, validation_error
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.inbox import first_delivery
from ekinerja_kernel.rollup import Contribution, DeltaKey, pairs_in, parse_node, unit_node

from .domain import distribution
from .domain.distribution import UnitPredikat
from .domain.evaluation import EvaluationState
from .domain.predikat import Predikat
from .monitoring_tables import CAPS, EVALUATIONS, MEMBERS, OWN, PLANS, PREDIKAT, READS, TREE, unit_caps
from .tables import employees, evaluations, inbox, periods, skps, unit_predikat

CHUNK = 500
FIRST_YEAR, LAST_YEAR = 2020, 2100
Grouped = Iterable[tuple[str | None, str | None, tuple, dict[str, int]]]

ROLLUP = rollup.Rollup(TREE)
for _aggregate in (PLANS, MEMBERS, EVALUATIONS, OWN, CAPS):
    ROLLUP.add(_aggregate)


# --- contributions -------------------------------------------------------------------------------

def plan_state(state: str, approved_version: int | None) -> str:
    return "disetujui" if rules.skp_in_force(approved_version) else state


def evaluation_values(state: str, predikat: str | None) -> dict[str, int]:
    if state == EvaluationState.DRAFT:
        return {"realisasi": 1}
    values = {state: 1}
    if predikat:
        values[predikat] = 1
    return values


def plan_contributions(s: Session, items: list[tuple[str, int]]) -> dict[tuple[str, int], list[Contribution]]:
    found: dict[tuple[str, int], list[Contribution]] = {}
    for start in range(0, len(items), CHUNK):
        query = (select(skps.c.nip, skps.c.year, skps.c.state, skps.c.approved_version, employees.c.agency_id,
                        employees.c.unit_id)
                 .join(employees, employees.c.nip == skps.c.nip)
                 .where(pairs_in((skps.c.nip, skps.c.year), items[start:start + CHUNK]),
                        employees.c.status == "active"))
        for r in s.execute(query):
            found[(r.nip, r.year)] = [Contribution(PLANS, r.agency_id, r.unit_id, (r.year,),
                                                   {plan_state(r.state, r.approved_version): 1})]
    return found


def member_contributions(s: Session, nips: list[str]) -> dict[str, list[Contribution]]:
    found: dict[str, list[Contribution]] = {}
    for start in range(0, len(nips), CHUNK):
        for r in s.execute(select(employees.c.nip, employees.c.status, employees.c.agency_id, employees.c.unit_id)
                           .where(employees.c.nip.in_(nips[start:start + CHUNK]))):
            if r.status == "active":
                found[r.nip] = [Contribution(MEMBERS, r.agency_id, r.unit_id, (), {"members": 1})]
    return found


def _evaluation_place() -> tuple[Any, Any]:
    """(agency, unit) an evaluation counts at, as SQL: the unit it was finalised with (in its period's
    agency), else its employee's current unit and agency."""
    finalised = and_(evaluations.c.state == EvaluationState.FINAL.value, evaluations.c.unit_id.is_not(None))
    agency = case((finalised, periods.c.agency_id), else_=func.coalesce(employees.c.agency_id, periods.c.agency_id))
    unit = case((finalised, evaluations.c.unit_id), else_=employees.c.unit_id)
    return agency, unit


def evaluation_contributions(s: Session, items: list[tuple[str, str, str]]
                             ) -> dict[tuple[str, str, str], list[Contribution]]:
    """Items are (nip, skp_id, period_id): an evaluation is one per SKP and period."""
    found: dict[tuple[str, str, str], list[Contribution]] = {}
    agency, unit = _evaluation_place()
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        query = (select(evaluations.c.nip, evaluations.c.skp_id, evaluations.c.period_id, evaluations.c.state,
                        evaluations.c.predikat, periods.c.year, periods.c.kind, periods.c.seq,
                        agency.label("agency_id"), unit.label("unit_id"))
                 .join(periods, periods.c.id == evaluations.c.period_id)
                 .outerjoin(employees, employees.c.nip == evaluations.c.nip)
                 .where(pairs_in((evaluations.c.skp_id, evaluations.c.period_id), [(i[1], i[2]) for i in chunk])))
        for r in s.execute(query):
            key = (r.year, r.kind, r.seq)
            values = evaluation_values(r.state, r.predikat)
            found[(r.nip, r.skp_id, r.period_id)] = [Contribution(EVALUATIONS, r.agency_id, r.unit_id, key, values)]
            if r.state != EvaluationState.DRAFT and r.predikat:
                found[(r.nip, r.skp_id, r.period_id)].append(
                    Contribution(OWN, r.agency_id, r.unit_id, key, {r.predikat: 1}))
    return found


def _lock_owners(s: Session, items: list[Any]) -> None:
    """The employee's read-copy row is the lock of their plans and evaluations: two writers (a
    decision and a move in master data) take turns, each seeing the other's result as before."""
    nips = sorted({i[0] if isinstance(i, tuple) else i for i in items})
    for start in range(0, len(nips), CHUNK):
        s.execute(select(employees.c.nip).where(employees.c.nip.in_(nips[start:start + CHUNK]))
                  .order_by(employees.c.nip).with_for_update()).all()


PLAN_TRACKER = ROLLUP.tracker("skp-plans", plan_contributions, _lock_owners)
MEMBER_TRACKER = ROLLUP.tracker("skp-members", member_contributions, _lock_owners)
EVALUATION_TRACKER = ROLLUP.tracker("skp-evaluations", evaluation_contributions, _lock_owners)


def touch_plan(s: Session, nip: str, year: int) -> None:
    """Before an SKP of (nip, year) is created or changes state."""
    PLAN_TRACKER.touch(s, [(nip, year)])


def touch_evaluations(s: Session, items: Iterable[tuple[str, str, str]]) -> None:
    """Before evaluations (nip, skp_id, period_id) are created or change state, predikat or unit."""
    EVALUATION_TRACKER.touch(s, list(items))


def touch_employee(s: Session, nip: str) -> None:
    """Before the employee's read-copy row changes: their headcount, plans and evaluations follow."""
    MEMBER_TRACKER.touch(s, [nip])
    PLAN_TRACKER.touch(s, [(nip, y) for y in s.scalars(select(skps.c.year).where(skps.c.nip == nip))])
    EVALUATION_TRACKER.touch(s, [(nip, r.skp_id, r.period_id) for r in s.execute(
        select(evaluations.c.skp_id, evaluations.c.period_id).where(evaluations.c.nip == nip))])


def note_unit_predikat(s: Session, unit_id: str, period_id: str) -> None:
    """A unit's predikat for a period was set: its distribution check is looked at again at commit."""
    ROLLUP.note(s, "caps", [(unit_id, period_id)])


# --- the distribution check per unit and period ----------------------------------------------------

def _period_keys(s: Session, ids: Iterable[str]) -> dict[str, tuple[int, str, int]]:
    ids = list(ids)
    return {r.id: (r.year, r.kind, r.seq) for r in s.execute(select(periods.c.id, periods.c.year, periods.c.kind,
                                                                    periods.c.seq).where(periods.c.id.in_(ids)))}


def unit_predikat_of(s: Session, unit_id: str, agency_id: str, key: tuple[int, str, int]) -> str | None:
    year, kind, seq = key
    return s.execute(select(unit_predikat.c.predikat).join(periods, periods.c.id == unit_predikat.c.period_id)
                     .where(unit_predikat.c.unit_id == unit_id, periods.c.agency_id == agency_id,
                            periods.c.year == year, periods.c.kind == kind, periods.c.seq == seq)).scalar()


def caps_state(own: Counter, predikat: str | None) -> tuple[int, int, list[dict[str, str]]]:
    """(with predikat, outside the caps, the broken rules) of one unit and period."""
    if not predikat:
        return 0, 0, []
    rated = [Predikat(p) for p, n in own.items() for _ in range(n)]
    violations = distribution.check(UnitPredikat(predikat), rated)
    return 1, int(bool(violations)), [{"rule": v.rule, "detail": v.detail, "detail_id": v.detail_id}
                                      for v in violations]


def _recheck(s: Session, applied: dict[DeltaKey, Counter], notes: dict[str, set]) -> None:
    """After the deltas of a commit: each unit and period whose own predikat counts changed, or whose
    unit predikat was set, is checked again; what it adds to CAPS changes by the difference from what
    its record says it added (the record's row locked, so concurrent writers take turns)."""
    keys: set[tuple[str, tuple]] = {(node, key) for aggregate, node, key in applied
                                    if aggregate is OWN and parse_node(node)[0] == rollup.UNIT}
    noted = notes.get("caps", set())
    if noted:
        by_period = _period_keys(s, {period for _, period in noted})
        keys |= {(unit_node(u), by_period[p]) for u, p in noted if p in by_period}
    if not keys:
        return
    deltas: dict[DeltaKey, Counter] = {}
    agencies: dict[str, str] = {}
    for node, key in sorted(keys, key=lambda k: (k[0], str(k[1]))):
        row = ROLLUP.node(s, node)
        if row is None:
            continue
        own = ROLLUP.series(s, OWN, node, "year", *[OWN.table.c[k] == v for k, v in zip(OWN.keys, key, strict=True)])
        counts = next(iter(own.values()), Counter())
        predikat = unit_predikat_of(s, row.unit_id, row.agency_id, key)
        now = caps_state(counts, predikat)
        ident = {"unit_id": row.unit_id, **dict(zip(OWN.keys, key, strict=True))}
        rollup._insert_ignore(s, unit_caps, list(ident), [{**ident, "agency_id": row.agency_id, "unit_predikat": None,
                                                           "outside": False, "violations": [],
                                                           "updated_at": utcnow()}])
        where = [unit_caps.c[k] == v for k, v in ident.items()]
        before = s.execute(select(unit_caps).where(*where).with_for_update()).first()
        assert before is not None  # inserted just above when it was missing
        was = (int(before.unit_predikat is not None), int(before.outside))
        if (was, before.violations) != (now[:2], now[2]) or before.unit_predikat != predikat:
            s.execute(update(unit_caps).where(*where).values(agency_id=row.agency_id, unit_predikat=predikat,
                                                            outside=bool(now[1]), violations=now[2],
                                                            updated_at=utcnow()))
        change = Counter({"units_with_predikat": now[0] - was[0], "units_outside_caps": now[1] - was[1]})
        if any(change.values()):
            deltas[(CAPS, node, key)] = change
            agencies[node] = row.agency_id
    ROLLUP.apply(s, deltas, agencies)


ROLLUP.after_flush.append(_recheck)


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


# --- reading ------------------------------------------------------------------------------------------

def _year(year: Any) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise validation_error([FieldError("year", "range", f"year must be from {FIRST_YEAR} to {LAST_YEAR}.",
                                           f"year harus dari {FIRST_YEAR} sampai {LAST_YEAR}.")])
    return year


AGGREGATES = {"plans": PLANS, "members": MEMBERS, "evaluations": EVALUATIONS, "caps": CAPS}


def _counters(s: Session, node: str | None, year: int, children: bool) -> dict[str, dict[str, Counter]]:
    """Per aggregate, the year's counters of the node's children (found by their parent, in one
    statement each), or of the node itself."""
    found = {}
    for name, aggregate in AGGREGATES.items():
        where = [aggregate.table.c.year == year] if "year" in aggregate.keys else []
        if children:
            found[name] = ROLLUP.child_sums(s, aggregate, node, *where)
        else:
            assert node is not None  # a node's own counters are asked for a node only (view)
            found[name] = ROLLUP.sums(s, aggregate, [node], *where)
    return found


def _figures(counters: dict[str, dict[str, Counter]], node: str) -> dict[str, Any]:
    return mon.skp_figures(counters["plans"].get(node, {}), counters["members"].get(node, Counter())["members"],
                           counters["evaluations"].get(node, {}), counters["caps"].get(node, {}))


def _periods(s: Session, node: str | None, year: int) -> list[dict[str, Any]]:
    """The node's evaluations and caps per period of the year (the nation's: its agencies summed)."""
    rows: dict[tuple[str, int], dict[str, Counter]] = defaultdict(lambda: {"e": Counter(), "c": Counter()})
    found: dict[Any, Counter]
    for aggregate, slot in ((EVALUATIONS, "e"), (CAPS, "c")):
        t = aggregate.table
        if node is None:
            found = ROLLUP.child_series(s, aggregate, None, ("kind", "seq"), t.c.year == year)
        else:
            query = (select(t.c.kind, t.c.seq, *[func.sum(t.c[v]).label(v) for v in aggregate.values])
                     .where(t.c.node == node, t.c.year == year).group_by(t.c.kind, t.c.seq))
            found = {(r["kind"], r["seq"]): Counter({v: int(r[v] or 0) for v in aggregate.values})
                     for r in s.execute(query).mappings()}
        for key, counter in found.items():
            rows[key][slot].update(counter)
    order = {"annual": 0, "quarterly": 1, "monthly": 2}
    out = []
    for (kind, seq), found in sorted(rows.items(), key=lambda i: (order.get(i[0][0], 9), i[0][1])):
        f = mon.skp_figures({}, 0, found["e"], found["c"])
        out.append({"kind": kind, "seq": seq, "realisasi": found["e"]["realisasi"],
                    **{k: f[k] for k in ("evaluations", "evaluations_final", "units_with_predikat",
                                         "units_outside_caps", *[f"predikat_{p}" for p in PREDIKAT])}})
    return out


def _caps_detail(s: Session, row: Any, year: int) -> list[dict[str, Any]]:
    """A unit's own distribution per period of the year against the caps of its predikat."""
    t = OWN.table
    own = {(r.kind, r.seq): Counter({p: int(getattr(r, p)) for p in PREDIKAT})
           for r in s.execute(select(t).where(t.c.node == row.node, t.c.year == year))}
    recorded = {(r.kind, r.seq): r for r in s.execute(select(unit_caps).where(unit_caps.c.unit_id == row.unit_id,
                                                                             unit_caps.c.year == year))}
    out = []
    for kind, seq in sorted(set(own) | set(recorded), key=lambda k: (k[0], k[1])):
        r = recorded.get((kind, seq))
        counts = own.get((kind, seq), Counter())
        out.append({"kind": kind, "seq": seq, "unit_predikat": r.unit_predikat if r else None,
                    "rated": sum(counts.values()), **{f"predikat_{p}": counts[p] for p in PREDIKAT},
                    "caps": [{"kind": k, "predikat": [p.value for p in group], "share": share}
                             for k, group, share in distribution.RULES[UnitPredikat(r.unit_predikat)]]
                    if r and r.unit_predikat else [],
                    "outside_caps": bool(r and r.outside), "violations": r.violations if r else []})
    return out


def _people(s: Session, row: Any, year: int) -> list[dict[str, Any]]:
    """The node's own current members, each with their SKP of the year and its evaluations."""
    where = [employees.c.status == "active"]
    where.append(employees.c.unit_id == row.unit_id if row.level == rollup.UNIT else
                 and_(employees.c.agency_id == row.agency_id, employees.c.unit_id.is_(None)))
    members = s.execute(select(employees).where(*where).order_by(employees.c.name, employees.c.nip)).all()
    nips = [m.nip for m in members]
    plans = {r.nip: r for r in s.execute(select(skps).where(skps.c.nip.in_(nips), skps.c.year == year))}
    rated: dict[str, list[Any]] = defaultdict(list)
    for r in s.execute(select(evaluations.c.nip, evaluations.c.state, evaluations.c.predikat, periods.c.end_date)
                       .join(periods, periods.c.id == evaluations.c.period_id)
                       .where(evaluations.c.nip.in_(nips), periods.c.year == year).order_by(periods.c.end_date)):
        rated[r.nip].append(r)
    out = []
    for m in members:
        plan = plans.get(m.nip)
        state = plan_state(plan.state, plan.approved_version) if plan else None
        evals: Counter = Counter()
        for e in rated.get(m.nip, []):
            evals.update(evaluation_values(e.state, e.predikat))
        latest = next((e.predikat for e in reversed(rated.get(m.nip, [])) if e.predikat), None)
        out.append({"nip": m.nip, "name": m.name, "skp_state": state, "latest_predikat": latest,
                    "figures": mon.skp_figures({state: 1} if state else {}, 1, evals, {})})
    return out


def view(factory: sessionmaker[Session], ctx: RequestContext, level: Any, id_: Any, year: Any) -> dict[str, Any]:
    """One level of the roll-up for a year: its planning and evaluation figures, per period with the
    caps, its children's figures and its own people."""
    year = _year(year)
    with factory() as s:
        access = mon.access_of(s, ctx, employees, ROLLUP)
        node, row, path = mon.target(s, access, ROLLUP, level, id_)
        children = ROLLUP.children(s, node)
        below = _counters(s, node, year, children=True)
        if node is None:  # the nation: its agencies summed
            total = {name: {"": sum(found.values(), Counter())} for name, found in below.items()}
            own = _figures(total, "")
        else:
            own = _figures(_counters(s, node, year, children=False), node)
        listed = _people(s, row, year) if row is not None else []
        answer = {"level": level, "id": id_ if node else None, "year": year,
                  "node": mon.node_view(row) if row is not None else None,
                  "path": [mon.node_view(p) for p in path], "figures": own,
                  "periods": _periods(s, node, year),
                  "caps": _caps_detail(s, row, year) if row is not None and row.level == rollup.UNIT else [],
                  "children": [{**mon.node_view(c), "figures": _figures(below, c.node)} for c in children],
                  "people": listed}
    if listed and access.national:
        mon.record(factory, READS, ctx, f"{row.level}:{id_}", "people", [p["nip"] for p in listed], str(year))
    return answer


def person(factory: sessionmaker[Session], ctx: RequestContext, nip: Any, year: Any) -> dict[str, Any]:
    """One person's SKP of the year and its evaluations."""
    year = _year(year)
    with factory() as s:
        access = mon.access_of(s, ctx, employees, ROLLUP)
        found, path = mon.person_target(s, access, ROLLUP, employees, nip)
        plan = s.execute(select(skps).where(skps.c.nip == nip, skps.c.year == year)).first()
        rows = s.execute(select(evaluations, periods.c.kind, periods.c.seq, periods.c.start_date, periods.c.end_date)
                         .join(periods, periods.c.id == evaluations.c.period_id)
                         .where(evaluations.c.nip == nip, periods.c.year == year)
                         .order_by(periods.c.end_date, periods.c.kind)).all()
        evals: Counter = Counter()
        for r in rows:
            evals.update(evaluation_values(r.state, r.predikat))
        state = plan_state(plan.state, plan.approved_version) if plan else None
        answer = {"nip": nip, "name": found.name, "year": year, "path": [mon.node_view(p) for p in path],
                  "skp": {"id": plan.id, "state": state, "stored_state": plan.state, "version": plan.version,
                          "approved_version": plan.approved_version} if plan else None,
                  "evaluations": [{"period": {"kind": r.kind, "seq": r.seq, "start": r.start_date.isoformat(),
                                              "end": r.end_date.isoformat()},
                                   "state": r.state, "predikat": r.predikat, "unit_id": r.unit_id,
                                   "unit_predikat": r.unit_predikat} for r in rows],
                  "figures": mon.skp_figures({state: 1} if state else {}, int(found.status == "active"), evals, {})}
    if access.audited(nip):
        mon.record(factory, READS, ctx, nip, "person", [nip], str(year))
    return answer


def reads(factory: sessionmaker[Session], ctx: RequestContext, subject: Any = None, limit: Any = 100) -> dict[str, Any]:
    """The record of national reads of people (for BKN's national admins)."""
    return mon.read_log(factory, ctx, employees, ROLLUP, READS, subject, limit)


# --- rebuilding from the source tables -----------------------------------------------------------------

def grouped_members(s: Session) -> Grouped:
    for r in s.execute(select(employees.c.agency_id, employees.c.unit_id, func.count().label("n"))
                       .where(employees.c.status == "active").group_by(employees.c.agency_id, employees.c.unit_id)):
        yield r.agency_id, r.unit_id, (), {"members": r.n}


def grouped_plans(s: Session) -> Grouped:
    in_force = skps.c.approved_version.is_not(None)
    for r in s.execute(select(employees.c.agency_id, employees.c.unit_id, skps.c.year, skps.c.state,
                              in_force.label("in_force"), func.count().label("n"))
                       .join(employees, employees.c.nip == skps.c.nip).where(employees.c.status == "active")
                       .group_by(employees.c.agency_id, employees.c.unit_id, skps.c.year, skps.c.state, in_force)):
        yield r.agency_id, r.unit_id, (r.year,), {plan_state(r.state, 1 if r.in_force else None): r.n}


def grouped_evaluations(s: Session, own: bool) -> Grouped:
    agency, unit = _evaluation_place()
    query = (select(agency.label("agency_id"), unit.label("unit_id"), periods.c.year, periods.c.kind, periods.c.seq,
                    evaluations.c.state, evaluations.c.predikat, func.count().label("n"))
             .select_from(evaluations.join(periods, periods.c.id == evaluations.c.period_id)
                          .outerjoin(employees, employees.c.nip == evaluations.c.nip))
             .group_by(agency, unit, periods.c.year, periods.c.kind, periods.c.seq, evaluations.c.state,
                       evaluations.c.predikat))
    for r in s.execute(query):
        if own:
            if r.state != EvaluationState.DRAFT and r.predikat:
                yield r.agency_id, r.unit_id, (r.year, r.kind, r.seq), {r.predikat: r.n}
        else:
            values = evaluation_values(r.state, r.predikat)
            yield r.agency_id, r.unit_id, (r.year, r.kind, r.seq), {k: v * r.n for k, v in values.items()}


def expected_caps(s: Session) -> list[tuple[Any, tuple, tuple[int, int, list[dict[str, str]]], str | None]]:
    """Every unit and period with own rated predikat or a unit predikat: (its node row, period key,
    its check, the predikat), from the own counters and unit_predikat as they are."""
    t = OWN.table
    keys: set[tuple[str, tuple]] = {(r.node, (r.year, r.kind, r.seq)) for r in s.execute(select(t))
                                    if r.node.startswith("u:")}
    for r in s.execute(select(unit_predikat.c.unit_id, periods.c.year, periods.c.kind, periods.c.seq)
                       .join(periods, periods.c.id == unit_predikat.c.period_id)):
        keys.add((unit_node(r.unit_id), (r.year, r.kind, r.seq)))
    out = []
    for node, key in sorted(keys, key=str):
        row = ROLLUP.node(s, node)
        if row is None:
            continue
        own = ROLLUP.series(s, OWN, node, "year", *[t.c[k] == v for k, v in zip(OWN.keys, key, strict=True)])
        predikat = unit_predikat_of(s, row.unit_id, row.agency_id, key)
        out.append((row, key, caps_state(next(iter(own.values()), Counter()), predikat), predikat))
    return out


def rebuild(factory: sessionmaker[Session]) -> dict[str, int]:
    """Recomputes every counter from the source tables (plans, evaluations, unit predikat, the
    employees' read-copy), then each unit's distribution check; one transaction."""
    with unit_of_work(factory) as s:
        written = {"members": ROLLUP.rebuild(s, MEMBERS, list(grouped_members(s))),
                   "plans": ROLLUP.rebuild(s, PLANS, list(grouped_plans(s))),
                   "evaluations": ROLLUP.rebuild(s, EVALUATIONS, list(grouped_evaluations(s, own=False))),
                   "own": ROLLUP.rebuild(s, OWN, list(grouped_evaluations(s, own=True)))}
        s.execute(unit_caps.delete())
        checks = expected_caps(s)
        for row, key, (_, outside, violations), predikat in checks:
            s.execute(unit_caps.insert().values(unit_id=row.unit_id, **dict(zip(OWN.keys, key, strict=True)),
                                                agency_id=row.agency_id, unit_predikat=predikat,
                                                outside=bool(outside), violations=violations, updated_at=utcnow()))
        written["caps"] = ROLLUP.rebuild(s, CAPS, [
            (row.agency_id, row.unit_id, key, {"units_with_predikat": w, "units_outside_caps": o})
            for row, key, (w, o, _), _ in checks])
    return written


def check(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Where the stored counters differ from a count of the source tables (empty when they agree)."""
    with factory() as s:
        found = []
        for name, aggregate, grouped in (("mon_skp_members", MEMBERS, grouped_members(s)),
                                         ("mon_skp_plans", PLANS, grouped_plans(s)),
                                         ("mon_skp_evaluations", EVALUATIONS, grouped_evaluations(s, own=False)),
                                         ("mon_skp_evaluations_own", OWN, grouped_evaluations(s, own=True))):
            found += rollup.differences(name, ROLLUP.expected(s, aggregate, grouped), ROLLUP.stored(s, aggregate))
        caps = [(row.agency_id, row.unit_id, key, {"units_with_predikat": w, "units_outside_caps": o})
                for row, key, (w, o, _), _ in expected_caps(s)]
        found += rollup.differences("mon_skp_caps", ROLLUP.expected(s, CAPS, caps), ROLLUP.stored(s, CAPS))
    return found

