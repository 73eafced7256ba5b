"""One employee's allowance for one month, explained line by line (docs/domain.md "Tukin / TPP").

1. gross = the policy's base amount for the employee's kelas jabatan (whole rupiah);
   performance part = gross × split.performance%, rounded half up to whole rupiah;
   discipline part = gross − performance part (so the two always add up to the gross).
2. Each rule of the policy, in the policy's order, gives at most one deduction line: a percent of
   the part it applies to (performance, discipline, or the whole gross), and an amount =
   part × percent / 100 rounded ONCE, half up, to whole rupiah. A rule that costs nothing this
   month gives no line.
3. The cap (policy `cap_percent`, default 100): per part, the lines hitting it may take at most
   cap% of it (rounded half up); then all lines together at most cap% of the gross. Each cap that
   bites is a line of its own with a negative amount (what is not deducted).
4. total deduction = Σ line amounts + Σ cap amounts; net = gross − total deduction.
5. `blank_days` says, whatever they cost, which closed working days counted as blank (nothing
   written, no justified absence), which were excused by a justified absence, from when a daily
   entry was owed at all (days before the obligation started never close, so never count), and
   the policy's rule for blank days (or that it has none): a month with blank days and full pay
   says why.

All amounts are whole rupiah, so the lines add up exactly: gross − Σ lines − Σ caps = net.

The same policy and facts always give the same computation (nothing here reads a clock or a
random source), and `input_digest` is a hash of both, so a service can tell a re-run that changes
nothing from a recomputation after new facts (a late-approved justification), and record
`difference(previous)` instead of overwriting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError, validation_error

from .facts import DayFacts, EmployeeMonth, consistency_errors, parse_employee_month
from .money import ZERO, date_text, dates_text, month_text, percent_of, percent_text, plain, rupiah_text, span_text
from .policy import (
    AllowanceKind,
    Band,
    BlankDayParams,
    ConsecutiveBlankParams,
    NoReportMonthParams,
    Part,
    Policy,
    PredikatParams,
    PredikatSource,
    ReturnedEntriesParams,
    Rule,
    RuleKind,
    find_band,
)
from .predikat import LABELS

ENGINE_VERSION = "2"  # part of input_digest: bump when a change here can change a result

PART_ID = {Part.PERFORMANCE: "bagian kinerja", Part.DISCIPLINE: "bagian disiplin", Part.TOTAL: "tunjangan bruto"}
PART_EN = {Part.PERFORMANCE: "performance part", Part.DISCIPLINE: "discipline part", Part.TOTAL: "gross allowance"}
KIND_ID = {AllowanceKind.TUKIN: "Tunjangan kinerja (Tukin)", AllowanceKind.TPP: "Tambahan penghasilan pegawai (TPP)"}
KIND_EN = {AllowanceKind.TUKIN: "Performance allowance (Tukin)",
           AllowanceKind.TPP: "Additional employee income (TPP)"}
# Each rule kind's deduction column in the payroll file (payroll.py): Indonesian, English.
KIND_HEADINGS: dict[str, tuple[str, str]] = {
    RuleKind.BLANK_DAY: ("Potongan hari tanpa progres", "Blank-day deduction"),
    RuleKind.CONSECUTIVE_BLANK: ("Potongan hari berturut-turut", "Consecutive blank days deduction"),
    RuleKind.RETURNED_ENTRIES: ("Potongan entri dikembalikan", "Returned entries deduction"),
    RuleKind.NO_REPORT_MONTH: ("Potongan tanpa laporan sebulan", "No-report month deduction"),
    RuleKind.PREDIKAT: ("Potongan predikat", "Predikat deduction"),
}


@dataclass(frozen=True)
class DeductionLine:
    rule_index: int  # position of the rule in the policy
    kind: RuleKind
    applies_to: Part
    basis: Mapping[str, Any]  # the numbers it was computed from (JSON-safe)
    percent: Decimal  # of the part, deducted
    base: Decimal  # the part's amount the percent is taken of
    amount: Decimal  # whole rupiah
    explanation_id: str
    explanation_en: str
    reference: str | None = None

    @property
    def key(self) -> str:
        return f"{self.rule_index}:{self.kind.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_index, "kind": self.kind.value, "applies_to": self.applies_to.value,
                "basis": _json_safe(self.basis), "percent": plain(self.percent), "base": _money(self.base),
                "amount": _money(self.amount), "reference": self.reference,
                "explanation": {"id": self.explanation_id, "en": self.explanation_en}}


@dataclass(frozen=True)
class CapLine:
    scope: Part  # performance / discipline: that part; total: the whole gross
    cap_percent: Decimal
    limit: Decimal  # the most that may be deducted from the scope
    before: Decimal  # what the lines would have deducted from it
    amount: Decimal  # limit − before: negative, what is not deducted
    explanation_id: str
    explanation_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope.value, "cap_percent": plain(self.cap_percent), "limit": _money(self.limit),
                "before": _money(self.before), "amount": _money(self.amount),
                "explanation": {"id": self.explanation_id, "en": self.explanation_en}}


@dataclass(frozen=True)
class Change:
    field: str  # e.g. "net", "deductions[0:blank_day].amount", "deductions[2:predikat]" (added/removed)
    before: Any  # JSON-safe; None when added
    after: Any  # JSON-safe; None when removed

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Difference:
    """What a recomputation changed against the computation recorded before."""

    nip: str
    month: str  # YYYY-MM
    changes: tuple[Change, ...]
    net_before: Decimal
    net_after: Decimal
    inputs_changed: bool  # the facts or the policy differ (even if no amount does)
    summary_id: str
    summary_en: str

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def net_delta(self) -> Decimal:
        return self.net_after - self.net_before

    def to_dict(self) -> dict[str, Any]:
        return {"nip": self.nip, "month": self.month, "changed": self.changed, "inputs_changed": self.inputs_changed,
                "net_before": _money(self.net_before), "net_after": _money(self.net_after),
                "net_delta": _money(self.net_delta), "changes": [c.to_dict() for c in self.changes],
                "summary": {"id": self.summary_id, "en": self.summary_en}}


ABSENCE_ID = {"cuti": "cuti", "sakit": "sakit", "dinas_luar": "dinas luar"}
ABSENCE_EN = {"cuti": "leave", "sakit": "sick", "dinas_luar": "official travel"}
BLANK_RULES = (RuleKind.BLANK_DAY, RuleKind.CONSECUTIVE_BLANK)


@dataclass(frozen=True)
class BlankDays:
    """The blank days of the month and why each closed working day did or did not count."""

    closed_working_days: int
    counted: tuple[dt.date, ...]
    excused: tuple[tuple[dt.date, str], ...]  # (date, absence kind)
    obligation_start: dt.date | None
    rules: tuple[str, ...]  # the policy's rule kinds that deduct for blank days
    explanation_id: str
    explanation_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"closed_working_days": self.closed_working_days, "counted": [d.isoformat() for d in self.counted],
                "excused": [{"date": d.isoformat(), "absence": kind} for d, kind in self.excused],
                "obligation_start": None if self.obligation_start is None else self.obligation_start.isoformat(),
                "rules": list(self.rules), "explanation": {"id": self.explanation_id, "en": self.explanation_en}}


@dataclass(frozen=True)
class Computation:
    nip: str
    name: str
    kelas_jabatan: int
    year: int
    month: int
    agency_id: str
    allowance_kind: AllowanceKind
    policy_effective_from: dt.date
    performance_percent: Decimal
    discipline_percent: Decimal
    cap_percent: Decimal
    working_days: int
    gross: Decimal
    performance_part: Decimal
    discipline_part: Decimal
    lines: tuple[DeductionLine, ...]
    caps: tuple[CapLine, ...]
    total_deduction: Decimal
    net: Decimal
    summary_id: str
    summary_en: str
    input_digest: str
    blank_days: BlankDays | None = None

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def line(self, kind: RuleKind) -> DeductionLine | None:
        """The first line of a rule kind, if it applied."""
        return next((line for line in self.lines if line.kind is kind), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, the same keys in the same order every time; decimals (whole rupiah and exact
        percents) as strings."""
        return {
            "nip": self.nip, "name": self.name, "kelas_jabatan": self.kelas_jabatan, "month": self.month_key,
            "agency_id": self.agency_id, "allowance_kind": self.allowance_kind.value,
            "policy_effective_from": self.policy_effective_from.isoformat(),
            "split": {"performance": plain(self.performance_percent), "discipline": plain(self.discipline_percent)},
            "cap_percent": plain(self.cap_percent),
            "working_days": self.working_days,
            "gross": _money(self.gross), "performance_part": _money(self.performance_part),
            "discipline_part": _money(self.discipline_part),
            "deductions": [line.to_dict() for line in self.lines],
            "caps": [cap.to_dict() for cap in self.caps],
            "total_deduction": _money(self.total_deduction), "net": _money(self.net),
            "summary": {"id": self.summary_id, "en": self.summary_en},
            "blank_days": None if self.blank_days is None else self.blank_days.to_dict(),
            "input_digest": self.input_digest,
        }

    def difference(self, previous: Computation | Mapping[str, Any]) -> Difference:
        """What changed from `previous` (a Computation or its to_dict(), as recorded) to this one:
        the amounts, the deduction lines (added, removed, or changed in basis, percent or amount)
        and the caps. Raises ValueError when `previous` is another employee's or month's."""
        return difference(previous, self)


