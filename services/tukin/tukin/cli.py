"""`ekinerja-tukin policy load FILE...` (YAML or JSON, validated; a version already loaded is left
as it is) and `ekinerja-tukin compute AGENCY YYYY-MM` (the same batch as the admin's API call)."""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import select

from ekinerja_kernel import monitoring as monitoring_rules
from ekinerja_kernel.config import database_url
from ekinerja_kernel.db import make_engine, session_factory, unit_of_work
from ekinerja_kernel.errors import DomainError

from . import monitoring
from .domain.policy import load_policy_file
from .handlers import save_policy
from .monthly import compute_agency_month
from .tables import OUTBOX, policies


def load(factory, paths: list[str]) -> int:
    for path in paths:
        try:
            policy = load_policy_file(path)
        except DomainError as error:
            print(f"{path}: refused: {json.dumps(error.to_problem(), ensure_ascii=False)}", file=sys.stderr)
            return 2
        with unit_of_work(factory) as s:
            stored = s.execute(select(policies.c.body).where(
                policies.c.agency_id == policy.agency_id, policies.c.effective_from == policy.effective_from)).first()
            if stored is None:
                save_policy(s, policy.to_dict(), "cli")
                print(f"{path}: {policy.agency_id} {policy.kind.value} policy from {policy.effective_from} loaded")
            elif stored.body != policy.to_dict():
                print(f"{path}: {policy.agency_id} already has a different policy from {policy.effective_from}; "
                      "give the new version its own effective_from", file=sys.stderr)
                return 2
            else:
                print(f"{path}: already loaded")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ekinerja-tukin")
    sub = parser.add_subparsers(dest="command", required=True)
    policy = sub.add_parser("policy", help="load allowance policies from YAML/JSON files")
    policy.add_argument("action", choices=["load"])
    policy.add_argument("files", nargs="+")
    compute = sub.add_parser("compute", help="compute an agency's month")
    compute.add_argument("agency")
    compute.add_argument("month", help="YYYY-MM")
    monitoring_rules.add_command(sub)
    args = parser.parse_args(argv)
    engine = make_engine(database_url("tukin"))
    factory = session_factory(engine)
    try:
        if args.command == "policy":
            return load(factory, args.files)
        if args.command == "monitoring":
            return monitoring_rules.run_command(args, factory, monitoring.rebuild, monitoring.check)
        try:
            with unit_of_work(factory) as s:
                run = compute_agency_month(s, OUTBOX, args.agency, args.month, "cli")
        except DomainError as error:
            print(json.dumps(error.to_problem(), ensure_ascii=False), file=sys.stderr)
            return 2
        print(json.dumps({k: v for k, v in run.items() if k != "skipped"}, ensure_ascii=False))
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
