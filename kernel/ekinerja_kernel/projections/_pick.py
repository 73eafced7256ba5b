"""Copying named fields: a projection says what it keeps, never what it drops."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def pick(data: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The fields `names` of `data` (an internal event's data carries each of them)."""
    return {name: data[name] for name in names}
