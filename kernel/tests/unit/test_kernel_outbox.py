"""Transactional outbox on a real SQLite file: written with the change, relayed in order, never lost."""

import json

import pytest
from sqlalchemy import MetaData, select

from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.logs import set_request_id
from ekinerja_kernel.outbox import Outbox, define_outbox


@pytest.fixture
def setup(sqlite_db):
    metadata = MetaData()
    table = define_outbox(metadata)
    return sqlite_db(metadata), Outbox(table, "kerneltest")


def add_three(factory, outbox):
    with unit_of_work(factory) as session:
        return [outbox.add(session, "unit.upserted", f"u{i}", {"n": i}) for i in range(3)]


def pending(factory, outbox):
    with factory() as session:
        return outbox.pending_count(session)


def test_rolled_back_transaction_leaves_nothing_pending(setup):
    factory, outbox = setup
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        outbox.add(session, "unit.upserted", "u1", {"n": 1})
        raise RuntimeError("the change failed")
    assert pending(factory, outbox) == 0
    with factory() as session:
        assert session.execute(select(outbox.table)).all() == []


def test_added_event_is_stored_as_a_full_envelope(setup):
    factory, outbox = setup
    envelope = add_three(factory, outbox)[0]
    with factory() as session:
        row = session.execute(select(outbox.table).order_by(outbox.table.c.seq)).mappings().first()
    assert row["id"] == envelope["id"]
    assert row["type"] == "ekinerja.unit.upserted.v1"
    assert row["published_at"] is None
    assert json.loads(row["body"]) == envelope
    assert envelope["source"] == "/ekinerja/kerneltest"


def test_committed_events_are_published_in_insertion_order_and_marked(setup):
    factory, outbox = setup
    first = add_three(factory, outbox)
    with unit_of_work(factory) as session:
        later = outbox.add(session, "unit.upserted", "u3", {"n": 3})
    assert pending(factory, outbox) == 4

    published = []
    with unit_of_work(factory) as session:
        assert outbox.relay_batch(session, published.append) == 4

    assert [e["subject"] for e in published] == ["u0", "u1", "u2", "u3"]
    assert [e["id"] for e in published] == [e["id"] for e in first] + [later["id"]]
    assert pending(factory, outbox) == 0
    with factory() as session:
        assert all(row.published_at is not None for row in session.execute(select(outbox.table)))

    again = []
    with unit_of_work(factory) as session:
        assert outbox.relay_batch(session, again.append) == 0
    assert again == []


def test_relay_respects_the_batch_limit(setup):
    factory, outbox = setup
    add_three(factory, outbox)
    published = []
    with unit_of_work(factory) as session:
        assert outbox.relay_batch(session, published.append, limit=2) == 2
    assert [e["subject"] for e in published] == ["u0", "u1"]
    assert pending(factory, outbox) == 1
    with unit_of_work(factory) as session:
        assert outbox.relay_batch(session, published.append) == 1
    assert [e["subject"] for e in published] == ["u0", "u1", "u2"]


def test_failing_publish_leaves_every_row_pending_and_nothing_is_lost(setup):
    factory, outbox = setup
    envelopes = add_three(factory, outbox)
    attempted = []

    def flaky_publish(event):
        attempted.append(event["id"])
        if len(attempted) == 2:
            raise ConnectionError("broker did not confirm")

    with pytest.raises(ConnectionError), unit_of_work(factory) as session:
        outbox.relay_batch(session, flaky_publish)
    assert len(attempted) == 2
    assert pending(factory, outbox) == 3  # even the first one: its mark was rolled back with the rest

    published = []
    with unit_of_work(factory) as session:
        assert outbox.relay_batch(session, published.append) == 3
    assert [e["id"] for e in published] == [e["id"] for e in envelopes]  # same ids: consumers de-duplicate
    assert pending(factory, outbox) == 0


def test_pending_count_counts_only_unpublished_rows(setup):
    factory, outbox = setup
    assert pending(factory, outbox) == 0
    add_three(factory, outbox)
    assert pending(factory, outbox) == 3
    with unit_of_work(factory) as session:
        outbox.relay_batch(session, lambda event: None, limit=1)
    assert pending(factory, outbox) == 2


def test_request_id_of_the_current_request_travels_in_the_event(setup):
    factory, outbox = setup
    set_request_id("req-7")
    try:
        with unit_of_work(factory) as session:
            with_id = outbox.add(session, "unit.upserted", "u1", {})
    finally:
        set_request_id(None)
    with unit_of_work(factory) as session:
        without_id = outbox.add(session, "unit.upserted", "u2", {})
    published = []
    with unit_of_work(factory) as session:
        outbox.relay_batch(session, published.append)
    assert with_id["requestid"] == "req-7"
    assert published[0]["requestid"] == "req-7"
    assert "requestid" not in without_id and "requestid" not in published[1]
