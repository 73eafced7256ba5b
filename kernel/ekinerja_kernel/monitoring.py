"""National monitoring, the rules every service that answers it applies alike: who sees which part of
the country, the period asked for, and the names of the figures (one list, which the gateway sorts
by and the web shows).

Who sees what (each service decides from its own read-copy of master data, by these functions):
- `admin_nasional` (BKN): every agency, unit and person; each read of a person by them is recorded
  by the service that answers it (its `mon_reads` table);
- `admin_instansi`: their agency, its units and people, and its pay totals;
- an agency's leadership (the head of one of its root units, e.g. the Sekretaris Jenderal or the
  Sekretaris Daerah): their agency, its units and people, without pay;
- a supervisor who heads a unit (active, in it, supervising someone, and their own supervisor outside
  it or none, as skp's finalisation finds a unit's heads): that unit's subtree and its people,
  without pay;
- anyone: their own figures (as a person).
Pay (Tukin/TPP totals) only for `admin_nasional` and the agency's `admin_instansi`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

from . import rollup
from .caller import Caller, RequestContext, forbidden, require
from .db import unit_of_work
from .errors import FieldError, not_found, validation_error
from .events import as_utc, utcnow

MAX_RANGE_DAYS = 31  # a day, a week or a month
NATION, AGENCY, UNIT, PERSON = "nation", "agency", "unit", "person"

# The figures of each row, by the service that owns them (the gateway sorts by any of them).
HARIAN_COUNTS = ("members", "working_days", "employee_days", "filled", "on_time", "late", "draft", "submitted",
                 "approved", "returned", "blank", "justified")
HARIAN_RATES = ("filled_rate", "blank_rate", "late_rate", "approved_rate", "returned_rate")
SKP_FIGURES = ("skp_members", "skp_none", "skp_draft", "skp_diajukan", "skp_disetujui", "evaluations",
               "evaluations_final", "predikat_sangat_baik", "predikat_baik", "predikat_butuh_perbaikan",
               "predikat_kurang", "predikat_sangat_kurang", "units_with_predikat", "units_outside_caps")
TUKIN_FIGURES = ("tukin_employees", "tukin_skipped", "tukin_gross", "tukin_deductions", "tukin_net")
FIGURES = (*HARIAN_COUNTS, *HARIAN_RATES, *SKP_FIGURES, *TUKIN_FIGURES)
MONEY_FIGURES = ("tukin_gross", "tukin_deductions", "tukin_net")  # rupiah as text, exact


def harian_figures(counts: dict[str, int], members: int, working_days: int) -> dict[str, Any]:
    """The daily-progress figures of a row from its counters (see harian.monitoring): counts, and
    rates over the employee-days known (written, or closed blank or justified), 4 decimals."""
    filled = counts.get("diajukan", 0) + counts.get("disetujui", 0) + counts.get("dikembalikan", 0)
    late = counts.get("late", 0)
    days = filled + counts.get("draft", 0) + counts.get("blank", 0) + counts.get("justified", 0)
    figures: dict[str, Any] = {
        "members": members, "working_days": working_days, "employee_days": days, "filled": filled,
        "on_time": filled - late, "late": late, "draft": counts.get("draft", 0),
        "submitted": counts.get("diajukan", 0), "approved": counts.get("disetujui", 0),
        "returned": counts.get("dikembalikan", 0), "blank": counts.get("blank", 0),
        "justified": counts.get("justified", 0)}
    figures.update({
        "filled_rate": rate(filled, days), "blank_rate": rate(figures["blank"], days),
        "late_rate": rate(late, filled), "approved_rate": rate(figures["approved"], filled),
        "returned_rate": rate(figures["returned"], filled)})
    return figures


PREDIKAT = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")


def skp_figures(plans: dict[str, int], members: int, evaluations: dict[str, int],
                caps: dict[str, int]) -> dict[str, Any]:
    """The planning and evaluation figures of a row for a year (see skp.monitoring): SKP states of
    the active members (none = members without an SKP of the year), rated evaluations (dinilai or
    final) with their predikat, and the units whose predikat kinerja organisasi is set and broken."""
    with_plan = plans.get("draft", 0) + plans.get("diajukan", 0) + plans.get("disetujui", 0)
    figures: dict[str, Any] = {
        "skp_members": members, "skp_none": max(members - with_plan, 0), "skp_draft": plans.get("draft", 0),
        "skp_diajukan": plans.get("diajukan", 0), "skp_disetujui": plans.get("disetujui", 0),
        "evaluations": evaluations.get("dinilai", 0) + evaluations.get("final", 0),
        "evaluations_final": evaluations.get("final", 0),
        "units_with_predikat": caps.get("units_with_predikat", 0),
        "units_outside_caps": caps.get("units_outside_caps", 0)}
    figures.update({f"predikat_{p}": evaluations.get(p, 0) for p in PREDIKAT})
    return figures


def tukin_figures(totals: dict[str, int]) -> dict[str, Any]:
    """The allowance figures of a row (see tukin.monitoring): employees computed and skipped, and the
    gross, deductions and net of the latest computation of each agency-month, rupiah as exact text."""
    return {"tukin_employees": totals.get("employees", 0), "tukin_skipped": totals.get("skipped", 0),
            **{f"tukin_{k}": rupiah(totals.get(f"{k}_sen", 0)) for k in ("gross", "deductions", "net")}}


def rupiah(sen: int) -> str:
    """Whole sen (1/100 rupiah) as the API writes rupiah: "1234567.50"."""
    sign = "-" if sen < 0 else ""
    whole, cents = divmod(abs(int(sen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def rate(part: int, whole: int) -> float | None:
    """part / whole to 4 decimals; None (not 0) when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


