"""How often one NIP may ask for an activation or a password-reset mail: at most `limit` requests in
any `window` (a sliding log of request times).

Counted per NIP, apart from the gateway's per-IP limit: the activation answer that says "NIP and NIK
match but the email does not" tells a guesser that the NIK was right, and a NIK shares its birth
date with the NIP, leaving about 10^4 candidates. Within the limit a person who mistyped is told
plainly; beyond it every request for that NIP gets the same 429, whether or not the NIP exists.
A refused request is not counted, so someone who waits as told gets through.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("activation", "reset")
DEFAULT_LIMIT = 5
DEFAULT_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Rule:
    limit: int = DEFAULT_LIMIT
    window: dt.timedelta = dt.timedelta(seconds=DEFAULT_WINDOW_SECONDS)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= dt.timedelta(0):
            raise ValueError("a request limit needs at least 1 request in a positive window")


@dataclass(frozen=True)
class Decision:
    times: tuple[dt.datetime, ...]  # the requests that still count, oldest first (at most `limit`)
    retry_after: int  # 0: this request is admitted (and counted); else seconds until one more is

    @property
    def admitted(self) -> bool:
        return self.retry_after == 0


def admit(times: Iterable[dt.datetime], now: dt.datetime, rule: Rule) -> Decision:
    """Count one request at `now` against the earlier ones in `times` (any order, old ones ignored)."""
    recent = sorted(t for t in times if t > now - rule.window)[-rule.limit:]
    if len(recent) >= rule.limit:
        wait = (recent[0] + rule.window - now).total_seconds()
        return Decision(tuple(recent), max(1, math.ceil(wait)))
    return Decision(tuple([*recent, now][-rule.limit:]), 0)
