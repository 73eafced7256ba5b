"""The gateway's RPC clients: one long-lived nameko proxy per thread (so per gunicorn worker),
created lazily after fork and thrown away after any broker failure."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from ekinerja_kernel.rpc import RpcProblem  # noqa: F401  registers the typed problem for deserialising

from . import metrics

log = logging.getLogger(__name__)

BROKEN = (OSError, AmqpConnectionError, OperationalError, ConnectionError)


class ServiceUnavailable(Exception):
    """The broker or the service cannot be reached now: the client should retry later."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service, self.reason = service, reason


class ServiceTimeout(Exception):
    def __init__(self, service: str, timeout: float) -> None:
        super().__init__(f"{service} did not answer within {timeout}s")
        self.service, self.timeout = service, timeout


class ServiceFailed(Exception):
    """The service raised an unexpected error (a bug there, not the client's fault)."""

    def __init__(self, service: str, remote: RemoteError) -> None:
        super().__init__(f"{service}: {remote.exc_type}")
        self.service, self.remote = service, remote


class _Proxy:
    def __init__(self, amqp_uri: str, timeout: float) -> None:
        self.context: dict[str, Any] = {}  # nameko reads it at each call: our per-request headers
        self.proxy = ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"},
                                     context_data=self.context, timeout=timeout)
        self.cluster = self.proxy.start()

    def set_context(self, **values: Any) -> None:
        """Set this call's context data; a `None` value removes the key, so nothing from an earlier
        request (above all its `caller`) is left on the long-lived proxy."""
        for key, value in values.items():
            if value is None:
                self.context.pop(key, None)
            else:
                self.context[key] = value

    def close(self) -> None:
        try:
            self.proxy.stop()
        except Exception:  # already broken: nothing left to close cleanly
            log.debug("closing a broken rpc proxy", exc_info=True)


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float, probe_timeout: float = 1.0) -> None:
        self.amqp_uri = amqp_uri
        self.timeouts = {"call": timeout, "probe": probe_timeout}
        self._local = threading.local()

    def _get(self, kind: str) -> _Proxy:
        proxy = getattr(self._local, kind, None)
        if proxy is None:
            proxy = _Proxy(self.amqp_uri, self.timeouts[kind])
            setattr(self._local, kind, proxy)
        return proxy

    def _drop(self, kind: str) -> None:
        proxy = getattr(self._local, kind, None)
        setattr(self._local, kind, None)
        if proxy is not None:
            proxy.close()

    def call(self, service: str, method: str, *args: Any, request_id: str | None = None,
             caller: dict[str, Any] | None = None, client: dict[str, Any] | None = None,
             idempotent: bool = False, quick: bool = False, **kwargs: Any) -> Any:
        """Call `service.method`; idempotent calls are retried once on a fresh connection. `quick`:
        within the probe timeout (READY_TIMEOUT), for an answer the request can do without.

        `request_id`, `client` (`{"ip", "user_agent"}`) and `caller` (the verified token's subject,
        only on authenticated routes) travel as nameko context data; each one left `None` is
        removed from the proxy's context, never carried over from the previous call."""
        attempts = 2 if idempotent else 1
        kind = "probe" if quick else "call"
        for attempt in range(attempts):
            started = time.perf_counter()
            outcome = "ok"
            try:
                try:
                    proxy = self._get(kind)
                except BROKEN as exc:
                    raise ServiceUnavailable("broker", f"cannot connect: {exc}") from exc
                proxy.set_context(request_id=request_id, caller=caller, client=client)
                return getattr(getattr(proxy.cluster, service), method)(*args, **kwargs)
            except RpcProblem:
                outcome = "refused"
                raise
            except RpcTimeout:
                outcome = "timeout"
                raise ServiceTimeout(service, self.timeouts[kind]) from None
            except UnknownService:
                outcome = "unavailable"
                raise ServiceUnavailable(service, "no instance is running") from None
            except RemoteError as exc:
                outcome = "error"
                raise ServiceFailed(service, exc) from None
            except ServiceUnavailable:
                outcome = "unavailable"
                raise
            except BROKEN as exc:
                outcome = "unavailable"
                self._drop(kind)
                if attempt + 1 < attempts:
                    continue
                raise ServiceUnavailable("broker", f"connection lost: {exc}") from None
            finally:
                metrics.RPC_CALLS.labels(service, method, outcome).inc()
                metrics.RPC_LATENCY.labels(service, method).observe(time.perf_counter() - started)

    def ping_all(self, services: tuple[str, ...], request_id: str | None = None) -> tuple[bool, dict[str, Any]]:
        """Ping every service at once, each within the probe timeout. Returns (broker_ok, states)."""
        try:
            proxy = self._get("probe")
            proxy.set_context(request_id=request_id, caller=None, client=None)
            pending = {}
            for name in services:
                try:
                    pending[name] = (time.perf_counter(), getattr(proxy.cluster, name).ping.call_async())
                except UnknownService:
                    pending[name] = None
        except BROKEN:
            self._drop("probe")
            return False, {name: {"status": "unreachable"} for name in services}
        states: dict[str, Any] = {}
        for name in services:
            if pending.get(name) is None:
                states[name] = {"status": "down", "reason": "no instance is running"}
                continue
            started, reply = pending[name]
            try:
                answer = reply.result()
                states[name] = {**answer, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
            except RpcTimeout:
                states[name] = {"status": "timeout", "reason": f"no answer within {self.timeouts['probe']}s"}
            except RemoteError as exc:
                states[name] = {"status": "error", "reason": exc.exc_type}
            except BROKEN:
                self._drop("probe")
                return False, {n: {"status": "unreachable"} for n in services}
        return True, states
