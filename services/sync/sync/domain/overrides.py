"""An admin's repair as an override of the registry: it holds until the registry agrees.

A repair (supervisor set or reset, email, deactivation or reactivation) records which value
e-Kinerja uses for one field of one employee, who set it, when and why. Every later import or
registry sync of that employee keeps the override's value instead of the one it brings, and
records what it brought (the difference the diagnosis shows: "SIASN still says ..."). The first
one that brings the override's own value ends it: from then on the registry decides again.

Pure functions on import rows; the tables and the audit rows are in sync/overrides.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SUPERVISOR, EMAIL, STATUS = "supervisor_nip", "email", "status"
FIELDS = (SUPERVISOR, EMAIL, STATUS)
# The repair actions (repair_audit.action) and the field each one overrides.
ACTIONS = {"supervisor.set": SUPERVISOR, "supervisor.reset": SUPERVISOR, "email.set": EMAIL,
           "employee.deactivate": STATUS, "employee.reactivate": STATUS}
CLEARED = "override.cleared"
REGISTRY, IMPORT = "registry", "import"  # where a disagreeing value was seen


@dataclass(frozen=True)
class Override:
    nip: str
    field: str
    value: str | None  # None: no supervisor (a "reset struktur")
    agency_id: str
    actor_nip: str
    set_at: dt.datetime
    reason: str | None = None
    actor_name: str | None = None
    registry_value: str | None = None  # what the registry (or an import) last brought instead
    source: str | None = None  # REGISTRY or IMPORT; None while no import has disagreed
    seen_at: dt.datetime | None = None  # when that was

    @property
    def disputed(self) -> bool:
        return self.source is not None


def given(row: dict[str, Any], field: str) -> str | None:
    """The value an import row brings for `field`, read as the import reads it (trimmed; an empty
    supervisor is none; an empty status is active)."""
    raw = row.get(field)
    value = raw.strip() if isinstance(raw, str) else (None if raw is None else str(raw))
    if field == STATUS and not value:
        return "active"
    return value or None


def same(field: str, a: str | None, b: str | None) -> bool:
    if field == EMAIL and a is not None and b is not None:
        return a.casefold() == b.casefold()  # mail systems do not tell case apart
    return a == b


@dataclass(frozen=True)
class Held:
    """An import row with the overrides applied, and what each override met."""

    row: dict[str, Any]
    agreed: tuple[Override, ...] = ()  # the row brings the override's value: the override ends
    differ: tuple[tuple[Override, str | None], ...] = ()  # the row brings another value: it is kept


def hold(row: dict[str, Any], overrides: Iterable[Override]) -> Held:
    held, agreed, differ = dict(row), [], []
    for o in overrides:
        brought = given(row, o.field)
        if same(o.field, brought, o.value):
            agreed.append(o)
        else:
            held[o.field] = o.value
            differ.append((o, brought))
    return Held(held, tuple(agreed), tuple(differ))


def held_supervisor(row: dict[str, Any], overrides: Iterable[Override]) -> str | None:
    """The supervisor the row will have once its overrides are applied."""
    for o in overrides:
        if o.field == SUPERVISOR:
            return o.value
    return given(row, SUPERVISOR)


# --- words -------------------------------------------------------------------------------------------

def _mask(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:2]}***@{domain}"


def value_words(field: str, value: str | None) -> tuple[str, str]:
    """A value as a person reads it, in English and Indonesian (an email masked)."""
    if field == SUPERVISOR:
        return (f"supervisor NIP {value}", f"atasan NIP {value}") if value else ("no supervisor", "tanpa atasan")
    if field == EMAIL:
        shown = _mask(value) if value else "-"
        return f"email {shown}", f"email {shown}"
    if value == "active":
        return "status active", "status aktif"
    return f"status {value or 'inactive'}", "status tidak aktif"


def _day(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).date().isoformat()


def set_by(o: Override) -> tuple[str, str]:
    who = f"{o.actor_name} (NIP {o.actor_nip})" if o.actor_name else f"NIP {o.actor_nip}"
    reason_en = f", reason: {o.reason}" if o.reason else ", no reason given"
    reason_id = f", alasan: {o.reason}" if o.reason else ", tanpa alasan"
    return (f"set by admin {who} on {_day(o.set_at)}{reason_en}",
            f"ditetapkan oleh admin {who} pada {_day(o.set_at)}{reason_id}")


def source_words(source: str | None) -> tuple[str, str]:
    if source == IMPORT:
        return "the latest master-data import (from SIASN)", "impor data induk terakhir (dari SIASN)"
    return "SIASN", "SIASN"


def describe(o: Override) -> tuple[str, str]:
    """"e-Kinerja uses X (set by admin A on D, reason R); SIASN still says Y", both languages."""
    uses_en, uses_id = value_words(o.field, o.value)
    by_en, by_id = set_by(o)
    if not o.disputed:
        return (f"e-Kinerja uses {uses_en} ({by_en}); no sync has compared it with SIASN since.",
                f"e-Kinerja memakai {uses_id} ({by_id}); belum ada sinkronisasi yang membandingkannya dengan "
                "SIASN sejak itu.")
    says_en, says_id = value_words(o.field, o.registry_value)
    src_en, src_id = source_words(o.source)
    return (f"e-Kinerja uses {uses_en} ({by_en}); {src_en} still says {says_en}.",
            f"e-Kinerja memakai {uses_id} ({by_id}); {src_id} masih mencatat {says_id}.")


def to_json(o: Override) -> dict[str, Any]:
    def shown(value: str | None) -> str | None:
        return _mask(value) if o.field == EMAIL and value else value

    return {"field": o.field, "value": shown(o.value), "set_by": o.actor_nip, "set_by_name": o.actor_name,
            "set_at": o.set_at.astimezone(dt.UTC).isoformat(), "reason": o.reason,
            "registry_value": shown(o.registry_value) if o.disputed else None, "registry_source": o.source,
            "registry_seen_at": o.seen_at.astimezone(dt.UTC).isoformat() if o.seen_at else None}


def cleared_note(before: dict[str, Any] | None, source: str | None, by: str | None = None) -> tuple[str, str]:
    """The repair log's words for an override that ended: the registry (or an import, `source`)
    came to agree, or (`by` "admin") an admin's repair gave back the value SIASN last said."""
    field = next(iter(before or {}), SUPERVISOR)
    en, id_ = value_words(field, (before or {}).get(field))
    if by == "admin":
        return (f"The admin's repair gives {en}, which is what SIASN last said: no override is needed and the "
                "registry decides this field again.",
                f"Perbaikan admin memberikan {id_}, sama dengan yang terakhir dicatat SIASN: tidak perlu "
                "pengecualian dan registri kembali menentukan data ini.")
    src_en, src_id = source_words(source)
    return (f"{src_en} now says {en} too: the admin's repair is no longer needed and the registry decides "
            "this field again.",
            f"{src_id} kini juga mencatat {id_}: perbaikan admin tidak diperlukan lagi dan registri kembali "
            "menentukan data ini.")
