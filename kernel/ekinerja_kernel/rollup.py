"""Read models rolled up the unit tree on write: what a national, agency or unit page reads without
scanning entries or employees.

Each service that keeps such a read model (harian, skp, tukin) owns, in its own database:

- the tree (`mon_nodes`): one node per agency (`a:<agency>`) and per unit (`u:<unit>`), a unit's
  parent its parent unit or, for a root unit, its agency; kept from sync's `unit.upserted`. A unit
  the service meets before its event arrives gets a placeholder under its agency, moved to its
  place when the event comes;
- the ancestors of every node, itself included (`mon_node_ancestors`, a closure table): the nodes
  a change is added to, and with `ancestor = X` the whole subtree of X in one indexed query;
- aggregates (`Aggregate`): additive counters keyed by node and something else (a date, a year,
  a month). A node's row holds the total of its whole subtree, so any page reads a handful of rows
  per node it shows, however many employees are under it.

Counters change by deltas only, computed in the transaction of the change (`Tracker`): the service
names the items a change touches (an employee-day, a plan, an agency-month), the tracker reads
each item's contribution before the change and again at commit, and the difference goes to the
item's node and every ancestor. An event handled twice, a decision repeated, a recomputation that
changes nothing: the contribution is the same before and after, the delta nothing. Deltas are
applied once per transaction, summed per row and in one sorted order, so concurrent writers of the
same rows wait for each other only at commit and never deadlock on them.

Consistency under concurrency: each tracker locks what its items depend on before reading
"before" (the service says what: e.g. the employee's read-copy row), so two transactions changing
one item see each other's result. A tree move (a unit gets another parent) takes the tree lock
exclusively while every delta writer holds it shared (PostgreSQL advisory locks; SQLite has one
writer anyway), so no delta lands on an ancestor list that is being changed.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction

from .events import utcnow

log = logging.getLogger(__name__)

AGENCY, UNIT = "agency", "unit"
NODE_LENGTH = 80
TREE_LOCK_KEY = 0x6D6F6E74  # "mont": the advisory lock of the tree, per database
CHUNK = 1000  # nodes per statement
_STATE = "ekinerja.rollup"


def agency_node(agency_id: str) -> str:
    return f"a:{agency_id}"


def unit_node(unit_id: str) -> str:
    return f"u:{unit_id}"


def leaf(agency_id: str | None, unit_id: str | None) -> str | None:
    """The node a fact of this agency and unit counts at: the unit, or the agency when it has none;
    None when it belongs to no agency (then it counts nowhere)."""
    if unit_id:
        return unit_node(unit_id)
    return agency_node(agency_id) if agency_id else None


def parse_node(node: str) -> tuple[str, str]:
    """(level, id) of a node: ("agency", "kemendemo") for "a:kemendemo"."""
    prefix, _, rest = node.partition(":")
    return (AGENCY if prefix == "a" else UNIT), rest


# --- tables -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tree:
    nodes: Table
    ancestors: Table


def define_tree(metadata: MetaData) -> Tree:
    nodes = Table(
        "mon_nodes", metadata,
        Column("node", String(NODE_LENGTH), primary_key=True),
        Column("level", String(8), nullable=False),  # agency | unit
        Column("kind", String(16), nullable=True),  # a unit's kind: unit | sekolah
        Column("agency_id", String(64), nullable=False, index=True),
        Column("unit_id", String(64), nullable=True),
        Column("parent", String(NODE_LENGTH), nullable=True, index=True),  # None for an agency
        Column("name", String(300), nullable=True),
        Column("known", Boolean, nullable=False),  # False: a placeholder under its agency until unit.upserted
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    ancestors = Table(
        "mon_node_ancestors", metadata,
        Column("node", String(NODE_LENGTH), primary_key=True),
        Column("ancestor", String(NODE_LENGTH), primary_key=True),
        Column("depth", Integer, nullable=False),  # 0: the node itself, 1: its parent, ...
        Index("ix_mon_node_ancestors_ancestor", "ancestor"),
    )
    return Tree(nodes, ancestors)


@dataclass(frozen=True, eq=False)
class Aggregate:
    """Additive counters per node and key. `rolled`: a node's row is its subtree's total (kept on
    every ancestor); otherwise only the node's own facts (e.g. a unit's own staff, for checks that
    apply to a unit and not to its children)."""

    table: Table
    keys: tuple[str, ...]
    values: tuple[str, ...]
    rolled: bool = True

    @property
    def name(self) -> str:
        return self.table.name


def define_aggregate(metadata: MetaData, name: str, keys: Sequence[Column], values: Sequence[str],
                     rolled: bool = True) -> Aggregate:
    table = Table(name, metadata, Column("node", String(NODE_LENGTH), primary_key=True),
                  *[Column(k.name, k.type, primary_key=True) for k in keys],
                  *[Column(v, BigInteger, nullable=False, server_default="0") for v in values])
    return Aggregate(table, tuple(k.name for k in keys), tuple(values), rolled)


@dataclass(frozen=True)
class Contribution:
    """What one item adds to one aggregate: at the leaf of (agency, unit), under `key`."""

    aggregate: Aggregate
    agency_id: str | None
    unit_id: str | None
    key: tuple[Any, ...]
    values: Mapping[str, int]


DeltaKey = tuple[Aggregate, str, tuple[Any, ...]]  # (aggregate, node, key)


def contributions_delta(before: Iterable[Contribution], after: Iterable[Contribution]
                        ) -> tuple[dict[DeltaKey, Counter], dict[str, str]]:
    """after − before per (aggregate, leaf node, key), without zeros; and each leaf's agency."""
    deltas: dict[DeltaKey, Counter] = defaultdict(Counter)
    agencies: dict[str, str] = {}
    for sign, items in ((-1, before), (1, after)):
        for c in items:
            node = leaf(c.agency_id, c.unit_id)
            if node is None:
                continue
            agencies[node] = c.agency_id  # type: ignore[assignment]
            counter = deltas[(c.aggregate, node, tuple(c.key))]
            for name, value in c.values.items():
                counter[name] += sign * int(value)
    return {k: Counter({n: v for n, v in c.items() if v}) for k, c in deltas.items() if any(c.values())}, agencies