# --- the computation ----------------------------------------------------------------------------

def compute_month(policy: Policy, employee_facts: EmployeeMonth | Mapping[str, Any]) -> Computation:
    """The employee-month's allowance under `policy` (see the module). `employee_facts` is an
    EmployeeMonth or its plain form (facts.parse_employee_month). Refuses (422) facts of another
    agency, a month before the policy took effect, or a kelas jabatan without a base amount, and
    (409) a month with working days not yet closed."""
    facts = employee_facts if isinstance(employee_facts, EmployeeMonth) else parse_employee_month(employee_facts)
    errors = consistency_errors(facts)
    if errors:
        raise validation_error(errors, detail="The employee-month facts are not valid.",
                               detail_id="Data pegawai untuk bulan ini tidak valid.")
    _check_applies(policy, facts)

    gross = policy.base_amount(facts.kelas_jabatan)
    assert gross is not None
    performance = percent_of(gross, policy.performance_percent)
    bases = {Part.PERFORMANCE: performance, Part.DISCIPLINE: gross - performance, Part.TOTAL: gross}
    working = facts.working()

    lines: list[DeductionLine] = []
    for index, rule in enumerate(policy.rules):
        found = _apply(rule, facts, working)
        if found is None:
            continue
        percent, basis, text_id, text_en = found
        if percent <= ZERO:
            continue
        base = bases[rule.applies_to]
        amount = percent_of(base, percent)
        tail_id = f" dari {PART_ID[rule.applies_to]} {rupiah_text(base, 'id')} = {rupiah_text(amount, 'id')}"
        tail_en = f" of the {PART_EN[rule.applies_to]} {rupiah_text(base, 'en')} = {rupiah_text(amount, 'en')}"
        if rule.reference:
            tail_id += f" ({rule.reference})"
            tail_en += f" ({rule.reference})"
        lines.append(DeductionLine(index, rule.kind, rule.applies_to, MappingProxyType(basis), percent, base,
                                   amount, text_id + tail_id, text_en + tail_en, rule.reference))

    caps: list[CapLine] = []
    for part in (Part.PERFORMANCE, Part.DISCIPLINE):
        before = sum((line.amount for line in lines if line.applies_to is part), ZERO)
        limit = percent_of(bases[part], policy.cap_percent)
        if before > limit:
            caps.append(_cap(part, policy.cap_percent, limit, before))
    before_total = sum((line.amount for line in lines), ZERO) + sum((cap.amount for cap in caps), ZERO)
    limit_total = percent_of(gross, policy.cap_percent)
    if before_total > limit_total:
        caps.append(_cap(Part.TOTAL, policy.cap_percent, limit_total, before_total))
    total = sum((line.amount for line in lines), ZERO) + sum((cap.amount for cap in caps), ZERO)
    net = gross - total

    month_id, month_en = month_text(facts.year, facts.month, "id"), month_text(facts.year, facts.month, "en")
    summary_id = (f"{KIND_ID[policy.kind]} {month_id}, kelas jabatan {facts.kelas_jabatan}: bruto "
                  f"{rupiah_text(gross, 'id')} (bagian kinerja {percent_text(policy.performance_percent, 'id')} "
                  f"{rupiah_text(bases[Part.PERFORMANCE], 'id')}, bagian disiplin "
                  f"{percent_text(policy.discipline_percent, 'id')} {rupiah_text(bases[Part.DISCIPLINE], 'id')}); "
                  f"potongan {rupiah_text(total, 'id')}; diterima {rupiah_text(net, 'id')}.")
    summary_en = (f"{KIND_EN[policy.kind]} {month_en}, kelas jabatan {facts.kelas_jabatan}: gross "
                  f"{rupiah_text(gross, 'en')} (performance part {percent_text(policy.performance_percent, 'en')} "
                  f"{rupiah_text(bases[Part.PERFORMANCE], 'en')}, discipline part "
                  f"{percent_text(policy.discipline_percent, 'en')} {rupiah_text(bases[Part.DISCIPLINE], 'en')}); "
                  f"deductions {rupiah_text(total, 'en')}; net {rupiah_text(net, 'en')}.")
    return Computation(
        facts.nip, facts.name, facts.kelas_jabatan, facts.year, facts.month, policy.agency_id, policy.kind,
        policy.effective_from, policy.performance_percent, policy.discipline_percent, policy.cap_percent,
        len(working), gross, bases[Part.PERFORMANCE], bases[Part.DISCIPLINE], tuple(lines), tuple(caps), total, net,
        summary_id, summary_en, input_digest(policy, facts), blank_days(policy, facts, working))


