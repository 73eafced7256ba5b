"""The retry/park decision of a consumer: a message that fails every try is parked with its error, an
outage is waited out without counting against the message, and a failing batch is split so its good
messages are stored."""

import datetime as dt

import pytest

from ekinerja_kernel import deadletter
from ekinerja_kernel.deadletter import Attempts, Step, settle_batch

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_a_message_is_tried_again_until_its_last_try_then_parked():
    attempts = Attempts.of({}, limit=5)
    steps = [attempts.failed(ValueError(f"bad {i}"), healthy=True, now=at(i)) for i in range(5)]
    assert steps == [Step.RETRY] * 4 + [Step.PARK]
    assert attempts.tries == 5
    assert attempts.first_failed_at == at(0) and attempts.last_failed_at == at(4)
    assert (attempts.error_type, attempts.error) == ("ValueError", "bad 4")


def test_a_limit_of_one_parks_at_the_first_failure():
    assert Attempts.of({}, limit=1).failed(KeyError("nip"), healthy=True) is Step.PARK


def test_deliveries_the_broker_counted_are_tries():
    """A quorum queue's x-delivery-count: earlier deliveries that ended without an ack (the consumer
    crashed, its connection dropped) count, so a message that kills its consumer ends parked too."""
    attempts = Attempts.of({"x-delivery-count": 3}, limit=5)
    assert attempts.tries == 3
    assert attempts.failed(RuntimeError(), healthy=True) is Step.RETRY
    assert attempts.failed(RuntimeError(), healthy=True) is Step.PARK


@pytest.mark.parametrize("headers", [None, {}, {"x-delivery-count": "x"}, {"x-delivery-count": -2}])
def test_a_message_without_a_usable_delivery_count_starts_at_zero(headers):
    assert Attempts.of(headers, limit=5).tries == 0


def test_an_outage_is_waited_out_and_never_counted_against_the_message():
    attempts = Attempts.of({}, limit=2)
    for _ in range(10):
        assert attempts.failed(ConnectionError("database gone"), healthy=False) is Step.WAIT
    assert attempts.tries == 0 and attempts.first_failed_at is None
    assert attempts.pause(Step.WAIT, base=0.2) == 30.0  # capped: it keeps looking while it waits
    assert attempts.failed(ValueError(), healthy=True) is Step.RETRY


def test_the_pause_between_tries_grows():
    attempts = Attempts.of({}, limit=10)
    pauses = []
    for _ in range(4):
        attempts.failed(ValueError(), healthy=True)
        pauses.append(attempts.pause(Step.RETRY, base=0.2))
    assert pauses == pytest.approx([0.2, 0.4, 0.8, 1.6])


def test_the_parked_copy_carries_the_error_the_tries_and_where_it_came_from():
    attempts = Attempts.of({}, limit=2)
    attempts.failed(UnicodeEncodeError("utf-8", "x\ud800", 1, 2, "surrogates not allowed"), healthy=True, now=at(0))
    attempts.failed(UnicodeEncodeError("utf-8", "x\ud800", 1, 2, "surrogates not allowed"), healthy=True, now=at(3))
    headers = attempts.headers("harian.submissions", "harian",
                               {"exchange": "ekinerja.commands", "routing_key": "ekinerja.harian.submit.v1"})
    assert headers == {
        "ekinerja-dead-queue": "harian.submissions",
        "ekinerja-dead-service": "harian",
        "ekinerja-dead-exchange": "ekinerja.commands",
        "ekinerja-dead-routing-key": "ekinerja.harian.submit.v1",
        "ekinerja-dead-error-type": "UnicodeEncodeError",
        "ekinerja-dead-error": "'utf-8' codec can't encode character '\\ud800' in position 1: surrogates not allowed",
        "ekinerja-dead-tries": 2,
        "ekinerja-dead-first-failure": at(0).isoformat(),
        "ekinerja-dead-last-failure": at(3).isoformat(),
    }
    for value in headers.values():  # an AMQP header is UTF-8 on the wire
        str(value).encode("utf-8")


def test_an_error_message_is_made_encodable_and_kept_short():
    kind, message = deadletter.describe(ValueError("bad \ud800 text " + "x" * 5000))
    assert kind == "ValueError"
    message.encode("utf-8")
    assert message.startswith("bad \\ud800 text") and len(message) <= deadletter.MAX_ERROR_CHARS
    assert deadletter.describe(KeyError("nip")) == ("KeyError", "'nip'")
    assert deadletter.describe(RuntimeError()) == ("RuntimeError", "")


def test_a_replayed_copy_loses_what_the_parking_added_and_keeps_the_rest():
    headers = {"ekinerja-dead-queue": "harian.events", "ekinerja-dead-tries": 5, "x-death": [{"count": 1}],
               "x-first-death-queue": "harian.events", "nameko.request_id": "r-1", "x-delivery-count": 4}
    assert deadletter.replay_headers(headers) == {"nameko.request_id": "r-1", "ekinerja-replays": 1}
    assert deadletter.replay_headers({"ekinerja-replays": 1})["ekinerja-replays"] == 2


def test_dead_queues_are_named_after_their_queue():
    queue = deadletter.dead_queue("harian.events")
    assert queue.name == "harian.events.dead" and queue.routing_key == "harian.events" and queue.durable
    assert queue.exchange.name == deadletter.DEAD_LETTER_EXCHANGE
    assert deadletter.source_queue("harian.events.dead") == deadletter.source_queue("harian.events") == "harian.events"


