"""The gateway's RPC clients: one long-lived nameko proxy per thread (so per gunicorn worker),
created lazily after fork and thrown away after any broker failure. While the broker is away the
worker's circuit breaker (breaker.py) answers every call at once with ServiceUnavailable (a 503)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, cast

from amqp.exceptions import ChannelError as AmqpChannelError
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy, StandaloneProxyBase

from ekinerja_kernel.bus import connect
from ekinerja_kernel.rpc import RpcProblem, health_service  # RpcProblem: registers the typed problem

from . import metrics
from .breaker import BrokerBreaker

log = logging.getLogger(__name__)

# What a broker that went away looks like to a proxy. A channel error belongs here too: on a cluster that
# lost a node, a proxy reconnected to another node cannot declare its reply queue again (its home node
# is down: 404); a new proxy (a new reply queue, on the node it reached) works.
BROKEN = (OSError, AmqpConnectionError, AmqpChannelError, OperationalError, ConnectionError)


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


# A request's publish that meets a broken connection reconnects once, at once, and then gives up:
# nameko's default (3 retries, kombu's pauses between them) held a worker 6-8 s per request while the
# broker restarted. `max_retries` is per broker address, so each node of a cluster is tried once.
FAIL_FAST_RETRY = {"interval_start": 0, "interval_step": 0, "interval_max": 0}


class _FailFastCluster(ClusterProxy):
    def __getattr__(self, name: str) -> ServiceProxy:
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(self._worker_ctx, name, self._reply_listener,
                                               retry_policy=self.retry_policy)
        return self._proxies[name]


class _FailFastRpcProxy(ClusterRpcProxy):
    def __init__(self, config: dict[str, Any], retry_policy: dict[str, Any], **kwargs: Any) -> None:
        StandaloneProxyBase.__init__(self, config, **kwargs)
        self._proxy = _FailFastCluster(self._worker_ctx, self._reply_listener)
        self._proxy.retry_policy = retry_policy


class _Proxy:
    def __init__(self, amqp_uri: str, timeout: float, connect_timeout: float) -> None:
        self.context: dict[str, Any] = {}  # nameko reads it at each call: our per-request headers
        # nameko's reply listener connects with kombu's default retry (a 2 s pause): make sure first,
        # without one, that a broker answers at all.
        with Connection(amqp_uri, connect_timeout=connect_timeout) as probe:
            connect(probe)
            addresses = max(len(probe.alt), 1)
        self.proxy = _FailFastRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"},
                                       {**FAIL_FAST_RETRY, "max_retries": addresses},
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
    def __init__(self, amqp_uri: str, timeout: float, probe_timeout: float = 1.0,
                 breaker: BrokerBreaker | None = None, connect_timeout: float = 1.0) -> None:
        self.amqp_uri = amqp_uri
        self.timeouts = {"call": timeout, "probe": probe_timeout}
        self.connect_timeout = connect_timeout
        self.breaker = breaker or BrokerBreaker()
        self._local = threading.local()

    def _get(self, kind: str) -> _Proxy:
        proxy = getattr(self._local, kind, None)
        if proxy is None:
            proxy = _Proxy(self.amqp_uri, self.timeouts[kind], self.connect_timeout)
            setattr(self._local, kind, proxy)
        return proxy

    def _fail_fast(self) -> None:
        if not self.breaker.allow():
            raise ServiceUnavailable("broker", f"unreachable ({self.breaker.reason or 'connection failed'}); "
                                               "not tried again for a moment")

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
                self._fail_fast()
                try:
                    proxy = self._get(kind)
                except BROKEN as exc:
                    self.breaker.failed(f"cannot connect: {exc}")
                    raise ServiceUnavailable("broker", f"cannot connect: {exc}") from exc
                proxy.set_context(request_id=request_id, caller=caller, client=client)
                try:
                    result = getattr(getattr(proxy.cluster, service), method)(*args, **kwargs)
                except BROKEN:
                    raise
                except Exception:
                    self.breaker.succeeded()  # the broker carried it: a refusal, a timeout, an error there
                    raise
                self.breaker.succeeded()
                return result
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
                    continue  # a connection gone stale since the last call: once more on a fresh one
                self.breaker.failed(f"connection lost: {exc}")
                raise ServiceUnavailable("broker", f"connection lost: {exc}") from None
            except Exception:
                outcome = "error"
                self._drop(kind)  # a proxy that failed in an unforeseen way may be half torn down: never reused
                raise
            finally:
                metrics.RPC_CALLS.labels(service, method, outcome).inc()
                metrics.RPC_LATENCY.labels(service, method).observe(time.perf_counter() - started)

    def ping_all(self, services: tuple[str, ...], request_id: str | None = None) -> tuple[bool, dict[str, Any]]:
        """Ping every service's health entrypoint at once, each within the probe timeout. Returns
        (broker_ok, states)."""
        if not self.breaker.allow():
            return False, {name: {"status": "unreachable"} for name in services}
        try:
            proxy = self._get("probe")
            proxy.set_context(request_id=request_id, caller=None, client=None)
            pending: dict[str, tuple[float, Any] | None] = {}
            for name in services:
                try:
                    pending[name] = (time.perf_counter(), proxy.cluster[health_service(name)].ping.call_async())
                except UnknownService:
                    pending[name] = None
        except BROKEN as exc:
            self._drop("probe")
            self.breaker.failed(f"cannot connect: {exc}")
            return False, {name: {"status": "unreachable"} for name in services}
        self.breaker.succeeded()
        states: dict[str, Any] = {}
        for name in services:
            if pending.get(name) is None:
                states[name] = {"status": "down", "reason": "no instance is running"}
                continue
            started, reply = cast("tuple[float, Any]", pending[name])  # not None: checked above
            try:
                answer = reply.result()
                states[name] = {**answer, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
            except RpcTimeout:
                states[name] = {"status": "timeout", "reason": f"no answer within {self.timeouts['probe']}s"}
            except RemoteError as exc:
                states[name] = {"status": "error", "reason": exc.exc_type}
            except BROKEN as exc:
                self._drop("probe")
                self.breaker.failed(f"connection lost: {exc}")
                return False, {n: {"status": "unreachable"} for n in services}
        return True, states
