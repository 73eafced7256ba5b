"""The broker's side of the public events, through RabbitMQ's management HTTP API: the public vhost
and exchange, the publishing account's permissions there, and one account per subscriber.

A subscriber `NAME` gets a user `NAME` (no management tag: no UI, no HTTP API) with permissions on the
public vhost only: configure and write its own queues `sub.NAME.*`, read them and the exchange
`ekinerja.public`, and topic permissions on that exchange whose read pattern is exactly its granted
types, which RabbitMQ checks on every queue.bind: a binding of any other routing key (a type not
granted, or a pattern like `ekinerja.public.#`) is refused. The management API is the one interface
the RabbitMQ Cluster Operator's clusters and the local node of `make up` and the tests both offer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests

from ekinerja_kernel import config
from ekinerja_kernel.publicevents import PUBLIC_EXCHANGE

DEFAULT_MANAGEMENT_URL = "http://127.0.0.1:15672"


class BrokerError(RuntimeError):
    """The management API refused or failed a call."""


def queue_prefix(name: str) -> str:
    return f"sub.{name}."


def permissions(name: str) -> dict[str, str]:
    own = re.escape(queue_prefix(name))
    return {"configure": f"^{own}", "write": f"^{own}", "read": f"^({own}.*|{re.escape(PUBLIC_EXCHANGE)})$"}


def topic_permissions(types: Iterable[str]) -> dict[str, str]:
    alternatives = "|".join(re.escape(t) for t in sorted(types))
    return {"exchange": PUBLIC_EXCHANGE, "write": "^$", "read": f"^({alternatives})$"}


def _credentials(amqp_uri: str) -> tuple[str, str]:
    parts = urlsplit(amqp_uri.split(";")[0])
    return unquote(parts.username or "guest"), unquote(parts.password or "guest")


class Management:
    """A small client of the management HTTP API (`RABBITMQ_MANAGEMENT_URL`, with the account of
    `RABBITMQ_ADMIN_USER`/`RABBITMQ_ADMIN_PASSWORD`, by default AMQP_URI's)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (user, password)
        self.timeout = timeout

    @classmethod
    def from_env(cls) -> Management:
        user, password = _credentials(config.amqp_uri())
        return cls(config.env("RABBITMQ_MANAGEMENT_URL", DEFAULT_MANAGEMENT_URL),
                   config.env("RABBITMQ_ADMIN_USER", user), config.env("RABBITMQ_ADMIN_PASSWORD", password))

    def _call(self, method: str, path: str, body: Any = None, missing_ok: bool = False) -> Any:
        try:
            response = self.session.request(method, self.url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise BrokerError(f"the broker's management API at {self.url} cannot be reached: {exc}") from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 300:
            raise BrokerError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    @staticmethod
    def _q(value: str) -> str:
        return quote(value, safe="")

    def setup(self, vhost: str, publisher: str) -> None:
        """The public vhost and exchange, and `publisher` (the services' account) allowed everything
        there: the outbox relays publish and declare the log queue, the events service consumes it."""
        self._call("PUT", f"/api/vhosts/{self._q(vhost)}", {"description": "e-Kinerja public events"})
        self._call("PUT", f"/api/permissions/{self._q(vhost)}/{self._q(publisher)}",
                   {"configure": ".*", "write": ".*", "read": ".*"})
        self._call("PUT", f"/api/exchanges/{self._q(vhost)}/{self._q(PUBLIC_EXCHANGE)}",
                   {"type": "topic", "durable": True, "auto_delete": False, "internal": False, "arguments": {}})

    def vhost_exists(self, vhost: str) -> bool:
        return self._call("GET", f"/api/vhosts/{self._q(vhost)}", missing_ok=True) is not None

    def user_exists(self, name: str) -> bool:
        return self._call("GET", f"/api/users/{self._q(name)}", missing_ok=True) is not None

    def add_subscriber(self, vhost: str, name: str, password: str, types: Iterable[str]) -> None:
        self._call("PUT", f"/api/users/{self._q(name)}", {"password": password, "tags": ""})
        self.grant(vhost, name, types)

    def grant(self, vhost: str, name: str, types: Iterable[str]) -> None:
        self._call("PUT", f"/api/permissions/{self._q(vhost)}/{self._q(name)}", permissions(name))
        self._call("PUT", f"/api/topic-permissions/{self._q(vhost)}/{self._q(name)}", topic_permissions(types))

    def remove_subscriber(self, vhost: str, name: str) -> None:
        """The account, its open connections and its queues (idempotent)."""
        self._call("DELETE", f"/api/users/{self._q(name)}", missing_ok=True)
        for connection in self._call("GET", "/api/connections") or []:
            if connection.get("user") == name:
                self._call("DELETE", f"/api/connections/{self._q(connection['name'])}", missing_ok=True)
        for queue in self._call("GET", f"/api/queues/{self._q(vhost)}", missing_ok=True) or []:
            if queue["name"].startswith(queue_prefix(name)):
                self._call("DELETE", f"/api/queues/{self._q(vhost)}/{self._q(queue['name'])}", missing_ok=True)

    def queue_depth(self, vhost: str, queue: str) -> int | None:
        found = self._call("GET", f"/api/queues/{self._q(vhost)}/{self._q(queue)}", missing_ok=True)
        return None if found is None else int(found.get("messages", 0))
