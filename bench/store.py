"""What harian stored, read straight from its database (read-only queries): the benchmark's proof
that every accepted submission is stored exactly once, with every activity it carried."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

CHUNK = 500


def database_url(var_dir: Path, harian_environ: dict[str, str]) -> str:
    """HARIAN_DATABASE_URL as the bench sees it, else as the running harian process has it, else
    the default SQLite file."""
    for env in (os.environ, harian_environ):
        if env.get("HARIAN_DATABASE_URL"):
            return env["HARIAN_DATABASE_URL"]
    base = Path(harian_environ.get("EKINERJA_VAR_DIR") or var_dir)
    return f"sqlite:///{base / 'harian.db'}"


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


@dataclass
class Verdict:
    accepted: int = 0
    stored: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # accepted, never stored
    doubled: list[str] = field(default_factory=list)  # more than one submissions row, or too many entries
    short: list[str] = field(default_factory=list)  # 'diterima' with fewer entries rows than activities
    stray_entries: list[str] = field(default_factory=list)  # not 'diterima' yet entries rows
    refusals: dict[str, int] = field(default_factory=dict)  # problem code → count, for 'ditolak'
    unacknowledged: int = 0  # stored from this run though the client saw no 202 (a timed-out request)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.doubled or self.short or self.stray_entries)


class HarianStore:
    def __init__(self, url: str) -> None:
        self.url = url
        args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(url, connect_args=args, pool_pre_ping=True)

    def _query(self, sql: str, ids: list[str], **params: object) -> list[tuple]:
        stmt = text(sql).bindparams(bindparam("ids", expanding=True))
        for attempt in range(5):
            try:
                with self.engine.connect() as conn:
                    return [tuple(r) for r in conn.execute(stmt, {"ids": ids, **params})]
            except OperationalError:  # SQLite busy while harian commits a batch: read again
                if attempt == 4:
                    raise
                time.sleep(0.2)
        return []

    def stored_ids(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(ids)):
            found |= {r[0] for r in self._query("SELECT id FROM submissions WHERE id IN :ids", chunk)}
        return found

    def wait_until_stored(self, ids: Iterable[str], seconds: float, progress) -> tuple[set[str], float]:
        """Polls until every id is in `submissions` or `seconds` have passed; (missing ids, seconds waited)."""
        started = time.monotonic()
        missing = set(ids)
        last_report = started
        while missing:
            missing -= self.stored_ids(missing)
            now = time.monotonic()
            if not missing or now - started >= seconds:
                break
            if now - last_report >= 5:
                progress(len(missing), now - started)
                last_report = now
            time.sleep(0.25)
        return missing, time.monotonic() - started

    def verify(self, accepted: dict[str, int], run_tag: str) -> Verdict:
        """Every accepted id stored exactly once; 'diterima' ones with as many entries rows as
        activities sent, the others (refused, or superseded by a later submission of the day) with none."""
        v = Verdict(accepted=len(accepted))
        rows: dict[str, list[tuple]] = {}
        entries: dict[str, int] = {}
        ids = list(accepted)
        for chunk in _chunks(ids):
            for sid, status, stored, problem in self._query(
                    "SELECT id, status, entries, problem FROM submissions WHERE id IN :ids", chunk):
                rows.setdefault(sid, []).append((status, stored, problem))
            for sid, n in self._query("SELECT submission_id, COUNT(*) FROM entries WHERE submission_id IN :ids "
                                      "GROUP BY submission_id", chunk):
                entries[sid] = n
        for sid, sent in accepted.items():
            found = rows.get(sid, [])
            if not found:
                v.missing.append(sid)
                continue
            v.stored += 1
            if len(found) > 1:
                v.doubled.append(f"{sid}: {len(found)} submissions rows")
                continue
            status, stored, problem = found[0]
            v.by_status[status] = v.by_status.get(status, 0) + 1
            n = entries.get(sid, 0)
            if status == "diterima":
                if n > sent or stored > sent:
                    v.doubled.append(f"{sid}: {n} entries rows (column says {stored}) for {sent} activities sent")
                elif n < sent or stored != sent:
                    v.short.append(f"{sid}: {n} entries rows (column says {stored}) for {sent} activities sent")
            elif n:
                v.stray_entries.append(f"{sid}: status {status} but {n} entries rows")
            if status == "ditolak":
                code = _problem_code(problem)
                v.refusals[code] = v.refusals.get(code, 0) + 1
        # Submissions of this run the client never saw acknowledged (a request that timed out).
        pattern = f"b-{run_tag}-%"
        stmt = text("SELECT id FROM submissions WHERE request_id LIKE :p")
        with self.engine.connect() as conn:
            tagged = {r[0] for r in conn.execute(stmt, {"p": pattern})}
        v.unacknowledged = len(tagged - set(accepted))
        return v


def _problem_code(problem: object) -> str:
    if isinstance(problem, str):
        try:
            problem = json.loads(problem)
        except ValueError:
            return problem[:80]
    if isinstance(problem, dict):
        errors = problem.get("errors") or []
        rules = ",".join(sorted({f"{e.get('field')}:{e.get('rule')}" for e in errors if isinstance(e, dict)}))
        code = problem.get("code") or problem.get("type") or problem.get("title")
        return f"{code} [{rules}]" if rules else str(code)
    return str(problem)
