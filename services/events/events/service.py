"""nameko entrypoints of the events service: public events for other government systems (the replay
log fed from the public exchange, its feed, signed webhooks). Subscribers and webhooks are managed
with the `ekinerja-events` CLI."""

from __future__ import annotations

from ekinerja_kernel.mail import MailRelay
from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import ServiceBase

from . import handlers, metrics
from .intake import LogIntake
from .pruner import LogPruner
from .tables import mail_queue
from .webhooks import WebhookDispatcher


class EventsService(ServiceBase):
    name = "events"
    intake = LogIntake()
    dispatcher = WebhookDispatcher()
    pruner = LogPruner()
    mail = MailRelay(mail_queue)

    @rpc
    def replay(self, api_key: str | None, after: str | None = None, after_id: str | None = None,
               types: list[str] | None = None, limit: int | None = None) -> dict:
        page = handlers.replay(self.db, api_key, after, after_id, types, limit)
        metrics.REPLAYED.labels(page["subscriber"]).inc(len(page["events"]))
        return page