def _rule_words(rule: Rule) -> tuple[str, str]:
    """How a blank-day rule reads in an explanation."""
    params = rule.params
    part_id, part_en = PART_ID[rule.applies_to], PART_EN[rule.applies_to]
    if isinstance(params, BlankDayParams) and params.percent is not None:
        words = (f"potongan {percent_text(params.percent, 'id')} dari {part_id} per hari",
                 f"a deduction of {percent_text(params.percent, 'en')} of the {part_en} per day")
    elif isinstance(params, BlankDayParams):
        bands_id = "; ".join(f"{b.label('id')} hari → {percent_text(b.percent, 'id')}" for b in params.bands)
        bands_en = "; ".join(f"{b.label('en')} days → {percent_text(b.percent, 'en')}" for b in params.bands)
        words = (f"potongan dari {part_id} menurut jumlah hari ({bands_id})",
                 f"a deduction of the {part_en} by the number of days ({bands_en})")
    else:
        assert isinstance(params, ConsecutiveBlankParams)
        words = (f"{params.threshold_days} hari kerja berturut-turut → potongan {percent_text(params.percent, 'id')} "
                 f"dari {part_id}",
                 f"{params.threshold_days} consecutive working days → a deduction of "
                 f"{percent_text(params.percent, 'en')} of the {part_en}")
    if rule.reference:
        return f"{words[0]} ({rule.reference})", f"{words[1]} ({rule.reference})"
    return words


