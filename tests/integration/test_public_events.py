"""An outside government system, end to end: onboarded with `ekinerja-events subscribers add`, bound to
two public types on its own account, reading them with the CloudEvents SDK's RabbitMQ binding; stopped
while events happen, then caught up through the replay feed with none lost or doubled; its account
refused everything else; and a webhook receiver verifying Standard Webhooks signatures and retries."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from amqp.exceptions import AccessRefused, NotAllowed
from builders import base_payload, employee
from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_rabbitmq_event
from event_catalogue import validate_public_event
from harness import Subscriber
from kombu import Connection
from kombu.exceptions import OperationalError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ekinerja_kernel.localservers import wait_for
from ekinerja_kernel.publicevents import PUBLIC_EXCHANGE, public_id

CHANGED = "ekinerja.public.employee.changed.v1"
UNIT = "ekinerja.public.unit.changed.v1"
CONTACT = "ekinerja.public.employee.contact.v1"
NIP, NIK = "198609262015051001", "3171012609860001"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    from events.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def names(payload: dict, round_: str) -> dict:
    """The same master data with every unit and the employee renamed: 3 internal upserts."""
    payload = json.loads(json.dumps(payload))
    for unit in payload["units"]:
        unit["name"] = f"{unit['name'].split(' #')[0]} #{round_}"
    payload["employees"] = [employee(NIP, NIK, f"Budi {round_}")]
    return payload


class Outside:
    """The outside system's AMQP side: its own account, an exclusive queue (gone while it is stopped)."""

    def __init__(self, url: str, name: str, types: list[str]) -> None:
        self.url, self.name, self.types = url, name, types
        self.received: list[dict] = []
        self.conn: Connection | None = None

    def start(self) -> None:
        self.conn = Connection(self.url)
        self.conn.ensure_connection(max_retries=3)
        channel = self.conn.channel()
        queue = f"sub.{self.name}.live"
        channel.queue_declare(queue=queue, exclusive=True)
        for event_type in self.types:
            channel.queue_bind(queue=queue, exchange=PUBLIC_EXCHANGE, routing_key=event_type)
        channel.basic_consume(queue=queue, callback=self._on_message)
        self.channel = channel

    def _on_message(self, message) -> None:
        props = message.properties
        wire = RabbitMQMessage(headers={k: str(v) for k, v in (props.get("application_headers") or {}).items()},
                               content_type=props.get("content_type"), body=message.body)
        event = from_rabbitmq_event(wire)  # the SDK's reader of the binding: refuses what is not a CloudEvent
        body = json.loads(message.body)
        validate_public_event(body, routing_key=message.delivery_info["routing_key"])
        assert props["content_type"] == "application/cloudevents+json"
        assert event.get_id() == body["id"] == props["message_id"] and event.get_type() == body["type"]
        assert event.get_dataschema() == body["dataschema"] and event.get_data() == body["data"]
        self.received.append(body)
        self.channel.basic_ack(message.delivery_tag)

    def drain_until(self, predicate, timeout: float = 20) -> None:
        def step():
            try:
                self.conn.drain_events(timeout=0.2)
            except TimeoutError:
                pass
            return predicate()
        wait_for(step, timeout=timeout, interval=0, what="public events on the outside system's queue")

    def stop(self) -> None:
        self.conn.release()  # the exclusive queue goes with the connection: what follows is missed


def feed(gateway, key: str | None, **params) -> object:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return gateway.get("/api/v1/events", query_string=params, headers=headers)


@pytest.fixture
def onboarded(capsys, services, rabbit, monkeypatch):
    monkeypatch.setenv("AMQP_URI", rabbit.amqp_uri)
    name = f"siasn-{uuid.uuid4().hex[:6]}"
    code, out, err = cli(capsys, "subscribers", "add", name, "--types", CHANGED, UNIT)
    assert code == 0, err
    yield name, json.loads(out)
    assert cli(capsys, "subscribers", "remove", name)[0] == 0


