"""National monitoring, tukin's part: allowance totals per node of the unit tree and month, from the
latest computation (run) of each agency-month, kept as runs are made (kernel rollup).

An agency-month contributes its latest run's results, grouped by the unit each employee was in when
it was computed: employees computed and skipped (no kelas jabatan or base amount), and gross,
deductions and net in whole sen. A recomputation that changes something makes a new revision: the
agency-month is touched before the run is recorded, so the delta from the old revision to the new
one lands in the same transaction; a recomputation that changes nothing records nothing and adds
nothing. Pay is shown only to BKN's national admins and the agency's own admin (kernel monitoring).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, and_, case, cast, func, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import monitoring as mon
from ekinerja_kernel import rollup
from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import FieldError, validation_error
from ekinerja_kernel.events import as_utc
from ekinerja_kernel.inbox import first_delivery
from ekinerja_kernel.rollup import Contribution

from .domain.months import month_key, parse_month
from .monitoring_tables import MONTHS, READS, TREE
from .tables import employees, inbox, results, runs

ROLLUP = rollup.Rollup(TREE)
ROLLUP.add(MONTHS)
MAX_MONTHS = 3
Grouped = Iterable[tuple[str | None, str | None, tuple, dict[str, int]]]


def sen(amount: Any) -> int:
    """Rupiah (text or number) as whole sen."""
    return int((Decimal(str(amount)) * 100).to_integral_value()) if amount is not None else 0


def latest_runs(s: Session, pairs: Iterable[tuple[str, str]] | None = None, months: Iterable[str] | None = None
                ) -> dict[tuple[str, str], Any]:
    """The latest run of each agency-month asked for (by pairs, or every agency for `months`)."""
    latest = select(runs.c.agency_id, runs.c.month, func.max(runs.c.revision).label("revision")) \
        .group_by(runs.c.agency_id, runs.c.month)
    if pairs is not None:
        latest = latest.where(rollup.pairs_in((runs.c.agency_id, runs.c.month), list(pairs)))
    if months is not None:
        latest = latest.where(runs.c.month.in_(list(months)))
    found = latest.subquery()
    query = select(runs).join(found, and_(runs.c.agency_id == found.c.agency_id, runs.c.month == found.c.month,
                                          runs.c.revision == found.c.revision))
    return {(r.agency_id, r.month): r for r in s.execute(query)}


def _unit_totals(run_ids: list[str]) -> Any:
    """Per run and unit: employees computed and skipped, and the three amounts (SQL)."""
    error = results.c.body["error"].as_string()
    ok = error.is_(None)

    def amount(value: Any) -> Any:
        return func.sum(case((ok, cast(value, Numeric(24, 2))), else_=0))

    return (select(results.c.run_id, results.c.unit_id, func.sum(case((ok, 1), else_=0)).label("employees"),
                   func.sum(case((ok, 0), else_=1)).label("skipped"),
                   amount(results.c.body["gross"].as_string()).label("gross"),
                   amount(results.c.body["total_deduction"].as_string()).label("deductions"),
                   amount(results.c.net).label("net"))
            .where(results.c.run_id.in_(run_ids)).group_by(results.c.run_id, results.c.unit_id))


def _values(r: Any) -> dict[str, int]:
    return {"employees": int(r.employees or 0), "skipped": int(r.skipped or 0), "gross_sen": sen(r.gross or 0),
            "deductions_sen": sen(r.deductions or 0), "net_sen": sen(r.net or 0)}


def month_contributions(s: Session, items: list[tuple[str, str]]) -> dict[tuple[str, str], list[Contribution]]:
    found: dict[tuple[str, str], list[Contribution]] = defaultdict(list)
    latest = latest_runs(s, items)
    by_run = {run.id: key for key, run in latest.items()}
    if not by_run:
        return {}
    for r in s.execute(_unit_totals(list(by_run))):
        agency_id, month = by_run[r.run_id]
        found[(agency_id, month)].append(Contribution(MONTHS, agency_id, r.unit_id, (month,), _values(r)))
    return found


# A run is recorded by the one computation holding its revision number (unique per agency-month), so
# two computations of one month cannot both be recorded: no lock is needed for "before".
MONTH_TRACKER = ROLLUP.tracker("tukin-months", month_contributions)


def touch_month(s: Session, agency_id: str, month: str) -> None:
    """Before a new run of the agency-month is recorded (in the same transaction)."""
    MONTH_TRACKER.touch(s, [(agency_id, month)])


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


# --- reading -------------------------------------------------------------------------------------

def _months(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_MONTHS \
            or not all(isinstance(m, str) for m in value):
        raise validation_error([FieldError("months", "list", f"months lists 1 to {MAX_MONTHS} months, YYYY-MM.",
                                           f"months berisi 1 sampai {MAX_MONTHS} bulan, YYYY-MM.")])
    return [month_key(*parse_month(m)) for m in value]


def _runs_view(found: dict[tuple[str, str], Any]) -> list[dict[str, Any]]:
    return [{"agency_id": r.agency_id, "month": r.month, "run_id": r.id, "revision": r.revision,
             "preview": bool(r.preview), "computed_at": as_utc(r.computed_at).isoformat()}
            for _, r in sorted(found.items())]


def view(factory: sessionmaker[Session], ctx: RequestContext, level: Any, id_: Any, months: Any) -> dict[str, Any]:
    """One level of the roll-up for some months: the allowance totals of the node, per month, of its
    children and of its own people; `pay_visible` false (and nothing else) for whoever may see the node
    but not its pay."""
    wanted = _months(months)
    with factory() as s:
        access = mon.access_of(s, ctx, employees, ROLLUP)
        node, row, path = mon.target(s, access, ROLLUP, level, id_)
        if not (access.sees_pay(row.agency_id) if row is not None else access.national):
            return {"level": level, "id": id_ if node else None, "months": wanted, "pay_visible": False}
        children = ROLLUP.children(s, node)
        in_months = MONTHS.table.c.month.in_(wanted)
        sums = ROLLUP.child_sums(s, MONTHS, node, in_months)  # found by their parent, in one statement
        if node is None:  # the nation: its agencies summed
            series = {k[0]: c for k, c in ROLLUP.child_series(s, MONTHS, None, ("month",), in_months).items()}
            found_runs = latest_runs(s, months=wanted)
        else:
            series = ROLLUP.series(s, MONTHS, node, "month", in_months)
            found_runs = latest_runs(s, [(row.agency_id, m) for m in wanted])
        total: Counter = Counter()
        for counter in series.values():
            total.update(counter)
        listed = _people(s, row, found_runs) if row is not None else []
        answer = {"level": level, "id": id_ if node else None, "months": wanted, "pay_visible": True,
                  "path": [mon.node_view(p) for p in path], "figures": mon.tukin_figures(total),
                  "series": [{"month": m, **mon.tukin_figures(series.get(m, Counter()))} for m in wanted],
                  "runs": _runs_view(found_runs) if node is not None else [],
                  "agencies_computed": {m: sum(1 for (_, month) in found_runs if month == m) for m in wanted},
                  "previews": {m: sum(1 for (_, month), r in found_runs.items() if month == m and r.preview)
                               for m in wanted},
                  "children": [{**mon.node_view(c), "figures": mon.tukin_figures(sums.get(c.node, Counter()))}
                               for c in children],
                  "people": listed}
    if listed and access.national:
        mon.record(factory, READS, ctx, f"{row.level}:{id_}", "people", [p["nip"] for p in listed], ",".join(wanted))
    return answer


def _people(s: Session, row: Any, found_runs: dict[tuple[str, str], Any]) -> list[dict[str, Any]]:
    """The node's own people in the latest runs of its agency: their amounts over the months."""
    run_ids = [r.id for (agency_id, _), r in found_runs.items() if agency_id == row.agency_id]
    if not run_ids:
        return []
    at = results.c.unit_id == row.unit_id if row.level == rollup.UNIT else results.c.unit_id.is_(None)
    totals: dict[str, Counter] = defaultdict(Counter)
    for r in s.execute(select(results.c.nip, results.c.body, results.c.net).where(results.c.run_id.in_(run_ids), at)):
        if "error" in r.body:
            totals[r.nip]["skipped"] += 1
            continue
        totals[r.nip].update({"employees": 1, "gross_sen": sen(r.body.get("gross")),
                              "deductions_sen": sen(r.body.get("total_deduction")), "net_sen": sen(r.net)})
    names = dict(s.execute(select(employees.c.nip, employees.c.name).where(employees.c.nip.in_(list(totals)))).all())
    return [{"nip": nip, "name": names.get(nip), "figures": mon.tukin_figures(totals[nip])}
            for nip in sorted(totals, key=lambda n: (names.get(n) or "", n))]