def blank_days(policy: Policy, facts: EmployeeMonth, working: tuple[DayFacts, ...]) -> BlankDays:
    """The month's blank days explained (see the module, step 5)."""
    counted = tuple(d.date for d in working if d.blank)
    excused = tuple((d.date, d.absence.value) for d in working if d.justified and d.absence is not None)
    rules = tuple(r for r in policy.rules if r.kind in BLANK_RULES)
    start = facts.obligation_start
    head_id = f"{_days_id(len(working))} bulan ini sudah ditutup."
    head_en = f"{_days_en(len(working))} of the month closed."
    if counted:
        rules_id = " dan ".join(_rule_words(r)[0] for r in rules)
        rules_en = " and ".join(_rule_words(r)[1] for r in rules)
        count_id = (f"{len(counted)} hari belum diisi tanpa keterangan dihitung ({dates_text(counted, 'id')})"
                    + (f" menurut aturan {rules_id}." if rules else
                       ", tetapi kebijakan instansi tidak memotong tunjangan untuk hari yang belum diisi."))
        count_en = (f"{_days_en(len(counted))} without daily progress or justification counted "
                    f"({dates_text(counted, 'en')})"
                    + (f" under the rule of {rules_en}." if rules else
                       ", but the agency's policy deducts nothing for blank days."))
    else:
        count_id = "Tidak ada hari kerja yang belum diisi tanpa keterangan."
        count_en = "No working day without daily progress or justification."
    parts_id, parts_en = [head_id, count_id], [head_en, count_en]
    if excused:
        listed_id = ", ".join(f"{date_text(d, 'id')}: {ABSENCE_ID.get(k, k)}" for d, k in excused)
        listed_en = ", ".join(f"{date_text(d, 'en')}: {ABSENCE_EN.get(k, k)}" for d, k in excused)
        parts_id.append(f"{len(excused)} hari tidak dihitung karena ketidakhadiran yang sah ({listed_id}).")
        parts_en.append(f"{_days_en(len(excused))} not counted for a justified absence ({listed_en}).")
    if start is not None and start > facts.first_day:
        parts_id.append(f"Kewajiban mengisi progres harian berlaku mulai {date_text(start, 'id')}: hari kerja "
                        "sebelumnya tidak dihitung.")
        parts_en.append(f"Daily progress has been owed from {date_text(start, 'en')}: working days before it are "
                        "not counted.")
    elif start is not None:
        parts_id.append(f"Kewajiban mengisi progres harian berlaku sejak {date_text(start, 'id')}.")
        parts_en.append(f"Daily progress has been owed since {date_text(start, 'en')}.")
    parts_id.append("Hari kerja yang belum ditutup (masih dapat diisi) tidak dihitung.")
    parts_en.append("Working days not closed yet (still open for entries) are not counted.")
    return BlankDays(len(working), counted, excused, start, tuple(r.kind.value for r in rules),
                     " ".join(parts_id), " ".join(parts_en))


