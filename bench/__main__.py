"""python -m bench: what `make bench` runs — the 08:00 peak against the running stack, then the
batch benchmarks that need no running stack: a Tukin month of a large agency and a full
master-data sync of a national-shaped data set, and harian's intake on days with a long history next to
fresh ones. With DB=postgres (the stack of `make up DB=postgres`)
the batch benchmarks run on that PostgreSQL too, each in a database of its own, dropped afterwards."""

import os
import sys
from contextlib import ExitStack
from pathlib import Path

from bench import database, web
from bench.peak import main as peak

sys.path.insert(0, str(Path(__file__).parent))
import intake_history  # noqa: E402
import sync_full  # noqa: E402  (standalone scripts too: python bench/sync_full.py)
import tukin_month  # noqa: E402

status = peak()
if status != 2:  # the stack is up: go on with the batch benchmarks
    status = max(status, web.main())  # the main pages through the web process
    with ExitStack() as scratch:
        tukin_db, sync_db, intake_db = [], [], []
        if os.environ.get("DB") == "postgres":
            server = os.environ["HARIAN_DATABASE_URL"]  # the Makefile's, for DB=postgres
            tukin_db = ["--database-url", scratch.enter_context(database.scratch(server, "tukin"))]
            sync_db = ["--database-url", scratch.enter_context(database.scratch(server, "sync"))]
            intake_db = ["--database-url", scratch.enter_context(database.scratch(server, "harian"))]
        print()
        status = max(status, tukin_month.main(["--size", os.environ.get("BENCH_TUKIN_SIZE", "50000"), *tukin_db]))
        print()
        status = max(status, sync_full.main(["--size", os.environ.get("BENCH_SYNC_SIZE", "100000"), *sync_db]))
        print()
        status = max(status, intake_history.main(["--history", os.environ.get("BENCH_HISTORY", "30000"), *intake_db]))
raise SystemExit(status)