def person(factory: sessionmaker[Session], ctx: RequestContext, nip: Any, months: Any) -> dict[str, Any]:
    """One person's amounts in the latest run of each month (their own, or for who may see the pay)."""
    wanted = _months(months)
    with factory() as s:
        access = mon.access_of(s, ctx, employees, ROLLUP)
        found, path = mon.person_target(s, access, ROLLUP, employees, nip)
        if not (access.sees_pay(found.agency_id) or nip == access.caller.nip):
            return {"nip": nip, "months": wanted, "pay_visible": False}
        latest = latest_runs(s, [(found.agency_id, m) for m in wanted])
        rows = {r.run_id: r for r in s.execute(select(results).where(
            results.c.nip == nip, results.c.run_id.in_([r.id for r in latest.values()])))}
        lines = []
        for (_, month), run in sorted(latest.items()):
            r = rows.get(run.id)
            body: Any = r.body if r is not None else None
            lines.append({"month": month, "revision": run.revision, "preview": bool(run.preview),
                          "unit_id": r.unit_id if r is not None else None,
                          "computed": body is not None and "error" not in body,
                          "gross": body.get("gross") if body else None,
                          "deductions": body.get("total_deduction") if body else None,
                          "net": r.net if r is not None and "error" not in body else None,
                          "reason": (body.get("error") or {}).get("detail") if body else None})
        answer = {"nip": nip, "name": found.name, "months": wanted, "pay_visible": True,
                  "path": [mon.node_view(p) for p in path], "lines": lines}
    if access.audited(nip):
        mon.record(factory, READS, ctx, nip, "person", [nip], ",".join(wanted))
    return answer


