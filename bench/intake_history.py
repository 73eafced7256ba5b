"""harian's intake on its own: how fast it stores submissions on a fresh day, and on days that were
already submitted many times (a long history of replaced entries, `diganti`). The same code as the
consumer of harian.submissions (harian.intake.process_batch, batches as the consumer takes them), on a
temporary SQLite file (or --database-url, an empty PostgreSQL database: it is migrated), no broker.

    python bench/intake_history.py [--employees 38] [--history 30000] [--submissions 6000] [--batch 300]

First the day of `--employees` employees is submitted `--history` times (through the intake itself,
not timed: ~790 submissions per employee-day by default, what 38 demo accounts reach after three
`make bench` runs). Then, side by side (a batch of each in turn, so that a busy machine slows both
alike), `--submissions` submissions on those days with their long history and as many on the day of
as many other employees, which starts fresh. The store rate must not depend on the history: the
ratio history ÷ fresh of stored/s is printed (goal ≥ 0.9), from wall time and from CPU time.
Every submission must be stored exactly once, `diterima`, with its entries; the day's live entries
are those of its latest submission.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AGENCY = "bench-intake"
RHK_PER_EMPLOYEE = 3


def _seed(factory: Any, employees: int, day: dt.date) -> tuple[list[tuple[str, list[str]]], ...]:
    """Two groups of `employees` active employees, each with an approved SKP of three RHK for the
    year of `day`, which is a working day of their agency: one group for each phase."""
    from sqlalchemy import insert

    from ekinerja_kernel.db import unit_of_work
    from harian.tables import agency_settings, approved_rhk
    from harian.tables import employees as staff

    now = dt.datetime.now(dt.UTC)
    people: list[tuple[str, list[str]]] = []
    with unit_of_work(factory) as s:
        s.execute(insert(agency_settings).values(
            agency_id=AGENCY, reminder_hour=15, updated_at=now, settings={"extra_working_days": [day.isoformat()]}))
        for i in range(2 * employees):
            nip = f"1980010120{i:06d}01"
            rhk = [str(uuid.uuid4()) for _ in range(RHK_PER_EMPLOYEE)]
            s.execute(insert(staff).values(nip=nip, name=f"Pegawai {i}", email=None, status="active",
                                           agency_id=AGENCY, unit_id=f"{AGENCY}-unit", supervisor_nip=None,
                                           updated_at=now))
            s.execute(insert(approved_rhk), [
                {"rhk_id": r, "nip": nip, "year": day.year, "skp_id": str(uuid.uuid4()), "version": 1,
                 "kind": "utama", "text": f"RHK {j}", "satuan": "kegiatan"} for j, r in enumerate(rhk)])
            people.append((nip, rhk))
    return people[:employees], people[employees:]


def _messages(people: list[tuple[str, list[str]]], day: dt.date, count: int, start: int) -> list[dict[str, Any]]:
    """Submissions as the gateway queues them: one to three activities, accepted one after another."""
    from ekinerja_kernel.bus import HARIAN_SUBMIT
    from ekinerja_kernel.events import make_event

    out = []
    base = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)  # accepted today, one after the other
    for n in range(start, start + count):
        nip, rhk = people[n % len(people)]
        acts = [{"rhk_id": rhk[(n + j) % len(rhk)], "description": f"Kegiatan {n}-{j} hari {day}",
                 "quantity": 1 + j, "satuan": "kegiatan", "quality": 100,
                 "evidence_url": f"https://bukti.example.go.id/{n}/{j}", "minutes": 30}
                for j in range(1 + n % 3)]
        out.append(make_event("gateway", HARIAN_SUBMIT, nip, {
            "id": str(uuid.uuid4()), "nip": nip, "date": day.isoformat(), "activities": acts,
            "accepted_at": (base + dt.timedelta(microseconds=n)).isoformat()}, request_id=f"bi-{n}"))
    return out


def _store(factory: Any, messages: list[dict[str, Any]], batch: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to store `messages` in batches of `batch`."""
    return _store_side_by_side(factory, [messages], batch)[0]


def _store_side_by_side(factory: Any, phases: list[list[dict[str, Any]]], batch: int) -> list[tuple[float, float]]:
    """Stores each phase's messages in batches of `batch`, a batch of each phase in turn, so that the
    rest of a busy machine slows them alike; (wall seconds, CPU seconds) per phase."""
    from harian.intake import process_batch
    from harian.tables import OUTBOX

    spent = [[0.0, 0.0] for _ in phases]
    for i in range(0, max(len(p) for p in phases), batch):
        for n, messages in enumerate(phases):
            if chunk := messages[i:i + batch]:
                wall, cpu = time.perf_counter(), time.process_time()
                process_batch(factory, OUTBOX, chunk)
                spent[n][0] += time.perf_counter() - wall
                spent[n][1] += time.process_time() - cpu
    return [(w, c) for w, c in spent]


