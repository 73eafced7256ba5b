"""How long one month of allowances takes for a synthetic agency (default 50,000 employees): the same
streaming batch as the admin's "compute" (tukin.monthly.compute_agency_month), on a temporary
SQLite file (or TUKIN_BENCH_DATABASE_URL), with a month of closed days per employee.

    python bench/tukin_month.py [--size 50000]
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import insert

from ekinerja_kernel.db import make_engine, session_factory, unit_of_work
from tukin.handlers import save_policy
from tukin.monthly import compute_agency_month
from tukin.tables import OUTBOX, days, employees, evaluations, metadata, returned

POLICY = Path(__file__).resolve().parents[1] / "services/tukin/tukin/domain/policies/kemendemo.yaml"
AGENCY = "bench-agency"
YEAR, MONTH = 2026, 10


def _seed(factory, size: int, rng: random.Random) -> int:
    policy = yaml.safe_load(POLICY.read_text())
    policy["agency_id"] = AGENCY
    working = [dt.date(YEAR, MONTH, d) for d in range(1, calendar.monthrange(YEAR, MONTH)[1] + 1)
               if dt.date(YEAR, MONTH, d).weekday() < 5]
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(factory) as s:
        save_policy(s, policy, "bench")
    rows = 0
    for start in range(0, size, 2000):
        people, closed, back, evals = [], [], [], []
        for i in range(start, min(size, start + 2000)):
            nip = f"19{i:016d}"
            people.append({"nip": nip, "name": f"Pegawai {i}", "status": "active", "agency_id": AGENCY,
                           "unit_id": f"unit-{i // 50}", "supervisor_nip": f"19{(i // 50) * 50:016d}",
                           "kelas_jabatan": rng.randint(1, 17), "updated_at": now})
            for day in working:
                roll = rng.random()
                status = "belum_diisi" if roll < 0.04 else "justified" if roll < 0.07 else "disetujui"
                closed.append({"nip": nip, "date": day, "status": status, "entries": int(status == "disetujui"),
                               "blank": status == "belum_diisi", "justified": status == "justified",
                               "absence": "cuti" if status == "justified" else None, "late": False})
            if rng.random() < 0.1:
                back.append({"entry_id": f"e-{i}", "nip": nip, "date": working[3]})
            evals.append({"skp_id": f"s-{i}", "period_id": "q3", "nip": nip, "year": YEAR, "period_kind": "quarterly",
                          "period_end": dt.date(YEAR, 9, 30),
                          "predikat": rng.choice(["baik", "baik", "baik", "sangat_baik", "kurang"])})
        with unit_of_work(factory) as s:
            s.execute(insert(employees), people)
            s.execute(insert(days), closed)
            if back:
                s.execute(insert(returned), back)
            s.execute(insert(evaluations), evals)
        rows += len(closed)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/tukin-bench.db"
        engine = make_engine(url)
        metadata.create_all(engine)
        factory = session_factory(engine)
        started = time.perf_counter()
        day_rows = _seed(factory, args.size, random.Random(7))
        seeded = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        with unit_of_work(factory) as s:
            run = compute_agency_month(s, OUTBOX, AGENCY, f"{YEAR}-{MONTH:02d}", "bench")
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        with unit_of_work(factory) as s:
            again = compute_agency_month(s, OUTBOX, AGENCY, f"{YEAR}-{MONTH:02d}", "bench")
        again_took = time.perf_counter() - started
        engine.dispose()
    print(f"Tukin month for a synthetic agency of {args.size:,} employees ({day_rows:,} closed days, "
          f"{url.split(':')[0]})")
    print(f"  seeding the facts:        {seeded:8.1f} s (not part of the computation)")
    print(f"  computing the month:      {took:8.1f} s wall, {cpu:.1f} s CPU, {args.size / took:,.0f} employees/s")
    print(f"  re-running it unchanged:  {again_took:8.1f} s (no new revision: {not again['new_revision']})")
    print(f"  revision {run['revision']}: {run['employees']:,} computed, net Rp {int(run['net']):,}")
    return 0 if run["employees"] == args.size and not again["new_revision"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
