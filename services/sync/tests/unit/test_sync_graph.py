"""Supervision / unit-tree graph rules: no self-loops, no loops, parents before children."""

import pytest

from sync.domain.graph import creates_cycle, dependency_order


def links(mapping):
    """supervisor_of over a fixed dict, recording every lookup."""
    calls = []

    def supervisor_of(key):
        calls.append(key)
        return mapping.get(key)

    supervisor_of.calls = calls
    return supervisor_of


# --- creates_cycle ---------------------------------------------------------------------------

def test_no_supervisor_never_loops():
    assert creates_cycle("a", None, links({})) is False


def test_supervising_yourself_is_a_cycle():
    assert creates_cycle("a", "a", links({})) is True


def test_two_step_loop_is_detected():
    # b already reports to a; making b a's supervisor closes a -> b -> a
    assert creates_cycle("a", "b", links({"b": "a"})) is True


def test_loop_closing_at_the_top_of_a_long_chain_is_detected():
    chain = {f"e{i}": f"e{i + 1}" for i in range(50)}  # e0 -> e1 -> ... -> e50
    assert creates_cycle("e50", "e0", links(chain)) is True


def test_long_chain_without_loop_is_fine_and_walked_to_the_top():
    chain = {f"e{i}": f"e{i + 1}" for i in range(50)}
    lookup = links(chain)
    assert creates_cycle("new", "e0", lookup) is False
    assert lookup.calls[-1] == "e50"  # walked all the way up, not stopped early


def test_unrelated_existing_loop_above_is_not_blamed_on_the_new_link():
    # x and y already supervise each other (bad stored data); putting "a" under x adds no new loop
    lookup = links({"x": "y", "y": "x"})
    assert creates_cycle("a", "x", lookup) is False


def test_moving_within_a_tree_without_closing_a_loop():
    # boss <- mid <- staff; moving staff directly under boss is fine
    assert creates_cycle("staff", "boss", links({"staff": "mid", "mid": "boss"})) is False
    # but moving boss under staff closes boss -> staff -> mid -> boss
    assert creates_cycle("boss", "staff", links({"staff": "mid", "mid": "boss"})) is True


# --- dependency_order ------------------------------------------------------------------------

def test_without_dependencies_input_order_is_kept():
    ordered, stuck = dependency_order([("c", None), ("a", None), ("b", None)])
    assert ordered == ["c", "a", "b"]
    assert stuck == []


def test_supervisor_listed_later_is_placed_before_its_subordinate():
    ordered, stuck = dependency_order([("staff", "boss"), ("boss", None)])
    assert ordered == ["boss", "staff"]
    assert stuck == []


def test_chain_listed_bottom_up_comes_out_top_down():
    ordered, stuck = dependency_order([("e3", "e2"), ("e2", "e1"), ("e1", None), ("x", None)])
    assert ordered.index("e1") < ordered.index("e2") < ordered.index("e3")
    assert sorted(ordered) == ["e1", "e2", "e3", "x"]
    assert stuck == []


def test_unrelated_rows_keep_their_relative_order_around_a_reordered_pair():
    ordered, _ = dependency_order([("a", None), ("sub", "boss"), ("b", None), ("boss", None), ("c", None)])
    assert ordered == ["a", "b", "boss", "sub", "c"]


def test_loop_of_two_is_stuck():
    ordered, stuck = dependency_order([("a", "b"), ("b", "a"), ("c", None)])
    assert ordered == ["c"]
    assert sorted(stuck) == ["a", "b"]


def test_loop_of_three_is_stuck():
    ordered, stuck = dependency_order([("a", "b"), ("b", "c"), ("c", "a"), ("d", None)])
    assert ordered == ["d"]
    assert stuck == ["a", "b", "c"]  # in input order


def test_dependencies_on_keys_outside_the_set_are_ignored():
    ordered, stuck = dependency_order([("a", "stored-elsewhere"), ("b", "a")])
    assert ordered == ["a", "b"]
    assert stuck == []


def test_every_key_is_either_ordered_or_stuck_exactly_once():
    items = [("a", "b"), ("b", "a"), ("c", "d"), ("d", None), ("e", "zz")]
    ordered, stuck = dependency_order(items)
    assert sorted(ordered + stuck) == ["a", "b", "c", "d", "e"]
    assert not set(ordered) & set(stuck)


@pytest.mark.parametrize("items", [[("a", "a")], [("a", "a"), ("b", "a")]])
def test_self_dependency_does_not_leave_a_key_stuck(items):
    ordered, stuck = dependency_order(items)
    assert stuck == []
    assert ordered == [k for k, _ in items]