def test_an_outside_system_reads_catches_up_and_misses_nothing(onboarded, rpc, sync_db, gateway, rabbit):
    name, account = onboarded
    assert account["types"] == [CHANGED, UNIT] and account["amqp"]["vhost"] == "ekinerja-public"
    key = account["replay"]["api_key"]
    internal = Subscriber(rabbit.amqp_uri, "ekinerja.*.upserted.v1")  # what e-Kinerja itself announced
    outside = Outside(account["amqp"]["url"], name, [CHANGED, UNIT])
    outside.start()
    try:
        rpc.sync.import_records(names(base_payload(), "a"))
        outside.drain_until(lambda: len(outside.received) >= 3)
        live_before = list(outside.received)
        assert {e["type"] for e in live_before} == {CHANGED, UNIT}
        assert all("nik" not in e["data"] and "email" not in e["data"] for e in live_before)
        last_live = live_before[-1]["id"]

        outside.stop()  # down: these are missed on the exchange
        rpc.sync.import_records(names(base_payload(), "b"))
        rpc.sync.import_records(names(base_payload(), "c"))

        expected = set()
        while len(expected) < 9:  # 3 imports x (2 units + 1 employee)
            event = internal.next()
            expected.add(public_id(event["id"], CHANGED if event["type"].startswith("ekinerja.employee") else UNIT))
        assert {e["id"] for e in live_before} <= expected

        outside = Outside(account["amqp"]["url"], name, [CHANGED, UNIT])
        outside.start()  # bound first: what happens from now on waits in the queue
        rpc.sync.import_records(names(base_payload(), "d"))  # while catching up: in the feed and the queue
        while len(expected) < 12:
            event = internal.next()
            expected.add(public_id(event["id"], CHANGED if event["type"].startswith("ekinerja.employee") else UNIT))

        replayed, cursors, params = [], [], {"after_id": last_live, "limit": 2}
        def logged(after_id: str) -> list:
            # The log follows the exchange: the last event seen live may not be logged yet (410).
            page = feed(gateway, key, after_id=after_id, limit=1000)
            return page.get_json()["events"] if page.status_code == 200 else []

        wait_for(lambda: len(logged(last_live)) >= 6, timeout=20, what="the missed events in the replay log")
        while True:  # paged, each page from the cursor the last one gave
            page = feed(gateway, key, **params)
            assert page.status_code == 200, page.get_json()
            body = page.get_json()
            for item in body["events"]:
                validate_public_event(item["event"])
                replayed.append(item["event"])
                cursors.append(int(item["cursor"]))
            if not body["has_more"]:
                break
            params = {"after": body["next_after"], "limit": 2}
        assert len(replayed) >= 6 and cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
        assert len({e["id"] for e in replayed}) == len(replayed), "the feed doubled an event"
        assert not {e["id"] for e in replayed} & {e["id"] for e in live_before}, "the feed began before the cursor"

        def seen() -> set[str]:
            return {e["id"] for e in live_before} | {e["id"] for e in replayed} | {e["id"] for e in outside.received}

        outside.drain_until(lambda: seen() >= expected, timeout=20)
        assert seen() == expected, "an event was lost (or one came that e-Kinerja did not announce)"
        assert len(outside.received) == len({e["id"] for e in outside.received}), "the queue doubled an event"
        assert {e["type"] for e in outside.received} <= {CHANGED, UNIT}
    finally:
        outside.conn.release()
        internal.close()


def test_the_feed_refuses_what_the_key_does_not_allow(onboarded, gateway):
    _, account = onboarded
    key = account["replay"]["api_key"]
    assert feed(gateway, None).status_code == 401
    refused = feed(gateway, "ekev_" + "x" * 43)
    assert refused.status_code == 401 and refused.get_json()["code"] == "subscriber-key-invalid"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    forbidden = feed(gateway, key, types=f"{UNIT},{CONTACT}")
    assert forbidden.status_code == 403 and forbidden.get_json()["not_granted"] == [CONTACT]
    bad = feed(gateway, key, after="-1")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "after"
    assert feed(gateway, key, after_id=str(uuid.uuid4())).get_json()["code"] == "event-not-kept"
    assert feed(gateway, key, after="999999999999").get_json()["errors"][0]["rule"] == "cursor-unknown"


def test_a_subscriber_account_can_do_nothing_but_bind_its_granted_types(onboarded, rabbit):
    name, account = onboarded
    url = account["amqp"]["url"]
    with pytest.raises((AccessRefused, NotAllowed, OperationalError)):  # the internal vhost
        with Connection(url.rsplit("/", 1)[0] + "/") as conn:
            conn.ensure_connection(max_retries=1)
            conn.channel()

    def refused(action) -> None:
        with Connection(url) as conn:
            channel = conn.channel()
            with pytest.raises(AccessRefused):
                action(channel)

    own = f"sub.{name}.probe"
    refused(lambda ch: ch.queue_declare(queue="harian.events", passive=False))  # not its name
    refused(lambda ch: ch.basic_consume(queue="events.log", callback=lambda m: None))  # the service's queue
    refused(lambda ch: (ch.queue_declare(queue=own, exclusive=True),
                        ch.queue_bind(queue=own, exchange=PUBLIC_EXCHANGE, routing_key=CONTACT)))  # not granted
    refused(lambda ch: (ch.queue_declare(queue=own, exclusive=True),
                        ch.queue_bind(queue=own, exchange=PUBLIC_EXCHANGE, routing_key="ekinerja.public.#")))
    # Confirmed, the publish waits for the broker's answer (else the refusal closes the channel later).
    refused(lambda ch: ch.basic_publish_confirm(_message(), exchange=PUBLIC_EXCHANGE, routing_key=UNIT))
    with Connection(url) as conn:  # what it may do
        channel = conn.channel()
        channel.queue_declare(queue=own, exclusive=True)
        channel.queue_bind(queue=own, exchange=PUBLIC_EXCHANGE, routing_key=UNIT)


