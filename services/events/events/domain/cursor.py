"""Replay cursors: the log's sequence numbers, written as decimal text (opaque to subscribers)."""

from __future__ import annotations

import re

from .errors import invalid

DIGITS = re.compile(r"^[0-9]{1,18}$")
MAX_PAGE = 1000
DEFAULT_PAGE = 100


def parse(value: str | None) -> int:
    """The position after which to read; 0 (from the oldest kept) when none is given."""
    if value is None or value == "":
        return 0
    if not isinstance(value, str) or not DIGITS.match(value):
        raise invalid("after", "cursor", "A cursor is the decimal text of an earlier item's 'cursor'.",
                      "Kursor adalah teks desimal dari 'cursor' butir sebelumnya.")
    return int(value)


def page_size(value: int | None) -> int:
    if value is None:
        return DEFAULT_PAGE
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
        raise invalid("limit", "range", f"'limit' is a whole number from 1 to {MAX_PAGE}.",
                      f"'limit' adalah bilangan bulat dari 1 sampai {MAX_PAGE}.")
    return value


def text(seq: int) -> str:
    return str(seq)