def input_digest(policy: Policy, facts: EmployeeMonth) -> str:
    """sha256 of the engine version, the policy and the facts in canonical JSON."""
    text = f'{{"engine":"{ENGINE_VERSION}","facts":{facts.canonical_json()},"policy":{policy.canonical_json}}}'
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_applies(policy: Policy, facts: EmployeeMonth) -> None:
    errors: list[FieldError] = []
    if facts.agency_id is not None and facts.agency_id != policy.agency_id:
        errors.append(FieldError("agency_id", "same-agency",
                                 f"The employee is of agency {facts.agency_id}, the policy of {policy.agency_id}.",
                                 f"Pegawai berada di instansi {facts.agency_id}, kebijakan milik {policy.agency_id}."))
    if policy.effective_from > facts.first_day:
        errors.append(FieldError("month", "policy-in-force",
                                 f"The policy takes effect on {policy.effective_from.isoformat()}, after the start of "
                                 f"{facts.month_key}: compute the month with the version in force on its first day.",
                                 f"Kebijakan berlaku mulai {policy.effective_from.isoformat()}, sesudah awal bulan "
                                 f"{facts.month_key}: hitung bulan itu dengan versi yang berlaku pada hari "
                                 "pertamanya."))
    if policy.base_amount(facts.kelas_jabatan) is None:
        known = ", ".join(str(k) for k in policy.base_amounts)
        errors.append(FieldError("kelas_jabatan", "has-base-amount",
                                 f"The policy of {policy.agency_id} has no base amount for kelas jabatan "
                                 f"{facts.kelas_jabatan} (it has: {known}).",
                                 f"Kebijakan {policy.agency_id} tidak memuat besaran untuk kelas jabatan "
                                 f"{facts.kelas_jabatan} (yang ada: {known})."))
    if errors:
        raise validation_error(errors, detail="The policy cannot be applied to this employee-month.",
                               detail_id="Kebijakan tidak dapat diterapkan pada data pegawai bulan ini.")
    missing = facts.missing_days()
    if missing:
        listed = ", ".join(d.isoformat() for d in missing)
        raise DomainError(code="tukin-month-incomplete", status=409, title="Month not closed",
                          detail=f"{len(missing)} working day(s) of {facts.month_key} are not closed yet for "
                                 f"{facts.nip}: {listed}.",
                          detail_id=f"{len(missing)} hari kerja bulan {facts.month_key} belum ditutup untuk "
                                    f"{facts.nip}: {listed}.",
                          extra={"missing_days": [d.isoformat() for d in missing]})


