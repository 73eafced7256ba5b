"""Supervision graph rules: nobody supervises themselves, and chains never loop."""

from __future__ import annotations

from collections.abc import Callable, Iterable


def creates_cycle(nip: str, supervisor_nip: str | None,
                  supervisor_of: Callable[[str], str | None], limit: int = 10_000) -> bool:
    """Would making `supervisor_nip` the supervisor of `nip` close a loop?

    Walks up from the proposed supervisor through the current links; reaching `nip` means a loop.
    """
    seen: set[str] = set()
    current = supervisor_nip
    while current is not None and len(seen) < limit:
        if current == nip:
            return True
        if current in seen:  # an existing loop elsewhere: not ours to report here
            return False
        seen.add(current)
        current = supervisor_of(current)
    return False


def dependency_order(items: Iterable[tuple[str, str | None]]) -> tuple[list[str], list[str]]:
    """Order keys so that each comes after the key it depends on (when that key is in the set).

    Returns (ordered, stuck): `stuck` are keys on a loop among themselves. Input order is kept
    where dependencies allow, so a file's rows keep their row numbers' order.
    """
    pairs = list(items)
    keys = {k for k, _ in pairs}
    waiting: dict[str, list[str]] = {}
    ordered: list[str] = []
    placed: set[str] = set()

    def place(key: str) -> None:
        stack = [key]  # iterative: a long chain must not hit the recursion limit
        while stack:
            current = stack.pop()
            ordered.append(current)
            placed.add(current)
            stack.extend(reversed(waiting.pop(current, [])))

    for key, dep in pairs:
        if dep is None or dep not in keys or dep in placed or dep == key:
            place(key)
        else:
            waiting.setdefault(dep, []).append(key)
    stuck = [k for k, _ in pairs if k not in placed]
    return ordered, stuck
