"""Master-data rules that two services must apply alike: the one that explains a problem (sync's
diagnosis) and the one that refuses because of it (skp planning, harian's daily progress). Services
cannot import each other, so each rule lives here once, as a small pure function of the facts both
sides hold in their copy of master data; each side's tests call it with the same facts.
"""

from __future__ import annotations

ACTIVE = "active"
TOP_JENJANG = "JPT"  # Jabatan Pimpinan Tinggi: JPT Utama, Madya, Pratama


def is_active(status: str | None) -> bool:
    """An employee may sign in, plan and log days only while master data says they are active."""
    return status == ACTIVE


def missing_unit_position(unit_id: str | None, position_id: str | None) -> tuple[str, ...]:
    """What of the unit (unor) and position (jabatan) an SKP is made for is not recorded: the SKP
    cannot be planned, submitted, approved or published without both."""
    return tuple(name for name, value in (("unit", unit_id), ("position", position_id)) if not value)


def is_top_jenjang(jenjang: str | None) -> bool:
    return (jenjang or "").strip().upper().startswith(TOP_JENJANG)


def heads_organisation(supervisor_nip: str | None, jenjang: str | None) -> bool:
    """The head of an organisation: a top official (JPT) with nobody above. Only they publish their
    SKP themselves ("SKP organisasi"); everyone else needs a pejabat penilai to approve it."""
    return supervisor_nip is None and is_top_jenjang(jenjang)


def lacks_supervisor(supervisor_nip: str | None, jenjang: str | None) -> bool:
    """No supervisor recorded for someone who is not the head of an organisation: nobody can approve
    their SKP and their RHK have nothing to cascade from."""
    return supervisor_nip is None and not heads_organisation(supervisor_nip, jenjang)


def skp_in_force(approved_version: int | None) -> bool:
    """An SKP is in force for its year once a version of it was approved by the pejabat penilai or
    published by the head of an organisation (skp announces both as `skp.approved` with that
    version), and it stays in force while a revision is worked on. A draft or submitted SKP never
    approved is not: no subordinate's RHK may intervene it (skp), and the supervisor's staff are
    told supervisor-skp-missing (sync's diagnosis)."""
    return isinstance(approved_version, int) and not isinstance(approved_version, bool) and approved_version >= 1