def _cap(scope: Part, cap_percent: Decimal, limit: Decimal, before: Decimal) -> CapLine:
    cap_id, cap_en = percent_text(cap_percent, "id"), percent_text(cap_percent, "en")
    given_back = before - limit
    return CapLine(
        scope, cap_percent, limit, before, limit - before,
        f"Jumlah potongan dari {PART_ID[scope]} {rupiah_text(before, 'id')} melebihi batas {cap_id} "
        f"({rupiah_text(limit, 'id')}), sehingga dibatasi menjadi {rupiah_text(limit, 'id')}: "
        f"{rupiah_text(given_back, 'id')} tidak dipotong",
        f"Deductions from the {PART_EN[scope]} of {rupiah_text(before, 'en')} exceed the cap of {cap_en} "
        f"({rupiah_text(limit, 'en')}), so they are limited to {rupiah_text(limit, 'en')}: "
        f"{rupiah_text(given_back, 'en')} is not deducted")


# --- the rules ----------------------------------------------------------------------------------

_Found = tuple[Decimal, dict[str, Any], str, str]  # percent deducted, basis, explanation id/en (head)


def _apply(rule: Rule, facts: EmployeeMonth, working: tuple[DayFacts, ...]) -> _Found | None:
    params = rule.params
    if isinstance(params, BlankDayParams):
        return _blank_days(params, working)
    if isinstance(params, ConsecutiveBlankParams):
        return _consecutive(params, working)
    if isinstance(params, ReturnedEntriesParams):
        return _returned(params, facts.returned_entries)
    if isinstance(params, NoReportMonthParams):
        return _no_report(params, facts, working)
    if isinstance(params, PredikatParams):
        return _predikat(params, facts)
    raise TypeError(f"unknown rule parameters {type(params).__name__}")


def _days_id(n: int) -> str:
    return f"{n} hari kerja"


def _days_en(n: int) -> str:
    return f"{n} working day" + ("" if n == 1 else "s")


def _blank_days(params: BlankDayParams, working: tuple[DayFacts, ...]) -> _Found | None:
    blank = [d.date for d in working if d.blank]
    if not blank:
        return None
    n = len(blank)
    basis: dict[str, Any] = {"blank_days": [d.isoformat() for d in blank], "count": n}
    head_id = f"{_days_id(n)} tanpa progres harian dan tanpa keterangan ({dates_text(blank, 'id')})"
    head_en = f"{_days_en(n)} without daily progress and without justification ({dates_text(blank, 'en')})"
    if params.percent is not None:
        percent = params.percent * n
        basis["percent_per_day"] = plain(params.percent)
        return (percent, basis,
                f"{head_id} × {percent_text(params.percent, 'id')} = {percent_text(percent, 'id')}",
                f"{head_en} × {percent_text(params.percent, 'en')} = {percent_text(percent, 'en')}")
    band = find_band(params.bands, n)
    if band is None:
        return None
    basis["band"] = band.to_dict()
    return (band.percent, basis,
            f"{head_id}, rentang {band.label('id')} hari → {percent_text(band.percent, 'id')}",
            f"{head_en}, band {band.label('en')} days → {percent_text(band.percent, 'en')}")


def longest_blank_run(working: tuple[DayFacts, ...]) -> tuple[DayFacts, ...]:
    """The longest run of consecutive blank working days (the earliest of equal runs). Only
    working days are given, so a weekend or holiday between two blank days does not break the
    run; a day with entries or with a justified absence does."""
    best: tuple[DayFacts, ...] = ()
    current: list[DayFacts] = []
    for day in working:
        if day.blank:
            current.append(day)
            if len(current) > len(best):
                best = tuple(current)
        else:
            current = []
    return best


