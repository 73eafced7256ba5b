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

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from .caller import Caller, RequestContext, forbidden
from .errors import FieldError, validation_error
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


def reads(s: Session, table: Table, subject: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    query = select(table).order_by(table.c.id.desc()).limit(limit)
    if subject:
        query = query.where(table.c.subject == subject)
    return [{"at": as_utc(r.at).isoformat(), "reader_nip": r.reader_nip, "reader_roles": r.reader_roles.split(","),
             "subject": r.subject, "what": r.what, "nips": r.nips, "period": r.period, "request_id": r.request_id}
            for r in s.execute(query)]


def refused() -> Exception:
    return forbidden("Monitoring shows the whole country to BKN's national admins, an agency to its admin and its "
                     "leadership, and a unit's subtree to the head of that unit; this is outside yours.",
                     "Pemantauan menampilkan seluruh negeri bagi admin nasional BKN, satu instansi bagi admin dan "
                     "pimpinannya, dan subpohon unit bagi kepala unit tersebut; ini di luar cakupan Anda.")


def level_error(level: Any) -> Exception:
    return validation_error([FieldError("level", "one-of", "level must be nation, agency or unit.",
                                        "level harus nation, agency, atau unit.")])
