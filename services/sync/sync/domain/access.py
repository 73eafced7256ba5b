"""Object-level rules: whose master data a caller may read."""

from __future__ import annotations

from collections.abc import Callable

from ekinerja_kernel.caller import Caller, forbidden


def supervises(caller_nip: str, nip: str, supervisor_of: Callable[[str], str | None], limit: int = 50) -> bool:
    """Is `caller_nip` somewhere above `nip` in the supervision chain (their team, direct or not)?"""
    current, steps = supervisor_of(nip), 0
    while current is not None and steps < limit:
        if current == caller_nip:
            return True
        current, steps = supervisor_of(current), steps + 1
    return False


def require_can_view(caller: Caller, nip: str, agency_id: str, supervisor_of: Callable[[str], str | None]) -> None:
    if caller.nip == nip or caller.administers(agency_id) or supervises(caller.nip, nip, supervisor_of):
        return
    raise forbidden("You can see only your own data, your team's, or (as admin) your agency's.",
                    "Anda hanya dapat melihat data Anda sendiri, tim Anda, atau (sebagai admin) instansi Anda.")
