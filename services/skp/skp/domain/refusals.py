"""Planning refusals for a master-data precondition, worded as sync's diagnosis words them.

skp still decides with its own data (it owns the SKPs and the penilai rule). When it refuses because
of the employee's master data, the text, why it matters and who fixes it come from the matching
finding of sync's diagnosis (`employee.diagnosed`, the findings of GET /api/v1/me/diagnosis), so the
refusal and the diagnosis say the same thing. Without a matching finding (sync's copy has not
arrived yet, or sync sees it otherwise) skp's own short text is used.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ekinerja_kernel.errors import DomainError

# skp's refusal codes; where sync's diagnosis has the same problem, it uses the same code.
NOT_ACTIVE = "not-an-active-employee"
NO_SUPERVISOR = "no-supervisor"
PENILAI_MISSING = "penilai-missing"
SUPERVISOR_SKP_MISSING = "supervisor-skp-missing"
NO_UNIT_POSITION = "no-unit-position"


@dataclass(frozen=True)
class Precondition:
    status: int
    title: str
    findings: tuple[str, ...]  # the diagnosis codes that explain this refusal, in order of preference
    fixed_by: str  # used when no finding is stored
    fixed_by_id: str
    fixers: tuple[str, ...]
    per_year: bool = False  # the finding is about one year's SKP: it must be the year being planned


AGENCY_ADMIN = ("your agency admin", "admin instansi Anda", ("admin_instansi",))

PRECONDITIONS: dict[str, Precondition] = {
    NOT_ACTIVE: Precondition(403, "No active employee record", ("account-inactive", "nip-not-found"),
                             *AGENCY_ADMIN),
    NO_SUPERVISOR: Precondition(409, "Nobody to approve", ("no-supervisor",), *AGENCY_ADMIN),
    PENILAI_MISSING: Precondition(409, "Nobody can approve today", ("penilai-missing",), *AGENCY_ADMIN),
    NO_UNIT_POSITION: Precondition(409, "No unit or position recorded", ("no-unit-position",), *AGENCY_ADMIN),
    SUPERVISOR_SKP_MISSING: Precondition(409, "Your supervisor has no SKP yet", ("supervisor-skp-missing",),
                                         "your supervisor", "atasan Anda", ("supervisor",), per_year=True),
}


@dataclass(frozen=True)
class Diagnosis:
    """sync's latest findings for one NIP (problems and warnings only) and the SKP year it checked."""

    year: int
    findings: tuple[Mapping[str, Any], ...] = ()

    def finding(self, codes: Collection[str], year: int | None = None,
                supervisor_nip: str | None = None) -> Mapping[str, Any] | None:
        """The first problem with one of `codes` about this year's SKP (when `year` is given) and
        this supervisor (when the finding names one): a finding about another supervisor or year is
        out of date for this refusal."""
        for code in codes:
            for f in self.findings:
                if f.get("status") != "problem" or f.get("code") != code:
                    continue
                if year is not None and f.get("year", self.year) != year:
                    continue
                if supervisor_nip is not None and f.get("supervisor_nip", supervisor_nip) != supervisor_nip:
                    continue
                return f
        return None


def _sentence(*parts: Any) -> str:
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())


def refusal(code: str, detail: str, detail_id: str, diagnosis: Diagnosis | None = None, *,
            year: int | None = None, supervisor_nip: str | None = None,
            extra: Mapping[str, Any] | None = None) -> DomainError:
    """The refusal `code` (one of PRECONDITIONS): the matching finding's detail and why, who fixes
    it and the whole finding under `finding`; else skp's own `detail`/`detail_id`."""
    rule = PRECONDITIONS[code]
    found = diagnosis.finding(rule.findings, year if rule.per_year else None, supervisor_nip) if diagnosis else None
    body: dict[str, Any] = dict(extra or {})
    if found is None:
        body.update(fixed_by=rule.fixed_by, fixed_by_id=rule.fixed_by_id, fixers=list(rule.fixers))
        return DomainError(code=code, status=rule.status, title=rule.title, detail=detail, detail_id=detail_id,
                           extra=body)
    body.update(fixed_by=found.get("fixed_by") or rule.fixed_by,
                fixed_by_id=found.get("fixed_by_id") or rule.fixed_by_id,
                fixers=list(found.get("fixers") or rule.fixers), finding=dict(found))
    return DomainError(code=code, status=rule.status, title=rule.title,
                       detail=_sentence(found.get("detail"), found.get("why")) or detail,
                       detail_id=_sentence(found.get("detail_id"), found.get("why_id")) or detail_id, extra=body)


def diagnosis_from(year: Any, findings: Iterable[Any]) -> Diagnosis:
    """A Diagnosis from stored JSON, keeping only well-formed findings."""
    return Diagnosis(int(year), tuple(f for f in findings or () if isinstance(f, Mapping)))
