"""`ekinerja-skp demo-plans YEAR`: approved SKPs for the whole demo master data, cascaded from each
agency's head down the supervision chain through the same use cases as the API (so the outbox
announces them and daily progress can offer their RHK at once), and each demo agency's evaluation
settings and periods of that year."""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import monitoring as monitoring_rules
from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.config import database_url
from ekinerja_kernel.db import make_engine, session_factory, unit_of_work
from ekinerja_kernel.errors import DomainError

from . import evaluations, handlers, monitoring
from .domain.periods import DistributionMode, Frequency
from .tables import OUTBOX, employees, skps

# The demo agencies' evaluation settings: the ministry rates quarterly and blocks a unit whose ratings
# break the distribution; the city rates monthly and only warns.
DEMO_SETTINGS = {"kemendemo": (Frequency.QUARTERLY, DistributionMode.BLOCK),
                 "pemkotdemo": (Frequency.MONTHLY, DistributionMode.WARN)}


def _iki(target: str, satuan: str) -> list[dict[str, str]]:
    return [{"aspek": "kuantitas", "indikator": f"Jumlah {satuan} yang diselesaikan", "target": target,
             "satuan": satuan},
            {"aspek": "kualitas", "indikator": "Hasil diterima tanpa revisi", "target": "100", "satuan": "%"},
            {"aspek": "waktu", "indikator": "Diselesaikan sesuai jadwal", "target": "12", "satuan": "bulan"}]


def _plan_for(emp, parent_rhk: str | None) -> list[dict]:
    subject = emp.position_name or "tugas jabatan"
    return [{"kind": "utama", "text": f"Terlaksananya {subject.lower()} secara tepat waktu dan akuntabel",
             "intervenes": parent_rhk, "iki": _iki("12", "laporan")}]


def demo_plans(factory, agencies: list[str], year: int, wait: float) -> int:
    deadline = time.monotonic() + wait
    while True:  # the read-copy fills from sync's events
        with factory() as s:
            staff = s.execute(select(employees).where(employees.c.agency_id.in_(agencies),
                                                      employees.c.status == "active")).all()
        if staff or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    by_supervisor: dict[str | None, list] = {}
    for e in staff:
        by_supervisor.setdefault(e.supervisor_nip, []).append(e)
    known = {e.nip for e in staff}
    queue = [(e, None) for e in staff if e.supervisor_nip is None or e.supervisor_nip not in known]
    made = skipped = 0
    while queue:
        emp, parent_rhk = queue.pop(0)
        ctx = RequestContext(caller=Caller(nip=emp.nip, agency_id=emp.agency_id))
        with factory() as s:
            existing = s.execute(select(skps).where(skps.c.nip == emp.nip, skps.c.year == year)).first()
        if existing is None:
            try:
                plan = handlers.create_skp(factory, ctx, year, "kuantitatif", _plan_for(emp, parent_rhk))
            except DomainError as error:  # master data blocks this one's SKP (the demo's trouble cases)
                print(f"{emp.nip} ({emp.name}): no demo SKP: {error.code}")
                skipped += 1
                continue
            if emp.supervisor_nip is None:
                plan = handlers.act(factory, OUTBOX, ctx, plan["id"], "publish")
            else:
                handlers.act(factory, OUTBOX, ctx, plan["id"], "submit")
                boss = RequestContext(caller=Caller(nip=emp.supervisor_nip))
                plan = handlers.act(factory, OUTBOX, boss, plan["id"], "approve")
            made += 1
        else:
            plan = handlers.get_skp(factory, ctx, existing.id)
        for child in by_supervisor.get(emp.nip, []):
            queue.append((child, plan["rhk"][0]["id"]))
    print(f"{made} demo SKPs for {year} made and approved ({len(staff)} employees, {skipped} blocked by master data)")
    for agency in agencies:
        if agency in DEMO_SETTINGS:
            frequency, mode = DEMO_SETTINGS[agency]
            try:
                made_periods = evaluations.make_periods(factory, agency, year, frequency, mode=mode)
            except DomainError as error:  # e.g. an admin changed the frequency and evaluations use it
                print(f"{agency}: evaluation periods for {year} left as they are ({error.detail})")
                continue
            print(f"{agency}: {len(made_periods['periods'])} evaluation periods for {year} "
                  f"({frequency.value}, distribution {mode.value})")
    return 0


def announce(factory: sessionmaker[Session], year: int | None = None) -> int:
    """skp.approved again for every SKP in force (its approved version), for a consumer that joined
    late or lost its read-copy (daily progress offers these RHK); consumers replace by version."""
    sent = 0
    with unit_of_work(factory) as s:
        query = select(skps).where(skps.c.approved_version.is_not(None))
        if year is not None:
            query = query.where(skps.c.year == year)
        for row in s.execute(query.order_by(skps.c.nip, skps.c.year)):
            OUTBOX.add(s, "skp.approved", row.nip, {
                "skp_id": row.id, "nip": row.nip, "year": row.year, "agency_id": row.agency_id,
                "version": row.approved_version, "state": "disetujui", "actor_nip": row.nip,
                "rhk": handlers._rhk_event(s, row, row.approved_version),
                "moved": handlers.moved_in(s, row.id, row.approved_version)})
            sent += 1
    print(f"{sent} approved SKPs announced again")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ekinerja-skp")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo-plans", help="approved SKPs for the demo agencies")
    demo.add_argument("year", type=int)
    demo.add_argument("--agency", action="append", default=None)
    demo.add_argument("--wait", type=float, default=60)
    again = sub.add_parser("announce", help="announce every approved SKP again (a consumer that joined late)")
    again.add_argument("--year", type=int, default=None)
    monitoring_rules.add_command(sub)
    args = parser.parse_args(argv)
    engine = make_engine(database_url("skp"))
    try:
        if args.command == "announce":
            return announce(session_factory(engine), args.year)
        if args.command == "monitoring":
            return monitoring_rules.run_command(args, session_factory(engine), monitoring.rebuild, monitoring.check)
        return demo_plans(session_factory(engine), args.agency or ["kemendemo", "pemkotdemo"], args.year, args.wait)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