def _consecutive(params: ConsecutiveBlankParams, working: tuple[DayFacts, ...]) -> _Found | None:
    run = longest_blank_run(working)
    if len(run) < params.threshold_days:
        return None
    first, last = run[0].date, run[-1].date
    basis = {"longest_run": len(run), "run_first": first.isoformat(), "run_last": last.isoformat(),
             "threshold_days": params.threshold_days}
    return (params.percent, basis,
            f"{_days_id(len(run))} berturut-turut tanpa progres harian dan tanpa keterangan "
            f"({span_text(first, last, 'id')}), mencapai batas {params.threshold_days} hari → "
            f"{percent_text(params.percent, 'id')}",
            f"{len(run)} consecutive working days without daily progress and without justification "
            f"({span_text(first, last, 'en')}), reaching the limit of {params.threshold_days} days → "
            f"{percent_text(params.percent, 'en')}")


def _band_words(band: Band, paid: bool, deducted: Decimal) -> tuple[str, str]:
    if paid:
        return (f"rentang {band.label('id')}: dibayar {percent_text(band.percent, 'id')}) → potongan "
                f"{percent_text(deducted, 'id')}",
                f"band {band.label('en')}: {percent_text(band.percent, 'en')} paid) → deduction "
                f"{percent_text(deducted, 'en')}")
    return (f"rentang {band.label('id')}) → potongan {percent_text(deducted, 'id')}",
            f"band {band.label('en')}) → deduction {percent_text(deducted, 'en')}")


def _returned(params: ReturnedEntriesParams, count: int) -> _Found | None:
    band = find_band(params.bands, count)
    if band is None:
        return None
    deducted = params.basis.deducted(band.percent)
    basis = {"returned_entries": count, "band": band.to_dict(), "band_basis": params.basis.value}
    words_id, words_en = _band_words(band, params.basis.value == "paid", deducted)
    entries_en = "entry" if count == 1 else "entries"
    return (deducted, basis,
            f"{count} entri progres harian dikembalikan atasan dalam bulan ini ({words_id}",
            f"{count} daily progress {entries_en} returned by the supervisor this month ({words_en}")


def _no_report(params: NoReportMonthParams, facts: EmployeeMonth, working: tuple[DayFacts, ...]) -> _Found | None:
    required = [d for d in working if not d.justified]
    if not required or any(d.reported for d in working):
        return None
    basis = {"reported_days": 0, "days_requiring_report": len(required), "working_days": len(working)}
    month_id, month_en = month_text(facts.year, facts.month, "id"), month_text(facts.year, facts.month, "en")
    return (params.percent, basis,
            f"Tidak ada satu pun laporan progres harian yang diajukan dalam {month_id} "
            f"({_days_id(len(required))} wajib lapor) → {percent_text(params.percent, 'id')}",
            f"Not one daily progress report submitted in {month_en} "
            f"({_days_en(len(required))} requiring one) → {percent_text(params.percent, 'en')}")


def _predikat(params: PredikatParams, facts: EmployeeMonth) -> _Found | None:
    paid = params.basis.value == "paid"
    if params.source is PredikatSource.PREVIOUS_YEAR:
        year: int | None = facts.year - 1
        value = facts.predikat_history.get(facts.year - 1)
        what_id, what_en = f"Predikat tahunan {year}", f"Annual predikat of {year}"
    else:
        year = None
        value = facts.predikat
        what_id, what_en = "Predikat evaluasi terakhir", "Latest evaluation predikat"
    basis: dict[str, Any] = {"predikat": None if value is None else value.value, "source": params.source.value,
                             "year": year, "percent_basis": params.basis.value}
    if value is None:
        if params.no_evaluation is None:
            return None
        given = params.no_evaluation
        head_id = (f"Belum ada predikat tahunan {year}" if year is not None
                   else "Belum ada evaluasi kinerja (predikat)")
        head_en = (f"No annual predikat for {year}" if year is not None
                   else "No performance evaluation (predikat) yet")
    else:
        found = params.percents.get(value)
        if found is None:
            return None
        given = found
        head_id, head_en = f"{what_id} {LABELS[value]}", f"{what_en} {LABELS[value]}"
    deducted = params.basis.deducted(given)
    basis["percent_given"] = plain(given)
    if paid:
        return (deducted, basis,
                f"{head_id}: dibayar {percent_text(given, 'id')} → potongan {percent_text(deducted, 'id')}",
                f"{head_en}: {percent_text(given, 'en')} paid → deduction {percent_text(deducted, 'en')}")
    return (deducted, basis, f"{head_id} → potongan {percent_text(deducted, 'id')}",
            f"{head_en} → deduction {percent_text(deducted, 'en')}")