def test_where_a_parked_message_goes_back_to():
    assert deadletter.replay_target("skp.events.dead", {"ekinerja-dead-queue": "skp.events"}) == "skp.events"
    # parked by the broker itself (a quorum queue's delivery limit, with the dead-letter policy)
    assert deadletter.replay_target("skp.events.dead", {"x-first-death-queue": "skp.events"}) == "skp.events"
    assert deadletter.replay_target("skp.events.dead", {}) == "skp.events"


@pytest.mark.parametrize("value, expected", [(None, 5), ("3", 3), ("0", 1), ("-4", 1)])
def test_the_number_of_tries_comes_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("DEAD_LETTER_TRIES", raising=False)
    else:
        monkeypatch.setenv("DEAD_LETTER_TRIES", value)
    assert deadletter.max_tries() == expected


# --- a batch with a poison message ------------------------------------------------------------------

class Store:
    """Stores a batch in one go, like one transaction; any poison item sinks the whole batch."""

    def __init__(self, poison=(), flaky=()):
        self.poison, self.flaky = set(poison), {f: 1 for f in flaky}
        self.stored, self.calls = [], []

    def __call__(self, batch):
        self.calls.append(list(batch))
        for item in batch:
            if item in self.poison:
                raise ValueError(f"cannot store {item}")
            if self.flaky.get(item):
                self.flaky[item] -= 1
                raise ValueError(f"{item} failed this once")
        self.stored.extend(batch)


def settle(store, items, limit=5, healthy=lambda: True, pauses=None):
    return settle_batch(items, store, lambda item: Attempts.of({}, limit), healthy,
                        sleep=(pauses.append if pauses is not None else lambda s: None), pause=0.2)


def test_a_good_batch_is_stored_in_one_go():
    store = Store()
    assert settle(store, list(range(300))) == []
    assert store.stored == list(range(300)) and len(store.calls) == 1


def test_one_poison_message_does_not_sink_its_batch():
    store, pauses = Store(poison={7}), []
    failed = settle(store, list(range(300)), pauses=pauses)
    assert sorted(store.stored) == [i for i in range(300) if i != 7]
    assert [(item, a.tries, a.error) for item, a in failed] == [(7, 5, "cannot store 7")]
    assert sum(1 for c in store.calls if c == [7]) == 5  # tried alone, each try counted
    assert len(store.calls) < 40  # halving, not one by one
    assert pauses == pytest.approx([0.2, 0.4, 0.8, 1.6])


def test_several_poison_messages_share_the_pauses():
    store, pauses = Store(poison={1, 50, 299}), []
    failed = settle(store, list(range(300)), pauses=pauses)
    assert sorted(item for item, _ in failed) == [1, 50, 299]
    assert len(store.stored) == 297 and len(pauses) == 4  # one pause per round, not per message


def test_a_message_that_fails_once_is_stored_on_its_next_try():
    store = Store(flaky={3})
    assert settle(store, [1, 2, 3, 4]) == []
    assert sorted(store.stored) == [1, 2, 3, 4]


def test_an_outage_parks_nothing():
    """The database is down: every batch fails, and that is no message's fault."""
    store = Store(poison={1, 2, 3})
    with pytest.raises(ValueError):
        settle(store, [1, 2, 3], healthy=lambda: False)
    assert len(store.calls) == 1  # no halving against a database that does not answer


def test_an_outage_during_the_tries_parks_nothing():
    store, health = Store(poison={2}), iter([True, True, True, False])
    with pytest.raises(ValueError):
        settle(store, [1, 2, 3], healthy=lambda: next(health))
    assert 2 not in store.stored


def test_a_probe_that_raises_means_an_outage():
    def probe():
        raise ConnectionError("no route to the database")

    with pytest.raises(ValueError):
        settle(Store(poison={1}), [1], healthy=probe)


# -- which queues the operator's CLI lists and declares ------------------------------------------

def test_the_consuming_queues_are_the_services_declared_handlers_and_harians_submissions():
    queues = deadletter.consuming_queues()

    # Read from each service's nameko class: the monitoring read models' own queues are there, and
    # the events service (no event handler: its log queue is on the public vhost) names none.
    assert sorted(queues) == sorted([
        "identity.events", "sync.events", "skp.events", "skp-monitoring.events", "harian.events",
        "harian-monitoring.events", "tukin.events", "tukin-monitoring.events", "harian.submissions"])
    assert not any(q.startswith("events.") for q in queues)


def test_a_service_is_read_from_its_own_module_and_a_missing_one_is_named():
    import types

    from ekinerja_kernel.service import ServiceBase, event_queue, handle_event

    class Probe(ServiceBase):
        name = "probe"

        @handle_event(event_queue("probe", "ekinerja.unit.#"))
        def on_unit(self, event):
            pass

        @handle_event(event_queue("probe-audit", "ekinerja.employee.#"))
        def on_employee(self, event):
            pass

    class Quiet(ServiceBase):
        name = "quiet"

    modules = {"probe.service": types.ModuleType("probe.service"), "quiet.service": types.ModuleType("quiet.service")}
    Probe.__module__, Quiet.__module__ = "probe.service", "quiet.service"
    modules["probe.service"].Probe = Probe
    modules["quiet.service"].Quiet = Quiet

    def load(name):
        if name not in modules:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return modules[name]

    assert sorted(deadletter.consuming_queues(("probe", "quiet"), load=load)) == ["probe-audit.events", "probe.events"]
    with pytest.raises(LookupError, match="absent"):
        deadletter.consuming_queues(("probe", "absent"), load=load)
