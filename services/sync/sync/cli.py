"""`ekinerja-sync import FILE`: load master data into the sync database.
`ekinerja-sync announce [--agency ID]`: announce all current master data again (a new consumer).

Writes through the same use case as the RPC, so the outbox carries the events and the running
service's relay publishes them.
"""

from __future__ import annotations

import argparse
import json
import sys

from ekinerja_kernel.config import database_url
from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.errors import DomainError

from .announce import announce
from .files import read_import_file
from .handlers import KINDS, import_records
from .tables import OUTBOX


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ekinerja-sync")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a JSON or CSV file of master data")
    imp.add_argument("file")
    imp.add_argument("--kind", choices=KINDS, default="employees", help="record kind of a CSV file")
    again = sub.add_parser("announce", help="announce all current master data again, for a consumer that "
                                            "joined late or lost its read-copy")
    again.add_argument("--agency", default=None, help="only this agency")
    args = parser.parse_args(argv)

    engine = make_engine(database_url("sync"))
    if args.command == "announce":
        try:
            print(json.dumps(announce(session_factory(engine), OUTBOX, args.agency)))
            return 0
        finally:
            engine.dispose()
    try:
        report = import_records(session_factory(engine), OUTBOX, read_import_file(args.file, args.kind))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(json.dumps(exc.to_problem(), indent=2), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(json.dumps(report, indent=2))
    return 1 if report["rejected"] else 0


if __name__ == "__main__":
    sys.exit(main())