# --- trackers ------------------------------------------------------------------------------------

Reader = Callable[[Session, list[Any]], Mapping[Any, Iterable[Contribution]]]
Locker = Callable[[Session, list[Any]], None]


@dataclass(eq=False)
class Tracker:
    """Keeps aggregates equal to the sum of per-item contributions. `read(session, items)` gives each
    item's contributions as the database has them now; `lock(session, items)` (optional) locks what
    they depend on, before "before" is read. Items are hashable (e.g. (nip, date))."""

    rollup: Rollup
    name: str
    read: Reader
    lock: Locker | None = None

    def touch(self, s: Session, items: Iterable[Hashable], lock: bool = True) -> None:
        """Call before changing what the items' contributions depend on, in the same transaction.
        `lock=False` for a writer nothing else can race on these items (it says why)."""
        pending = self.rollup._pending(s, self)
        new = [i for i in dict.fromkeys(items) if i not in pending]
        if not new:
            return
        if lock and self.lock is not None:
            self.lock(s, new)
        before = self.read(s, new)
        where = s.get_nested_transaction() or s.get_transaction()
        for item in new:
            pending[item] = (list(before.get(item, ())), where)


@dataclass(eq=False)
class Rollup:
    """A service's tree, its aggregates and its trackers (create one per service, at import)."""

    tree: Tree
    aggregates: list[Aggregate] = field(default_factory=list)
    trackers: list[Tracker] = field(default_factory=list)
    # Called at commit, after every tracker's deltas were applied, with the leaf deltas applied and
    # the notes the transaction made (`note`).
    after_flush: list[Callable[[Session, dict[DeltaKey, Counter], dict[str, set]], None]] = \
        field(default_factory=list)

    def add(self, aggregate: Aggregate) -> Aggregate:
        self.aggregates.append(aggregate)
        return aggregate

    def tracker(self, name: str, read: Reader, lock: Locker | None = None) -> Tracker:
        found = Tracker(self, name, read, lock)
        self.trackers.append(found)
        return found

    # --- the pending state of a transaction -------------------------------------------------------

    def _state(self, s: Session) -> dict[str, dict]:
        return s.info.setdefault(_STATE, {}).setdefault(self, {"trackers": {}, "notes": {}})

    def _pending(self, s: Session, tracker: Tracker) -> dict[Any, tuple[list[Contribution], Any]]:
        return self._state(s)["trackers"].setdefault(tracker, {})

    def note(self, s: Session, name: str, items: Iterable[Hashable]) -> None:
        """Something the after-flush hooks must look at again at commit (e.g. a unit whose predikat
        was set); kept even if a savepoint rolls back, as looking again is harmless."""
        self._state(s)["notes"].setdefault(name, set()).update(items)

    def flush(self, s: Session, state: dict[str, dict]) -> None:
        pending = state["trackers"]
        applied: dict[DeltaKey, Counter] = defaultdict(Counter)
        for tracker in self.trackers:
            items = pending.get(tracker)
            if not items:
                continue
            keys = list(items)
            after = tracker.read(s, keys)
            before = [c for item in keys for c in items[item][0]]
            deltas, agencies = contributions_delta(before, [c for item in keys for c in after.get(item, ())])
            if deltas:
                self.apply(s, deltas, agencies)
                for key, counter in deltas.items():
                    applied[key].update(counter)
        for hook in self.after_flush:
            hook(s, applied, state["notes"])

    # --- applying deltas -----------------------------------------------------------------------

    def lock_tree(self, s: Session, exclusive: bool) -> None:
        """Delta writers hold the tree shared, a move or a rebuild exclusively (PostgreSQL); SQLite
        serialises writers already."""
        if s.get_bind().dialect.name != "postgresql":
            return
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        s.execute(text(f"SELECT {function}(:key)"), {"key": TREE_LOCK_KEY})

    def ensure_nodes(self, s: Session, leaves: Mapping[str, str]) -> None:
        """Placeholders for leaves (node -> agency) the tree does not know yet: a unit under its agency."""
        known = set(s.scalars(select(self.tree.nodes.c.node).where(self.tree.nodes.c.node.in_(list(leaves)))))
        missing = {n: a for n, a in leaves.items() if n not in known}
        if not missing:
            return
        agencies = {agency_node(a): a for a in missing.values()}
        for node, agency in sorted({**agencies, **missing}.items()):
            level, ident = parse_node(node)
            parent = None if level == AGENCY else agency_node(agency)
            self._insert_node(s, node, level, agency, ident if level == UNIT else None, parent, None, None,
                              known=level == AGENCY)

    def _insert_node(self, s: Session, node: str, level: str, agency_id: str, unit_id: str | None,
                     parent: str | None, name: str | None, kind: str | None, known: bool) -> bool:
        """Inserts the node with the ancestors of its parent (which must exist); False if it existed."""
        created = _insert_ignore(s, self.tree.nodes, ["node"], [{
            "node": node, "level": level, "kind": kind, "agency_id": agency_id, "unit_id": unit_id,
            "parent": parent, "name": name, "known": known, "updated_at": utcnow()}])
        if not created:
            return False
        rows = [{"node": node, "ancestor": node, "depth": 0}]
        if parent is not None:
            rows += [{"node": node, "ancestor": a, "depth": d + 1} for a, d in self.ancestors_of(s, parent)]
        _insert_ignore(s, self.tree.ancestors, ["node", "ancestor"], rows)
        return True

    def ancestors_of(self, s: Session, node: str) -> list[tuple[str, int]]:
        """(ancestor, depth) of a node, itself first."""
        a = self.tree.ancestors
        return [(r.ancestor, r.depth) for r in s.execute(select(a.c.ancestor, a.c.depth).where(a.c.node == node)
                                                         .order_by(a.c.depth))]

    def apply(self, s: Session, deltas: Mapping[DeltaKey, Counter], agencies: Mapping[str, str]) -> None:
        """Adds leaf deltas to their nodes and, for rolled aggregates, to every ancestor."""
        if not deltas:
            return
        self.lock_tree(s, exclusive=False)
        self.ensure_nodes(s, agencies)
        leaves = sorted({node for _, node, _ in deltas})
        a = self.tree.ancestors
        up: dict[str, list[str]] = defaultdict(list)
        for start in range(0, len(leaves), 500):
            chunk = leaves[start:start + 500]
            for r in s.execute(select(a.c.node, a.c.ancestor).where(a.c.node.in_(chunk))):
                up[r.node].append(r.ancestor)
        by_node: dict[DeltaKey, Counter] = defaultdict(Counter)
        for (aggregate, node, key), counter in deltas.items():
            for target in (up.get(node) or [node]) if aggregate.rolled else [node]:
                by_node[(aggregate, target, key)].update(counter)
        self.apply_nodes(s, by_node)

    def apply_nodes(self, s: Session, deltas: Mapping[DeltaKey, Counter]) -> None:
        """Adds each delta to exactly that node's row (created at zero when missing), aggregate by
        aggregate and row by row in sorted order: one statement per aggregate."""
        grouped: dict[Aggregate, list[tuple[str, tuple[Any, ...], Counter]]] = defaultdict(list)
        for (aggregate, node, key), counter in deltas.items():
            if any(counter.values()):
                grouped[aggregate].append((node, key, counter))
        for aggregate in sorted(grouped, key=lambda g: g.name):
            rows = sorted(grouped[aggregate], key=lambda r: (r[0], *_sortable(r[1])))
            _add_rows(s, aggregate, [{"node": node, **dict(zip(aggregate.keys, key, strict=True)),
                                      **{v: int(counter.get(v, 0)) for v in aggregate.values}}
                                     for node, key, counter in rows])

    # --- the tree ------------------------------------------------------------------------------

    def place_unit(self, s: Session, unit_id: str, agency_id: str, parent_id: str | None, name: str | None,
                   kind: str | None) -> str:
        """unit.upserted: the unit's node named and under its parent, moving its subtree's totals from
        the old ancestors to the new ones when it moved. Returns what happened (created, moved,
        renamed, unchanged, refused-cycle)."""
        node = unit_node(unit_id)
        parent = unit_node(parent_id) if parent_id else agency_node(agency_id)
        nodes = self.tree.nodes
        current = s.execute(select(nodes).where(nodes.c.node == node)).first()
        if current is not None and current.parent == parent and current.agency_id == agency_id and current.known:
            if (current.name, current.kind) != (name, kind):
                s.execute(update(nodes).where(nodes.c.node == node).values(name=name, kind=kind, updated_at=utcnow()))
                return "renamed"
            return "unchanged"
        self.lock_tree(s, exclusive=True)
        self.ensure_nodes(s, {parent: agency_id, agency_node(agency_id): agency_id})
        current = s.execute(select(nodes).where(nodes.c.node == node)).first()
        if current is None:
            self._insert_node(s, node, UNIT, agency_id, unit_id, parent, name, kind, known=True)
            return "created"
        if node in {a for a, _ in self.ancestors_of(s, parent)}:
            log.warning("unit %s cannot move under %s, which is inside it; kept where it is", unit_id, parent_id)
            s.execute(update(nodes).where(nodes.c.node == node).values(name=name, kind=kind, known=True,
                                                                         updated_at=utcnow()))
            return "refused-cycle"
        moved = current.parent != parent or current.agency_id != agency_id
        if moved:
            self._move(s, node, parent, agency_id)
        s.execute(update(nodes).where(nodes.c.node == node).values(
            parent=parent, agency_id=agency_id, name=name, kind=kind, known=True, updated_at=utcnow()))
        return "moved" if moved else "renamed"

    def _move(self, s: Session, node: str, parent: str, agency_id: str) -> None:
        a = self.tree.ancestors
        old = {anc for anc, depth in self.ancestors_of(s, node) if depth > 0}
        new_parent = self.ancestors_of(s, parent)
        new = {anc for anc, _ in new_parent}
        removed, added = old - new, new - old
        deltas: dict[DeltaKey, Counter] = defaultdict(Counter)
        for aggregate in self.aggregates:
            if not aggregate.rolled:
                continue
            t = aggregate.table
            for row in s.execute(select(t).where(t.c.node == node)).mappings():
                key = tuple(row[k] for k in aggregate.keys)
                values = Counter({v: int(row[v]) for v in aggregate.values})
                for target in removed:
                    deltas[(aggregate, target, key)].subtract(values)
                for target in added:
                    deltas[(aggregate, target, key)].update(values)
        self.apply_nodes(s, deltas)
        subtree = [(r.node, r.depth) for r in s.execute(select(a.c.node, a.c.depth).where(a.c.ancestor == node))]
        inside = [n for n, _ in subtree]
        for start in range(0, len(inside), 500):
            chunk = inside[start:start + 500]
            s.execute(delete(a).where(a.c.node.in_(chunk), a.c.ancestor.not_in(inside)))
        rows = [{"node": n, "ancestor": anc, "depth": depth + 1 + d} for n, depth in subtree for anc, d in new_parent]
        for start in range(0, len(rows), 1000):
            s.execute(insert(a), rows[start:start + 1000])
        if inside:
            nodes = self.tree.nodes
            for start in range(0, len(inside), 500):
                s.execute(update(nodes).where(nodes.c.node.in_(inside[start:start + 500]))
                          .values(agency_id=agency_id, updated_at=utcnow()))

    # --- reading ---------------------------------------------------------------------------------

    def node(self, s: Session, node: str) -> Any:
        return s.execute(select(self.tree.nodes).where(self.tree.nodes.c.node == node)).first()

    def children(self, s: Session, node: str | None) -> Sequence[Any]:
        """The nodes right under `node`; under None, every agency (the nodes without a parent: one
        index range, however many units there are)."""
        n = self.tree.nodes
        where = n.c.parent == node if node is not None else n.c.parent.is_(None)
        return s.execute(select(n).where(where).order_by(n.c.name, n.c.node)).all()

    def path(self, s: Session, node: str) -> Sequence[Any]:
        """The node's ancestors from its agency down to the node itself."""
        n, a = self.tree.nodes, self.tree.ancestors
        return s.execute(select(n).join(a, a.c.ancestor == n.c.node).where(a.c.node == node)
                         .order_by(a.c.depth.desc())).all()

    def sums(self, s: Session, aggregate: Aggregate, nodes: Sequence[str], *where: Any) -> dict[str, Counter]:
        """Each node's totals over the aggregate rows matching `where` (e.g. a date range)."""
        t = aggregate.table
        found: dict[str, Counter] = {}
        for start in range(0, len(nodes), CHUNK):
            query = (select(t.c.node, *[func.sum(t.c[v]).label(v) for v in aggregate.values])
                     .where(node_in(s, t.c.node, nodes[start:start + CHUNK]), *where).group_by(t.c.node))
            for r in s.execute(query).mappings():
                found[r["node"]] = Counter({v: int(r[v] or 0) for v in aggregate.values})
        return found

    def series(self, s: Session, aggregate: Aggregate, node: str | Sequence[str], key: str,
               *where: Any) -> dict[Any, Counter]:
        """One node's rows (or several nodes' rows summed, e.g. every agency's for the nation) by one
        key column (e.g. per date)."""
        t = aggregate.table
        nodes = [node] if isinstance(node, str) else list(node)
        found: dict[Any, Counter] = defaultdict(Counter)
        for start in range(0, len(nodes), CHUNK):
            chunk = nodes[start:start + CHUNK]
            at = t.c.node == chunk[0] if len(chunk) == 1 else node_in(s, t.c.node, chunk)
            query = (select(t.c[key], *[func.sum(t.c[v]).label(v) for v in aggregate.values])
                     .where(at, *where).group_by(t.c[key]))
            for r in s.execute(query).mappings():
                found[r[key]].update({v: int(r[v] or 0) for v in aggregate.values})
        return {k: found[k] for k in sorted(found, key=lambda k: (k is None, k))}

    def child_nodes(self, s: Session, parent: str | None) -> list[str]:
        """The nodes right under `parent` (under None: every agency), by the parent index."""
        n = self.tree.nodes
        under = n.c.parent.is_(None) if parent is None else n.c.parent == parent
        return list(s.scalars(select(n.c.node).where(under)))

    def child_sums(self, s: Session, aggregate: Aggregate, parent: str | None, *where: Any) -> dict[str, Counter]:
        """The totals of every node right under `parent` (under None: every agency): the children by
        the parent index, then their rows by the primary key (a few rows each, however many employees
        are under them)."""
        return self.sums(s, aggregate, self.child_nodes(s, parent), *where)

    def child_series(self, s: Session, aggregate: Aggregate, parent: str | None, keys: Sequence[str],
                     *where: Any) -> dict[tuple, Counter]:
        """The rows of every node right under `parent` summed together, by key columns (the nation's
        line: its agencies' days summed per date)."""
        t = aggregate.table
        nodes = self.child_nodes(s, parent)
        columns = [t.c[k] for k in keys]
        found: dict[tuple, Counter] = defaultdict(Counter)
        for start in range(0, len(nodes), CHUNK):
            query = (select(*columns, *[func.sum(t.c[v]).label(v) for v in aggregate.values])
                     .where(node_in(s, t.c.node, nodes[start:start + CHUNK]), *where).group_by(*columns))
            for r in s.execute(query).mappings():
                found[tuple(r[k] for k in keys)].update({v: int(r[v] or 0) for v in aggregate.values})
        return {k: found[k] for k in sorted(found, key=lambda k: tuple((v is None, v) for v in k))}

    def total(self, s: Session, aggregate: Aggregate, nodes: Sequence[str], *where: Any) -> Counter:
        """The rows of several nodes (e.g. every agency) summed into one."""
        found: Counter = Counter()
        for counter in self.sums(s, aggregate, list(nodes), *where).values():
            found.update(counter)
        return found

    # --- rebuilding from the source tables --------------------------------------------------------

    def expected(self, s: Session, aggregate: Aggregate,
                 grouped: Iterable[tuple[str | None, str | None, tuple, Mapping[str, int]]]) -> dict[tuple, Counter]:
        """What the aggregate's rows should hold for `grouped` leaf totals (agency, unit, key, values),
        rolled up the tree as it is (a leaf the tree does not know counts at itself and its agency,
        as its placeholder would): {(node, key): counters}, without zeros."""
        leaves: dict[tuple[str, tuple], Counter] = defaultdict(Counter)
        agencies: dict[str, str] = {}
        for agency_id, unit_id, key, values in grouped:
            node = leaf(agency_id, unit_id)
            if node is not None:
                agencies[node] = agency_id  # type: ignore[assignment]
                leaves[(node, tuple(key))].update({k: int(v) for k, v in values.items()})
        a = self.tree.ancestors
        up: dict[str, list[str]] = defaultdict(list)
        nodes = sorted(agencies)
        for start in range(0, len(nodes), 500):
            for r in s.execute(select(a.c.node, a.c.ancestor).where(a.c.node.in_(nodes[start:start + 500]))):
                up[r.node].append(r.ancestor)
        found: dict[tuple, Counter] = defaultdict(Counter)
        for (node, key), counter in leaves.items():
            targets = up.get(node) or sorted({node, agency_node(agencies[node])})
            for target in targets if aggregate.rolled else [node]:
                found[(target, key)].update(counter)
        return {k: Counter({n: v for n, v in c.items() if v}) for k, c in found.items() if any(c.values())}

    def stored(self, s: Session, aggregate: Aggregate, *where: Any) -> dict[tuple, Counter]:
        """The aggregate's rows matching `where`, without all-zero rows: {(node, key): counters}."""
        t = aggregate.table
        found = {}
        for row in s.execute(select(t).where(*where)).mappings():
            counter = Counter({v: int(row[v]) for v in aggregate.values if row[v]})
            if counter:
                found[(row["node"], tuple(row[k] for k in aggregate.keys))] = counter
        return found

    def rebuild(self, s: Session, aggregate: Aggregate,
                grouped: Iterable[tuple[str | None, str | None, tuple, Mapping[str, int]]], *where: Any) -> int:
        """Replaces the aggregate's rows matching `where` (all when none) by the totals of `grouped`:
        (agency, unit, key, values) per leaf, e.g. a GROUP BY over the service's source tables.
        Holds the tree lock exclusively, so no delta lands meanwhile; returns the rows written."""
        self.lock_tree(s, exclusive=True)
        leaves: dict[DeltaKey, Counter] = defaultdict(Counter)
        agencies: dict[str, str] = {}
        for agency_id, unit_id, key, values in grouped:
            node = leaf(agency_id, unit_id)
            if node is None:
                continue
            agencies[node] = agency_id  # type: ignore[assignment]
            leaves[(aggregate, node, tuple(key))].update({k: int(v) for k, v in values.items()})
        s.execute(delete(aggregate.table).where(*where))
        if not leaves:
            return 0
        self.ensure_nodes(s, agencies)
        before = s.execute(select(func.count()).select_from(aggregate.table)).scalar_one()
        self.apply(s, leaves, agencies)
        return s.execute(select(func.count()).select_from(aggregate.table)).scalar_one() - before


