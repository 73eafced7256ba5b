"""The log's retention: events older than EVENTS_RETENTION_DAYS (30) are removed from its oldest end."""

from __future__ import annotations

import datetime as dt

from ekinerja_kernel import config
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.service import BackgroundLoop

from . import log, metrics

DEFAULT_RETENTION_DAYS = 30.0


def retention() -> dt.timedelta:
    return dt.timedelta(days=config.env_float("EVENTS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


class LogPruner(BackgroundLoop):
    identifier = "public-log-pruner"
    poll_setting = ("EVENTS_PRUNE_SECONDS", 3600.0)

    def work_once(self) -> int:
        with self.factory() as session, session.begin():
            removed = log.prune(session, utcnow() - retention())
        metrics.PRUNED.inc(removed)
        return 0  # one pass per round: what is left is younger than the retention