# --- the difference ------------------------------------------------------------------------------

_COMPARED = ("name", "kelas_jabatan", "agency_id", "allowance_kind", "policy_effective_from", "split", "cap_percent",
             "working_days", "gross", "performance_part", "discipline_part", "total_deduction", "net")
_LINE_FIELDS = ("applies_to", "basis", "percent", "base", "amount")
_CAP_FIELDS = ("cap_percent", "limit", "before", "amount")


def difference(previous: Computation | Mapping[str, Any], current: Computation | Mapping[str, Any]) -> Difference:
    """What changed from `previous` to `current` (each a Computation or its to_dict())."""
    before = previous.to_dict() if isinstance(previous, Computation) else dict(previous)
    after = current.to_dict() if isinstance(current, Computation) else dict(current)
    if (before.get("nip"), before.get("month")) != (after.get("nip"), after.get("month")):
        raise ValueError(f"cannot compare {before.get('nip')} {before.get('month')} with "
                         f"{after.get('nip')} {after.get('month')}")
    changes: list[Change] = []
    for key in _COMPARED:
        if before.get(key) != after.get(key):
            changes.append(Change(key, before.get(key), after.get(key)))
    changes += _keyed_changes("deductions", before.get("deductions") or [], after.get("deductions") or [],
                              lambda d: f"{d['rule']}:{d['kind']}", _LINE_FIELDS)
    changes += _keyed_changes("caps", before.get("caps") or [], after.get("caps") or [],
                              lambda c: str(c["scope"]), _CAP_FIELDS)
    net_before, net_after = Decimal(before["net"]), Decimal(after["net"])
    month = str(after["month"])
    year, month_number = int(month[:4]), int(month[5:7])
    if changes:
        delta = net_after - net_before
        sign = "+" if delta > 0 else ("-" if delta < 0 else "±")
        summary_id = (f"Perhitungan {month_text(year, month_number, 'id')} dihitung ulang: diterima berubah dari "
                      f"{rupiah_text(net_before, 'id')} menjadi {rupiah_text(net_after, 'id')} "
                      f"({sign}{rupiah_text(abs(delta), 'id')}); {len(changes)} perubahan tercatat.")
        summary_en = (f"{month_text(year, month_number, 'en')} recomputed: net changed from "
                      f"{rupiah_text(net_before, 'en')} to {rupiah_text(net_after, 'en')} "
                      f"({sign}{rupiah_text(abs(delta), 'en')}); {len(changes)} change(s) recorded.")
    else:
        summary_id = (f"Perhitungan {month_text(year, month_number, 'id')} dihitung ulang tanpa perubahan: diterima "
                      f"tetap {rupiah_text(net_after, 'id')}.")
        summary_en = (f"{month_text(year, month_number, 'en')} recomputed without change: net stays "
                      f"{rupiah_text(net_after, 'en')}.")
    return Difference(str(after["nip"]), month, tuple(changes), net_before, net_after,
                      before.get("input_digest") != after.get("input_digest"), summary_id, summary_en)


def _keyed_changes(name: str, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]], key: Any,
                   fields: tuple[str, ...]) -> list[Change]:
    old = {key(item): item for item in before}
    new = {key(item): item for item in after}
    changes: list[Change] = []
    for k in [*old, *(k for k in new if k not in old)]:
        if k not in new:
            changes.append(Change(f"{name}[{k}]", _json_safe(old[k]), None))
        elif k not in old:
            changes.append(Change(f"{name}[{k}]", None, _json_safe(new[k])))
        else:
            for f in fields:
                if old[k].get(f) != new[k].get(f):
                    changes.append(Change(f"{name}[{k}].{f}", _json_safe(old[k].get(f)), _json_safe(new[k].get(f))))
    return changes


# --- JSON -----------------------------------------------------------------------------------------

def _money(amount: Decimal) -> str:
    return str(int(amount))


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