def differences(name: str, expected: Mapping[tuple, Counter], stored: Mapping[tuple, Counter]) -> list[dict[str, Any]]:
    """Rows where `stored` (Rollup.stored) differs from `expected` (Rollup.expected), for a report."""
    return [{"table": name, "node": key[0], "key": [str(k) for k in key[1]], "expected": dict(expected.get(key, {})),
             "stored": dict(stored.get(key, {}))}
            for key in sorted(set(expected) | set(stored), key=str) if expected.get(key) != stored.get(key)]


# --- the transaction hooks -------------------------------------------------------------------------

@event.listens_for(Session, "before_commit")
def _flush_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its items stay pending in the enclosing transaction
    state = session.info.pop(_STATE, None)
    if not state:
        return
    for rollup, pending in state.items():
        rollup.flush(session, pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Items touched inside a transaction or savepoint that rolled back are forgotten: their locks
    went with it (another writer may change them now, and counts its own delta)."""
    state = session.info.get(_STATE)
    if not state:
        return
    if previous_transaction.parent is None:
        session.info.pop(_STATE, None)
        return
    for pending in state.values():
        for items in pending["trackers"].values():
            for item in [i for i, (_, where) in items.items() if _within(where, previous_transaction)]:
                del items[item]


def _within(where: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    while where is not None:
        if where is transaction:
            return True
        where = where.parent
    return False


# --- SQL helpers ---------------------------------------------------------------------------------

def _dialect_insert(s: Session, table: Table) -> Any:
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert(table)


def _insert_ignore(s: Session, table: Table, keys: list[str], rows: list[dict[str, Any]]) -> bool:
    """Inserts rows whose key is new (a concurrent writer of the same key is waited for); True when
    the first row was inserted."""
    if not rows:
        return False
    stmt = _dialect_insert(s, table).on_conflict_do_nothing(index_elements=keys)
    first = s.execute(stmt, rows[0]).rowcount  # type: ignore[attr-defined]  # DML executes to a CursorResult
    if len(rows) > 1:
        s.execute(stmt, rows[1:])
    return bool(first)


def _add_rows(s: Session, aggregate: Aggregate, rows: list[dict[str, Any]]) -> None:
    table = aggregate.table
    stmt = _dialect_insert(s, table)
    stmt = stmt.on_conflict_do_update(index_elements=["node", *aggregate.keys],
                                      set_={v: table.c[v] + stmt.excluded[v] for v in aggregate.values})
    for start in range(0, len(rows), 1000):
        s.execute(stmt, rows[start:start + 1000])


def _sortable(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, str(v) if v is not None else "") for v in key)


def node_in(s: Session, column: Any, nodes: Sequence[str]) -> Any:
    """`column` is one of `nodes`: on PostgreSQL one array parameter (`= ANY(...)`), which the planner
    reads as the few index lookups it is whatever the table's size, and which needs no rendering of a
    parameter per node; elsewhere an IN list."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(nodes), type_=ARRAY(String)))
    return column.in_(list(nodes))


def pairs_in(columns: Sequence[Any], items: Sequence[tuple[Any, ...]]) -> Any:
    """`(a, b) IN ((..), ..)` for a list of key tuples (PostgreSQL and SQLite)."""
    return tuple_(*columns).in_(list(items))