def reads(factory: sessionmaker[Session], ctx: RequestContext, subject: Any = None, limit: Any = 100) -> dict[str, Any]:
    """The record of national reads of people (for BKN's national admins)."""
    return mon.read_log(factory, ctx, employees, ROLLUP, READS, subject, limit)


# --- rebuilding from the source tables ------------------------------------------------------------

def grouped_months(s: Session) -> Grouped:
    latest = latest_runs(s)
    by_run = {run.id: key for key, run in latest.items()}
    ids = list(by_run)
    for start in range(0, len(ids), 200):
        for r in s.execute(_unit_totals(ids[start:start + 200])):
            agency_id, month = by_run[r.run_id]
            yield agency_id, r.unit_id, (month,), _values(r)


def rebuild(factory: sessionmaker[Session]) -> dict[str, int]:
    """Recomputes every agency-month's totals from its latest run (one transaction)."""
    with unit_of_work(factory) as s:
        return {"months": ROLLUP.rebuild(s, MONTHS, list(grouped_months(s)))}


def check(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Where the stored totals differ from the latest runs' results (empty when they agree)."""
    with factory() as s:
        return rollup.differences("mon_tukin_months", ROLLUP.expected(s, MONTHS, grouped_months(s)),
                                  ROLLUP.stored(s, MONTHS))
