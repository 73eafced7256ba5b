"""How long a full master-data sync of a synthetic national data set takes (default 100,000
employees): the same streaming batch a registry sync runs (sync.stream.StreamApplier: the import's
rules, chunks of SYNC_BATCH_SIZE rows per transaction, yielding between chunks), on a temporary
SQLite file, or on PostgreSQL when a database URL is given (an empty database: it is migrated).

    python bench/sync_full.py [--size 100000] [--chunk 500] [--database-url URL] [--no-again]

Rows come from the synthetic generator (sync.synthetic, the data of `make data`) as a stream, never
held whole in memory. A second pass over the same data (changing nothing) shows the cost of an
unchanged sync, and that it emits no event. Prints one line per pass and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pass(factory, size: int, seed: int, chunk: int) -> dict:
    from sync.stream import StreamApplier
    from sync.synthetic import generate
    from sync.tables import OUTBOX

    applier = StreamApplier(factory, OUTBOX, chunk)
    started = time.perf_counter()
    for kind, row in generate(size, seed):
        applier.feed(kind, row)
    applier.close()
    seconds = time.perf_counter() - started
    staff = applier.counts["employees"]
    return {"seconds": round(seconds, 2), "employees_per_second": round(size / seconds, 1), "employees": staff,
            "units": applier.counts["units"]["created"] + applier.counts["units"]["unchanged"],
            "events": applier.events, "errors": applier.error_count, "chunks": applier.chunks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=int(os.environ.get("SYNC_BATCH_SIZE", "500")))
    parser.add_argument("--database-url", default=os.environ.get("SYNC_BENCH_DATABASE_URL"),
                        help="PostgreSQL URL of an empty database (default: a temporary SQLite file)")
    parser.add_argument("--no-again", action="store_true", help="skip the second, unchanged pass")
    args = parser.parse_args(argv)

    from ekinerja_kernel.db import make_engine, session_factory
    from ekinerja_kernel.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="ekinerja-bench-sync-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'sync.db'}"
        upgrade(ROOT / "services" / "sync", url)
        engine = make_engine(url)
        factory = session_factory(engine)
        where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"full sync of {args.size:,} synthetic employees into {where}, {args.chunk} rows per transaction",
              file=sys.stderr)
        results = {"size": args.size, "chunk": args.chunk, "database": where}
        passes = ["first"] + ([] if args.no_again else ["unchanged"])
        for name in passes:
            result = _pass(factory, args.size, args.seed, args.chunk)
            results[name] = result
            print(f"  {name:9} {result['seconds']:8.1f} s  {result['employees_per_second']:9,.0f} employees/s  "
                  f"created {result['employees']['created']:,}  unchanged {result['employees']['unchanged']:,}  "
                  f"rejected {result['employees']['rejected']:,}  events {result['events']:,}", file=sys.stderr)
        engine.dispose()
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(results))
    ok = results["first"]["employees"]["rejected"] == 0 and (
        args.no_again or (results["unchanged"]["events"] == 0 and results["unchanged"]["employees"]["unchanged"]
                          == args.size))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