def _message():
    from amqp import Message

    return Message(b"{}", content_type="application/json")


class Receiver:
    """A webhook endpoint: refuses the first `failures` tries of each event, then accepts."""

    def __init__(self, failures: int, always_fail: bool = False) -> None:
        self.calls: list[tuple[dict, bytes]] = []
        self.failures, self.always_fail = failures, always_fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                tries = sum(1 for h, _ in outer.calls if h["webhook-id"] == self.headers["webhook-id"])
                ok = not outer.always_fail and tries > outer.failures
                self.send_response(204 if ok else 503)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_webhooks_are_signed_retried_and_a_dead_one_is_disabled_with_its_owner_told(
        capsys, services, rpc, sync_db, mailbox, monkeypatch, rabbit):
    monkeypatch.setenv("AMQP_URI", rabbit.amqp_uri)
    monkeypatch.setenv("WEBHOOK_RETRY_SECONDS", "0.5,0.5,0.5,0.5,0.5,0.5")
    monkeypatch.setenv("WEBHOOK_DISABLE_AFTER_SECONDS", "4")
    good, dead = Receiver(failures=2), Receiver(failures=0, always_fail=True)
    tag = uuid.uuid4().hex[:6]
    try:
        code, out, err = cli(capsys, "webhooks", "add", f"payroll-{tag}", "--url", good.url, "--types", UNIT,
                             "--owner-email", "ops@payroll.go.id")
        assert code == 0, err
        secret = json.loads(out)["secret"]
        assert cli(capsys, "webhooks", "add", f"gone-{tag}", "--url", dead.url, "--types", UNIT,
                   "--owner-email", f"owner-{tag}@daerah.go.id")[0] == 0

        rpc.sync.import_records(names(base_payload(), f"w{tag}"))  # two unit.changed

        def tries() -> dict[str, int]:
            found: dict[str, int] = {}
            for headers, _ in good.calls:
                found[headers["webhook-id"]] = found.get(headers["webhook-id"], 0) + 1
            return found

        wait_for(lambda: len(tries()) == 2 and set(tries().values()) == {3}, timeout=30,
                 what="each event tried three times, the third accepted")
        verifier = Webhook(secret)
        for headers, body in good.calls:
            event = verifier.verify(body, headers)  # raises unless signed with the subscription's secret
            validate_public_event(event)
            assert headers["webhook-id"] == event["id"] and event["type"] == UNIT
            assert headers["content-type"].startswith("application/cloudevents+json")
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=").verify(good.calls[0][1], good.calls[0][0])
        tampered = dict(good.calls[0][0])
        with pytest.raises(WebhookVerificationError):
            verifier.verify(good.calls[0][1].replace(b"unit", b"unyt"), tampered)

        def listed() -> dict:
            code, out, _ = cli(capsys, "webhooks", "list", "--json")
            return {h["name"]: h for h in json.loads(out)}

        wait_for(lambda: listed()[f"payroll-{tag}"]["deliveries"]["delivered"] == 2, timeout=10, what="delivered")
        wait_for(lambda: listed()[f"gone-{tag}"]["state"] == "disabled", timeout=30, what="the dead one disabled")
        assert listed()[f"payroll-{tag}"]["state"] == "active"
        code, out, _ = cli(capsys, "webhooks", "deliveries", f"gone-{tag}", "--json")
        tried = json.loads(out)
        assert tried and all(d["last_status"] == 503 and d["attempts"] >= 1 for d in tried)
        wait_for(lambda: mailbox.messages(to=f"owner-{tag}@daerah.go.id"), timeout=20, what="the owner's mail")
        from prometheus_client import REGISTRY  # the events service runs in this process

        assert REGISTRY.get_sample_value("ekinerja_webhook_deliveries_total",
                                         {"webhook": f"payroll-{tag}", "outcome": "delivered"}) == 2
        assert REGISTRY.get_sample_value("ekinerja_webhook_deliveries_total",
                                         {"webhook": f"payroll-{tag}", "outcome": "retry"}) == 4
        assert REGISTRY.get_sample_value("ekinerja_webhook_disabled", {"webhook": f"gone-{tag}"}) == 1
    finally:
        for hook in (f"payroll-{tag}", f"gone-{tag}"):
            cli(capsys, "webhooks", "remove", hook)
        good.close()
        dead.close()