def _check(factory: Any, messages: list[dict[str, Any]]) -> list[str]:
    """Each message stored once, diterima, with its entries; each day's live entries are its latest's."""
    from sqlalchemy import bindparam, text

    problems = []
    tables = _entry_tables(factory)
    ids = [m["data"]["id"] for m in messages]
    sent = {m["data"]["id"]: len(m["data"]["activities"]) for m in messages}
    with factory() as s:
        rows, counted = {}, {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = text("SELECT id, status, entries FROM submissions WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True))
            for sid, status, n in s.execute(q, {"ids": chunk}):
                rows.setdefault(sid, []).append((status, n))
            for table in tables:
                q = text(f"SELECT submission_id, COUNT(*) FROM {table} WHERE submission_id IN :ids "
                         "GROUP BY submission_id").bindparams(bindparam("ids", expanding=True))
                for sid, n in s.execute(q, {"ids": chunk}):
                    counted[sid] = counted.get(sid, 0) + n
        for sid, n in sent.items():
            found = rows.get(sid, [])
            if len(found) != 1:
                problems.append(f"{sid}: {len(found)} submissions rows")
            elif found[0] != ("diterima", n) or counted.get(sid, 0) != n:
                problems.append(f"{sid}: {found[0]} with {counted.get(sid, 0)} entries rows, {n} sent")
        latest: dict[tuple[str, str], str] = {}
        for m in messages:
            latest[(m["data"]["nip"], m["data"]["date"])] = m["data"]["id"]
        for (nip, day), sid in latest.items():
            live = {r[0] for r in s.execute(text(
                "SELECT DISTINCT submission_id FROM entries WHERE nip = :n AND date = :d AND state <> 'diganti'"),
                {"n": nip, "d": dt.date.fromisoformat(day)})}
            if live != {sid}:
                problems.append(f"{nip} {day}: live entries of {sorted(live)[:3]}, latest submission {sid}")
    return problems


def _entry_tables(factory: Any) -> list[str]:
    """Where entries are: the live ones, and the replaced ones if they are kept apart."""
    from sqlalchemy import inspect

    with factory() as s:
        names = set(inspect(s.connection()).get_table_names())
    return [t for t in ("entries", "entry_history") if t in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=38)
    parser.add_argument("--history", type=int, default=30_000, help="submissions already made on the day")
    parser.add_argument("--submissions", type=int, default=6_000, help="timed submissions per phase")
    parser.add_argument("--batch", type=int, default=int(os.environ.get("HARIAN_BATCH", "300")))
    parser.add_argument("--database-url", default=os.environ.get("HARIAN_BENCH_DATABASE_URL"))
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line too")
    args = parser.parse_args(argv)

    from ekinerja_kernel import config
    from ekinerja_kernel.db import make_engine, session_factory
    from ekinerja_kernel.migrations import upgrade

    day = config.today()
    with tempfile.TemporaryDirectory(prefix="ekinerja-bench-intake-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'harian.db'}"
        upgrade(ROOT / "services" / "harian", url)
        engine = make_engine(url)
        factory = session_factory(engine)
        group_fresh, group_history = _seed(factory, args.employees, day)
        where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"harian intake on {where}: {args.employees} employees, batches of {args.batch}", file=sys.stderr)

        made = time.perf_counter()
        earlier = _messages(group_history, day, args.history, 0)
        _store(factory, earlier, max(args.batch, 1000))
        made = time.perf_counter() - made
        fresh = _messages(group_fresh, day, args.submissions, 0)
        later = _messages(group_history, day, args.submissions, args.history)
        (fresh_wall, fresh_cpu), (hist_wall, hist_cpu) = _store_side_by_side(factory, [fresh, later], args.batch)
        problems = _check(factory, fresh) + _check(factory, later)
        engine.dispose()

    n = args.submissions
    ratio, cpu_ratio = fresh_wall / hist_wall, fresh_cpu / hist_cpu
    per_day = args.history // args.employees
    print(f"  history made first:  {args.history:,} submissions ({per_day:,} per employee-day) in {made:.0f} s")
    print(f"  fresh days:          {n / fresh_wall:8,.0f} stored/s  ({fresh_cpu / n * 1000:.2f} ms CPU each)")
    print(f"  days with history:   {n / hist_wall:8,.0f} stored/s  ({hist_cpu / n * 1000:.2f} ms CPU each)")
    print(f"  history ÷ fresh:     {ratio:8.2f}  stored/s ({cpu_ratio:.2f} by CPU time; goal ≥ 0.9: the store "
          "rate does not depend on the history)")
    print(f"  stored exactly once, diterima, every entry, latest live: {'yes' if not problems else 'NO'}")
    for p in problems[:10]:
        print(f"    {p}")
    if args.json:
        print(json.dumps({"database": where, "fresh_per_s": n / fresh_wall, "history_per_s": n / hist_wall,
                          "fresh_cpu_ms": fresh_cpu / n * 1000, "history_cpu_ms": hist_cpu / n * 1000,
                          "ratio": ratio, "cpu_ratio": cpu_ratio, "history": args.history, "ok": not problems}))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