# --- the period asked for -------------------------------------------------------------------------

def _date(value: Any, name: str) -> tuple[dt.date | None, list[FieldError]]:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value), []
        except ValueError:
            pass
    return None, [FieldError(name, "date", f"{name} must be a real date written YYYY-MM-DD.",
                             f"{name} harus tanggal yang benar dengan format YYYY-MM-DD.")]


def date_range(start: Any, end: Any = None) -> tuple[dt.date, dt.date]:
    """`from` and `to` (inclusive; `to` defaults to `from`): forward, at most MAX_RANGE_DAYS days."""
    first, errors = _date(start, "from")
    last = first
    if end not in (None, ""):
        last, more = _date(end, "to")
        errors += more
    if errors:
        raise validation_error(errors)
    assert first is not None and last is not None
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise validation_error([FieldError("to", "range", f"The range runs forward and spans at most {MAX_RANGE_DAYS} "
                                           "days (a day, a week or a month).",
                                           f"Rentang tanggal maju dan paling panjang {MAX_RANGE_DAYS} hari (sehari, "
                                           "seminggu, atau sebulan).")])
    return first, last


def months_of(first: dt.date, last: dt.date) -> list[str]:
    """The months (YYYY-MM) a range touches, in order."""
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(f"{day:%Y-%m}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return found


# --- who sees what ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Employee:
    """What the rules need of someone in a service's read-copy of master data."""

    nip: str
    agency_id: str | None
    unit_id: str | None
    supervisor_nip: str | None
    status: str


def heads_unit(person: Employee | None, supervisor: Employee | None, supervises: bool) -> bool:
    """Active, in a unit, supervising someone, and their own supervisor outside that unit (or none):
    the unit's head (a lone member whose supervisor sits in the parent unit heads nobody)."""
    if person is None or person.status != "active" or not person.unit_id or not supervises:
        return False
    return person.supervisor_nip is None or supervisor is None or supervisor.unit_id != person.unit_id


@dataclass(frozen=True)
class Access:
    caller: Caller
    national: bool
    agencies: frozenset[str]  # seen whole (admin instansi, leadership)
    units: frozenset[str]  # unit subtrees seen (the units the caller heads)
    pay_agencies: frozenset[str]

    def sees_agency(self, agency_id: str | None) -> bool:
        return self.national or (agency_id is not None and agency_id in self.agencies)

    def sees_node(self, agency_id: str | None, ancestor_units: Iterable[str]) -> bool:
        """A unit (or agency) node, given the unit ids on its path (itself included)."""
        return self.sees_agency(agency_id) or bool(self.units & set(ancestor_units))

    def sees_pay(self, agency_id: str | None) -> bool:
        return self.national or (agency_id is not None and agency_id in self.pay_agencies)

    def sees_person(self, nip: str, agency_id: str | None, ancestor_units: Iterable[str]) -> bool:
        return nip == self.caller.nip or self.sees_node(agency_id, ancestor_units)

    def audited(self, nip: str) -> bool:
        """A national read of someone else: recorded by the service that answers it."""
        return self.national and nip != self.caller.nip

    def sees_anything(self) -> bool:
        return self.national or bool(self.agencies or self.units)


def access(caller: Caller, me: Employee | None, supervisor: Employee | None, supervises: bool,
           heads_root_unit: bool) -> Access:
    """The caller's view. `supervises`: someone active has the caller as supervisor;
    `heads_root_unit`: the caller's unit has no parent unit."""
    national = caller.has("admin_nasional")
    agencies: set[str] = set()
    pay: set[str] = set()
    if caller.has("admin_instansi") and caller.agency_id:
        agencies.add(caller.agency_id)
        pay.add(caller.agency_id)
    units: set[str] = set()
    if heads_unit(me, supervisor, supervises):
        assert me is not None and me.unit_id is not None
        units.add(me.unit_id)
        if heads_root_unit and me.agency_id:
            agencies.add(me.agency_id)
    return Access(caller, national, frozenset(agencies), frozenset(units), frozenset(pay))


# --- the same questions, asked of a service's own read-copies ---------------------------------------

def _employee(s: Session, employees: Table, nip: str | None) -> Employee | None:
    if not nip:
        return None
    r = s.execute(select(employees).where(employees.c.nip == nip)).first()
    return Employee(r.nip, r.agency_id, r.unit_id, r.supervisor_nip, r.status) if r is not None else None


def access_of(s: Session, ctx: RequestContext, employees: Table, tree: rollup.Rollup) -> Access:
    """The caller's view, from the service's read-copy of employees and its unit tree."""
    caller = require(ctx.caller)
    me = _employee(s, employees, caller.nip)
    supervisor = _employee(s, employees, me.supervisor_nip) if me is not None else None
    root = supervises = False
    if me is not None and me.unit_id:
        node = tree.node(s, rollup.unit_node(me.unit_id))
        root = node is not None and node.known and node.parent == rollup.agency_node(node.agency_id)
        subordinate = select(employees.c.nip).where(employees.c.supervisor_nip == me.nip,
                                                    employees.c.status == "active").limit(1)
        supervises = s.execute(subordinate).first() is not None
    return access(caller, me, supervisor, supervises, root)


def units_on(path: Sequence[Any]) -> list[str]:
    """The unit ids on a node's path (its agency excluded)."""
    return [p.unit_id for p in path if p.level == rollup.UNIT and p.unit_id]


def target(s: Session, seen: Access, tree: rollup.Rollup, level: Any,
           id_: Any) -> tuple[str | None, Any, Sequence[Any]]:
    """(node, its row, its path) of what is asked, when the caller may see it; refused (403) otherwise,
    and 404 only for a national admin asking for a node the service does not know."""
    if level not in (NATION, AGENCY, UNIT):
        raise level_error(level)
    if level == NATION:
        if not seen.national:
            raise refused()
        return None, None, []
    if not isinstance(id_, str) or not id_.strip():
        raise validation_error([FieldError("id", "required", "id names the agency or unit.",
                                           "id menyebut instansi atau unit.")])
    node = rollup.agency_node(id_) if level == AGENCY else rollup.unit_node(id_)
    row = tree.node(s, node)
    if row is None:
        if seen.national:
            raise not_found("agency" if level == AGENCY else "unit", "Instansi" if level == AGENCY else "Unit", id_)
        raise refused()
    path = tree.path(s, node)
    allowed = seen.sees_agency(row.agency_id) if level == AGENCY else seen.sees_node(row.agency_id, units_on(path))
    if not allowed:
        raise refused()
    return node, row, path


def person_target(s: Session, seen: Access, tree: rollup.Rollup, employees: Table,
                  nip: Any) -> tuple[Any, Sequence[Any]]:
    """(the employee's read-copy row, the path of their node) when the caller may see their figures."""
    if not isinstance(nip, str) or not nip.strip():
        raise validation_error([FieldError("nip", "required", "nip names the employee.", "nip menyebut pegawai.")])
    found = s.execute(select(employees).where(employees.c.nip == nip)).first()
    if found is None:
        if seen.national:
            raise not_found("employee", "Pegawai", nip)
        raise refused()
    node = rollup.leaf(found.agency_id, found.unit_id)
    path = tree.path(s, node) if node else []
    units = units_on(path) or ([found.unit_id] if found.unit_id else [])
    if not seen.sees_person(nip, found.agency_id, units):
        raise refused()
    return found, path


def node_view(row: Any) -> dict[str, Any]:
    level, ident = rollup.parse_node(row.node)
    return {"level": level, "id": ident, "name": row.name, "kind": row.kind, "agency_id": row.agency_id,
            "known": bool(row.known)}


def define_reads(metadata: MetaData) -> Table:
    """A service's record of the person-level monitoring it showed a national admin."""
    return Table(
        "mon_reads", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("reader_nip", String(18), nullable=False, index=True),
        Column("reader_roles", String(200), nullable=False),
        Column("subject", String(80), nullable=False, index=True),  # the NIP read, or unit:<id> for a list
        Column("what", String(32), nullable=False),  # person | people
        Column("nips", JSON, nullable=False),  # every NIP whose figures were shown
        Column("period", String(40), nullable=False),  # what was asked: from/to, year or months
        Column("request_id", String(64), nullable=True),
    )


def record_read(s: Session, table: Table, ctx: RequestContext, subject: str, what: str, nips: list[str],
                period: str) -> None:
    """In the transaction of the answer: no national read of a person goes unrecorded."""
    caller = ctx.caller
    assert caller is not None
    s.execute(insert(table).values(at=utcnow(), reader_nip=caller.nip, reader_roles=",".join(caller.roles)[:200],
                                   subject=subject[:80], what=what, nips=sorted(set(nips)), period=period[:40],
                                   request_id=ctx.request_id))


def record(factory: sessionmaker[Session], table: Table, ctx: RequestContext, subject: str, what: str,
           nips: list[str], period: str) -> None:
    """Committed before the answer leaves the service (after the read's own session is closed: SQLite
    has one connection): a read that cannot be recorded is not answered."""
    with unit_of_work(factory) as w:
        record_read(w, table, ctx, subject, what, nips, period)


def reads(s: Session, table: Table, subject: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    query = select(table).order_by(table.c.id.desc()).limit(limit)
    if subject:
        query = query.where(table.c.subject == subject)
    return [{"at": as_utc(r.at).isoformat(), "reader_nip": r.reader_nip, "reader_roles": r.reader_roles.split(","),
             "subject": r.subject, "what": r.what, "nips": r.nips, "period": r.period, "request_id": r.request_id}
            for r in s.execute(query)]


def read_log(factory: sessionmaker[Session], ctx: RequestContext, employees: Table, tree: rollup.Rollup,
             table: Table, subject: Any = None, limit: Any = 100) -> dict[str, Any]:
    """The service's record of national reads of people, newest first (for BKN's national admins)."""
    with factory() as s:
        if not access_of(s, ctx, employees, tree).national:
            raise refused()
        size = limit if isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= 500 else 100
        return {"reads": reads(s, table, subject if isinstance(subject, str) and subject else None, size)}


def refused() -> Exception:
    return forbidden("Monitoring shows the whole country to BKN's national admins, an agency to its admin and its "
                     "leadership, and a unit's subtree to the head of that unit; this is outside yours.",
                     "Pemantauan menampilkan seluruh negeri bagi admin nasional BKN, satu instansi bagi admin dan "
                     "pimpinannya, dan subpohon unit bagi kepala unit tersebut; ini di luar cakupan Anda.")


def level_error(level: Any) -> Exception:
    return validation_error([FieldError("level", "one-of", "level must be nation, agency or unit.",
                                        "level harus nation, agency, atau unit.")])


# --- the command line each service offers (`ekinerja-<service> monitoring rebuild|check`) -----------

def add_command(commands: Any) -> None:
    """Adds `monitoring rebuild|check` to a service's argparse subcommands."""
    command = commands.add_parser("monitoring", help="the monitoring read model: rebuild it from the source "
                                                     "tables, or check it against them (exit 1 on a difference)")
    command.add_argument("action", choices=["rebuild", "check"])


def run_command(args: argparse.Namespace, factory: sessionmaker[Session], rebuild: Callable[..., Any],
                check: Callable[..., list[dict[str, Any]]]) -> int:
    if args.action == "rebuild":
        print(json.dumps({"rebuilt": rebuild(factory)}))
        return 0
    found = check(factory)
    print(json.dumps({"differences": len(found), "first": found[:20]}, ensure_ascii=False, default=str))
    return 1 if found else 0
