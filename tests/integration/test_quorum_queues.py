"""EKINERJA_QUEUE_TYPE=quorum: every durable queue the system declares (a service's events and RPC
calls, harian's submissions, the dead letters) is a quorum queue, and dead-lettering works on them:
a message the handler cannot process is parked after DEAD_LETTER_TRIES tries, the deliveries the
broker counted before (x-delivery-count: a consumer that died holding it) counting as tries, and a
replay puts it back. A real nameko container on a broker of its own."""

from __future__ import annotations

import uuid

import pytest
from harness import nameko_config
from kombu import Connection, Consumer
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from ekinerja_kernel.bus import HARIAN_SUBMISSIONS, ConfirmedPublisher, commands_exchange
from ekinerja_kernel.deadletter import DeadLetterQueues, QueueMissing
from ekinerja_kernel.events import make_event
from ekinerja_kernel.localservers import RabbitNode, wait_for
from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import event_queue, handle_event

TRIES = 3
HANDLED: list[str] = []  # the event ids the handler was called with, in order


class QuorumCheck:
    """A service whose event handler fails every time (the message is the problem)."""

    name = "quorumcheck"

    @handle_event(event_queue("quorumcheck", "ekinerja.quorumcheck.#"))
    def on_event(self, envelope: dict) -> None:
        HANDLED.append(envelope["id"])
        raise RuntimeError(f"cannot handle {envelope['id']}")

    @rpc
    def hello(self) -> str:
        return "halo"


@pytest.fixture(scope="module")
def broker(workdir):
    node = RabbitNode(workdir / "rabbit-quorum").start()
    yield node
    node.stop()


@pytest.fixture
def quorum(monkeypatch, broker):
    monkeypatch.setenv("EKINERJA_QUEUE_TYPE", "quorum")
    monkeypatch.setenv("DEAD_LETTER_TRIES", str(TRIES))
    monkeypatch.setenv("DEAD_LETTER_RETRY_SECONDS", "0.05")
    containers = []

    def start() -> ServiceContainer:
        container = ServiceContainer(QuorumCheck, nameko_config(broker.amqp_uri))
        container.start()
        containers.append(container)
        return container

    yield start
    for container in containers:
        container.stop()


def queue_types(broker) -> dict[str, str]:
    result = broker.ctl("list_queues", "name", "type", "--quiet", "--no-table-headers")
    assert result.returncode == 0, result.stderr
    return dict(line.split() for line in result.stdout.splitlines() if line.strip())


def event(kind: str = "failed") -> dict:
    return make_event("quorumcheck", f"quorumcheck.{kind}", str(uuid.uuid4()), {"n": 1})


def drain(conn: Connection) -> None:
    try:
        conn.drain_events(timeout=0.5)
    except TimeoutError:  # nothing yet
        pass


def delivered_and_returned(amqp_uri: str) -> int:
    """Take the next event of quorumcheck.events and give it back unprocessed (as a consumer that
    died would); its x-delivery-count when it came."""
    got = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        consumer = Consumer(channel, queues=[event_queue("quorumcheck")], accept=["json"],
                            callbacks=[lambda body, message: got.append(message)])
        consumer.qos(prefetch_count=1)
        consumer.consume()
        wait_for(lambda: drain(conn) or got, timeout=30, what="the event to be delivered")
        count = int((got[0].headers or {}).get("x-delivery-count") or 0)
        got[0].requeue()
        channel.close()
    return count


def parked(broker, message_id: str) -> dict | None:
    try:
        found = DeadLetterQueues(broker.amqp_uri).peek("quorumcheck.events", limit=100)
    except QueueMissing:  # nothing parked yet
        return None
    return next((p.view() for p in found if p.view()["message_id"] == message_id), None)


def test_every_durable_queue_is_a_quorum_queue_and_a_failing_event_is_parked_in_one(broker, quorum):
    quorum()
    with ClusterRpcProxy(nameko_config(broker.amqp_uri), timeout=10) as proxy:
        assert proxy.quorumcheck.hello() == "halo"  # its RPC queue, consumed
    ConfirmedPublisher(broker.amqp_uri, exchange=commands_exchange(), queues=(HARIAN_SUBMISSIONS,)).check()

    failing = event()
    ConfirmedPublisher(broker.amqp_uri).publish(failing)
    view = wait_for(lambda: parked(broker, failing["id"]), timeout=30, what="the failing event to be parked")

    assert view["tries"] == TRIES and view["error_type"] == "RuntimeError" and failing["id"] in view["error"]
    assert HANDLED.count(failing["id"]) == TRIES
    types = queue_types(broker)
    for name in ("quorumcheck.events", "rpc-quorumcheck", "harian.submissions", "quorumcheck.events.dead"):
        assert types.get(name) == "quorum", (name, types)
    # What is transient stays classic: a quorum queue cannot be exclusive or auto-delete.
    assert {t for n, t in types.items() if n.startswith("rpc.reply")} <= {"classic"}

    # The operator's replay puts it back on the quorum queue; it fails again and is parked again.
    assert DeadLetterQueues(broker.amqp_uri).replay("quorumcheck.events", message_id=failing["id"]) == 1
    again = wait_for(lambda: (v := parked(broker, failing["id"])) and v["replays"] == 1 and v,
                     timeout=30, what="the replayed event to be parked again")
    assert again["tries"] == TRIES and HANDLED.count(failing["id"]) == 2 * TRIES


def test_deliveries_the_broker_counted_before_are_tries(broker, quorum):
    # Delivered twice to consumers that gave it back unprocessed (the broker's x-delivery-count), then
    # to the service: its first failure is the third try at least, so it is parked at once.
    container = quorum()
    container.stop()
    failing = event("redelivered")
    ConfirmedPublisher(broker.amqp_uri).publish(failing)
    counts = [delivered_and_returned(broker.amqp_uri) for _ in range(2)]
    assert counts[0] == 0 and counts[1] >= 1  # the broker counts what came back

    quorum()
    view = wait_for(lambda: parked(broker, failing["id"]), timeout=30, what="the redelivered event to be parked")

    assert HANDLED.count(failing["id"]) == 1
    assert view["tries"] >= TRIES
