"""One setting for the type of every durable queue: EKINERJA_QUEUE_TYPE, read when a queue is declared."""

import copy

import pytest

from ekinerja_kernel.bus import HARIAN_SUBMISSIONS, DurableQueue, command_queue, queue_type
from ekinerja_kernel.deadletter import dead_queue
from ekinerja_kernel.service import event_queue


def test_classic_is_the_default_and_adds_nothing(monkeypatch):
    monkeypatch.delenv("EKINERJA_QUEUE_TYPE", raising=False)

    assert queue_type() == "classic"
    assert HARIAN_SUBMISSIONS.queue_arguments == {}


def test_quorum_applies_to_queues_made_before_it_was_set(monkeypatch):
    made_earlier = [HARIAN_SUBMISSIONS, event_queue("harian", "ekinerja.employee.#"), dead_queue("harian.events"),
                    command_queue("x.commands", "ekinerja.x.v1")]
    monkeypatch.setenv("EKINERJA_QUEUE_TYPE", "Quorum")

    for queue in made_earlier:
        assert queue.durable and queue.queue_arguments == {"x-queue-type": "quorum"}, queue.name
        assert copy.copy(queue).queue_arguments == {"x-queue-type": "quorum"}  # what binding to a channel does


def test_a_queue_keeps_its_own_arguments_beside_the_type(monkeypatch):
    monkeypatch.setenv("EKINERJA_QUEUE_TYPE", "quorum")
    queue = DurableQueue("q", queue_arguments={"x-dead-letter-exchange": "ekinerja.dead", "x-queue-type": "classic"})

    assert queue.queue_arguments == {"x-dead-letter-exchange": "ekinerja.dead", "x-queue-type": "quorum"}
    monkeypatch.setenv("EKINERJA_QUEUE_TYPE", "classic")
    assert queue.queue_arguments == {"x-dead-letter-exchange": "ekinerja.dead"}


def test_another_type_is_refused(monkeypatch):
    monkeypatch.setenv("EKINERJA_QUEUE_TYPE", "stream")

    with pytest.raises(ValueError, match="classic or quorum"):
        queue_type()
