"""`ekinerja-harian settings load FILE`: agencies' daily-progress settings from a JSON file
({agency_id: settings}, as PUT /api/v1/harian/settings takes them, reminder_hour included). A key an
agency's stored settings already have is kept as it is (what its admin set wins), a missing one is
added, so loading the same file again changes nothing. `make up` loads the demo agencies' go-live
(`harian/demo/agency-settings.json`) this way."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ekinerja_kernel import monitoring as monitoring_rules
from ekinerja_kernel.config import database_url
from ekinerja_kernel.db import make_engine, session_factory, unit_of_work, upsert
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow

from . import monitoring, staff
from .domain.settings import parse_agency_settings
from .tables import agency_settings

DEMO_SETTINGS = Path(__file__).parent / "demo" / "agency-settings.json"


def load_settings(factory: Any, path: str | Path) -> int:
    try:
        wanted = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{path}: cannot be read: {exc}", file=sys.stderr)
        return 2
    if not isinstance(wanted, dict) or not all(isinstance(v, dict) for v in wanted.values()):
        print(f"{path}: must map each agency id to its settings object", file=sys.stderr)
        return 2
    for agency_id, settings in sorted(wanted.items()):
        with unit_of_work(factory) as s:
            row = s.execute(select(agency_settings).where(agency_settings.c.agency_id == agency_id)).first()
            stored = dict(row.settings) if row is not None else {}
            hour = row.reminder_hour if row is not None else settings.get("reminder_hour", staff.DEFAULT_REMINDER_HOUR)
            added = {k: v for k, v in settings.items() if k != "reminder_hour" and k not in stored}
            if not added and row is not None:
                print(f"{path}: {agency_id} already has these settings")
                continue
            merged = {**stored, **added}
            try:
                parse_agency_settings(merged)
            except DomainError as error:
                print(f"{path}: {agency_id} refused: {json.dumps(error.to_problem(), ensure_ascii=False)}",
                      file=sys.stderr)
                return 2
            upsert(s, agency_settings, {"agency_id": agency_id}, {"settings": merged, "reminder_hour": hour,
                                                                 "updated_by": "cli", "updated_at": utcnow()})
            print(f"{path}: {agency_id}: {', '.join(sorted(added)) or 'defaults'} set")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ekinerja-harian")
    sub = parser.add_subparsers(dest="command", required=True)
    settings = sub.add_parser("settings", help="load agencies' daily-progress settings from a JSON file")
    settings.add_argument("action", choices=["load"])
    settings.add_argument("file", nargs="?", default=str(DEMO_SETTINGS),
                          help="JSON {agency_id: settings} (default: the demo agencies')")
    monitoring_rules.add_command(sub)
    args = parser.parse_args(argv)
    engine = make_engine(database_url("harian"))
    try:
        if args.command == "monitoring":
            return monitoring_rules.run_command(args, session_factory(engine), monitoring.rebuild, monitoring.check)
        return load_settings(session_factory(engine), args.file)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
