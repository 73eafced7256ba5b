"""The roll-up read model on a real SQLite file: contributions become deltas at commit, on the leaf and
every ancestor; touching twice counts once; a rolled-back savepoint counts nothing; a unit that moves
takes its subtree's totals along; a rebuild equals what the deltas made."""

from collections import Counter

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update

from ekinerja_kernel import rollup
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.rollup import Contribution, agency_node, unit_node


@pytest.fixture
def world(sqlite_db):
    metadata = MetaData()
    facts = Table("facts", metadata, Column("id", String(8), primary_key=True), Column("agency_id", String(8)),
                  Column("unit_id", String(8), nullable=True), Column("year", Integer), Column("state", String(8)))
    tree = rollup.define_tree(metadata)
    counts = rollup.define_aggregate(metadata, "agg_counts", [Column("year", Integer)], ("draft", "done"))
    own = rollup.define_aggregate(metadata, "agg_own", [Column("year", Integer)], ("done",), rolled=False)
    r = rollup.Rollup(tree)
    r.add(counts)
    r.add(own)

    def read(s, ids):
        found = {}
        for row in s.execute(select(facts).where(facts.c.id.in_(ids))):
            found[row.id] = [Contribution(counts, row.agency_id, row.unit_id, (row.year,), {row.state: 1})]
            if row.state == "done":
                found[row.id].append(Contribution(own, row.agency_id, row.unit_id, (row.year,), {"done": 1}))
        return found

    tracker = r.tracker("facts", read)
    factory = sqlite_db(metadata)
    with unit_of_work(factory) as s:
        # a ministry: root R with children A (with child A1) and B
        for unit, parent in (("R", None), ("A", "R"), ("A1", "A"), ("B", "R")):
            r.place_unit(s, unit, "min", parent, f"Unit {unit}", "unit")
    return factory, facts, tracker, r, counts, own


def put(factory, facts, tracker, ident, unit, state, year=2026):
    with unit_of_work(factory) as s:
        tracker.touch(s, [ident])
        if s.execute(select(facts.c.id).where(facts.c.id == ident)).first():
            s.execute(update(facts).where(facts.c.id == ident).values(unit_id=unit, state=state))
        else:
            s.execute(insert(facts).values(id=ident, agency_id="min", unit_id=unit, year=year, state=state))


def totals(factory, r, agg, node, year=2026):
    with factory() as s:
        return r.sums(s, agg, [node], agg.table.c.year == year).get(node, Counter())


def test_a_fact_counts_at_its_unit_and_every_ancestor_up_to_the_agency(world):
    factory, facts, tracker, r, counts, own = world
    put(factory, facts, tracker, "f1", "A1", "draft")
    for node in (unit_node("A1"), unit_node("A"), unit_node("R"), agency_node("min")):
        assert totals(factory, r, counts, node) == Counter(draft=1)
    assert totals(factory, r, counts, unit_node("B")) == Counter()


def test_a_change_moves_the_count_and_a_repeated_change_counts_once(world):
    factory, facts, tracker, r, counts, own = world
    put(factory, facts, tracker, "f1", "A1", "draft")
    put(factory, facts, tracker, "f1", "A1", "done")
    put(factory, facts, tracker, "f1", "A1", "done")  # the same again: no delta
    assert totals(factory, r, counts, agency_node("min")) == Counter(done=1)
    assert totals(factory, r, own, unit_node("A1")) == Counter(done=1)
    assert totals(factory, r, own, unit_node("A")) == Counter()  # not rolled up


def test_moving_a_fact_to_another_unit_moves_it_between_subtrees(world):
    factory, facts, tracker, r, counts, own = world
    put(factory, facts, tracker, "f1", "A1", "done")
    put(factory, facts, tracker, "f1", "B", "done")
    assert totals(factory, r, counts, unit_node("A")) == Counter()
    assert totals(factory, r, counts, unit_node("B")) == Counter(done=1)
    assert totals(factory, r, counts, unit_node("R")) == Counter(done=1)


