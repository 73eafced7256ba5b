"""RPC entrypoint that carries DomainErrors across the bus as problem documents.

Services subclass DomainError freely; on the wire every one becomes `RpcProblem(problem_dict)`,
the one exception type the gateway has registered, so it arrives as a typed problem and not as
an opaque RemoteError.
"""

from __future__ import annotations

import json
from typing import Any, cast

from nameko.exceptions import deserialize_to_instance
from nameko.rpc import Rpc, RpcConsumer

from .bus import queue_type_arguments
from .errors import DomainError


@deserialize_to_instance
class RpcProblem(Exception):
    """A DomainError after it crossed the bus: `.problem` is the RFC 9457 body."""

    def __init__(self, problem: dict[str, Any] | str) -> None:
        # The argument travels as JSON text: nameko's exception serialisation turns every number
        # inside a dict into a string ("status": "429"), which text passes through untouched.
        if isinstance(problem, str):
            problem = json.loads(problem)
        super().__init__(json.dumps(problem))
        self.problem = cast(dict[str, Any], problem)  # the text above is a problem's JSON object

    @property
    def status(self) -> int:
        return int(self.problem.get("status", 500))


class TypedRpcConsumer(RpcConsumer):
    """nameko's RPC queue (`rpc-<service>`, durable) declared with the system's queue type
    (EKINERJA_QUEUE_TYPE): on a cluster a quorum queue, so a service's calls outlive a broker node."""

    def setup(self) -> None:
        super().setup()
        self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), **queue_type_arguments()}


class ProblemRpc(Rpc):
    rpc_consumer = TypedRpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], DomainError):
            problem = RpcProblem(exc_info[1].to_problem())
            exc_info = (RpcProblem, problem, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


def health_service(service: str) -> str:
    """The RPC name a service answers its health check under, `<service>-health` (service.HealthCheck):
    a queue of its own, so the check never waits behind the service's calls in `rpc-<service>`."""
    return f"{service}-health"


def rpc(fn=None, **kwargs):
    """`@rpc` for e-Kinerja services: DomainErrors are expected, logged as warnings, sent typed."""
    kwargs.setdefault("expected_exceptions", DomainError)
    if fn is None:
        return ProblemRpc.decorator(**kwargs)
    return ProblemRpc.decorator(**kwargs)(fn)