def test_a_rolled_back_transaction_or_savepoint_adds_nothing(world):
    factory, facts, tracker, r, counts, own = world
    with pytest.raises(RuntimeError), unit_of_work(factory) as s:
        tracker.touch(s, ["f1"])
        s.execute(insert(facts).values(id="f1", agency_id="min", unit_id="A", year=2026, state="done"))
        raise RuntimeError("refused")
    with unit_of_work(factory) as s:
        try:
            with s.begin_nested():
                tracker.touch(s, ["f2"])
                s.execute(insert(facts).values(id="f2", agency_id="min", unit_id="A", year=2026, state="done"))
                raise ValueError("one submission fails")
        except ValueError:
            pass
        with s.begin_nested():
            tracker.touch(s, ["f3"])
            s.execute(insert(facts).values(id="f3", agency_id="min", unit_id="B", year=2026, state="draft"))
    assert totals(factory, r, counts, agency_node("min")) == Counter(draft=1)


def test_a_unit_it_meets_before_its_event_waits_under_its_agency_and_then_moves_with_its_totals(world):
    factory, facts, tracker, r, counts, own = world
    put(factory, facts, tracker, "f1", "X", "done")
    with factory() as s:
        assert r.node(s, unit_node("X")).known is False
        assert r.node(s, unit_node("X")).parent == agency_node("min")
    with unit_of_work(factory) as s:
        assert r.place_unit(s, "X", "min", "A1", "Unit X", "unit") == "moved"
    for node in (unit_node("X"), unit_node("A1"), unit_node("A"), unit_node("R"), agency_node("min")):
        assert totals(factory, r, counts, node) == Counter(done=1), node
    with factory() as s:
        assert [p.node for p in r.path(s, unit_node("X"))] == [agency_node("min"), unit_node("R"), unit_node("A"),
                                                                unit_node("A1"), unit_node("X")]


def test_moving_a_subtree_takes_its_totals_and_descendants_along(world):
    factory, facts, tracker, r, counts, own = world
    put(factory, facts, tracker, "f1", "A1", "done")
    put(factory, facts, tracker, "f2", "A", "draft")
    with unit_of_work(factory) as s:
        assert r.place_unit(s, "A", "min", "B", "Unit A", "unit") == "moved"
    assert totals(factory, r, counts, unit_node("B")) == Counter(done=1, draft=1)
    assert totals(factory, r, counts, unit_node("R")) == Counter(done=1, draft=1)
    put(factory, facts, tracker, "f3", "A1", "done")  # later facts follow the new ancestors
    assert totals(factory, r, counts, unit_node("B")) == Counter(done=2, draft=1)
    with factory() as s:
        assert [p.node for p in r.path(s, unit_node("A1"))][:3] == [agency_node("min"), unit_node("R"), unit_node("B")]
        assert r.place_unit(s, "B", "min", "A1", "Unit B", "unit") == "refused-cycle"


def test_moving_a_unit_to_another_agency_moves_its_totals_there(world):
    factory, facts, tracker, r, counts, own = world
    put(factory, facts, tracker, "f1", "A1", "done")
    with unit_of_work(factory) as s:
        r.place_unit(s, "A", "pemda", None, "Unit A", "unit")
    assert totals(factory, r, counts, agency_node("min")) == Counter()
    assert totals(factory, r, counts, agency_node("pemda")) == Counter(done=1)
    with factory() as s:
        assert r.node(s, unit_node("A1")).agency_id == "pemda"


def test_rebuild_and_expected_agree_with_the_deltas(world):
    factory, facts, tracker, r, counts, own = world
    for i, (unit, state) in enumerate([("A1", "done"), ("A", "draft"), ("B", "done"), (None, "draft")]):
        put(factory, facts, tracker, f"f{i}", unit, state)

    def grouped(s):
        for row in s.execute(select(facts)):
            yield row.agency_id, row.unit_id, (row.year,), {row.state: 1}

    with factory() as s:
        by_deltas = r.stored(s, counts)
        assert r.expected(s, counts, grouped(s)) == by_deltas
        assert by_deltas[(agency_node("min"), (2026,))] == Counter(done=2, draft=2)
    with unit_of_work(factory) as s:
        s.execute(update(counts.table).values(done=99))  # corrupted
    with unit_of_work(factory) as s:
        r.rebuild(s, counts, list(grouped(s)))
    with factory() as s:
        assert r.stored(s, counts) == by_deltas
