"""An agency's allowance policy as data (docs/domain.md "Tukin / TPP": there is no national formula).

One policy is one version of one agency's rules, in force from `effective_from` until the next
version of the same agency starts:

```yaml
agency_id: kemendemo
kind: tukin                  # tukin (ministries, institutions) | tpp (regional governments)
effective_from: 2026-01-01
name: Tunjangan Kinerja Kementerian Pendayagunaan Demo   # optional
reference: Permen ... 2025                                # optional, the legal basis
base_amounts: {1: 1968000, 2: 2089000, ...}              # kelas jabatan (1..27) -> whole rupiah
split: {performance: 60, discipline: 40}                 # percent of the base; adds up to 100
cap_percent: 100                                         # optional, default 100 (see below)
rules:
  - kind: blank_day
    applies_to: discipline   # performance | discipline | total (the whole base)
    params: {percent: 2.5}
    reference: Permendikdasmen 14/2025                    # optional
```

Rule kinds and their parameters (every percent is of the part named by `applies_to`):

- `blank_day`: a blank working day is one with no daily entry and no justified absence (the
  `harian.day_closed` status `belum_diisi`). Either `percent` deducted per blank day, or `bands`
  of the number of blank days (each band's `percent` deducted).
- `consecutive_blank`: `threshold_days` (1..31) and `percent`: when the month's longest run of
  consecutive blank WORKING days reaches the threshold, `percent` is deducted. Weekends and
  holidays are not working days, so they neither count nor break a run; a working day with an
  entry or with a justified absence (cuti, sakit, dinas luar) breaks it: the absence then was not
  "without reason" on consecutive days. Runs are counted inside the month.
- `returned_entries`: `bands` of the number of daily entries returned (dikembalikan) in the
  month, and `basis`: `deducted` (default: a band's percent is what is deducted) or `paid` (a
  band's percent is what is still paid: 90 means 10 deducted; docs/domain.md's "1–5 / 6–10 / >10 →
  90 / 85 / 80% of the performance part" is `basis: paid` with percents 90, 85, 80).
- `no_report_month`: `percent` deducted when the month had working days needing a report and
  not one daily report was submitted (no day diajukan, disetujui or dikembalikan; drafts never
  submitted are not reports). A month wholly covered by justified absences is not such a month.
- `predikat`: `percents` per predikat (e.g. {kurang: 1, sangat_kurang: 2}); `basis` deducted
  (default) or paid (e.g. {butuh_perbaikan: 90, kurang: 85, sangat_kurang: 80}); `source`:
  `latest` (default: the latest evaluation received) or `previous_year` (the annual predikat of
  the year before the month: "next year paid 90/85/80%"); optional `no_evaluation`: the percent
  (in the same basis) when there is no such predikat. A predikat not listed costs nothing.

Bands are {from, to, percent} over whole counts: `from` >= 1, `to` inclusive or null (no upper
bound, last band only), each band starting right after the previous one (no gaps, no overlaps).
A count below the first band costs nothing.

The cap (`cap_percent`, default 100): the deductions from each part (performance, discipline)
never exceed cap% of that part, and all deductions together never exceed cap% of the base. With
the default this means a part can be cut to zero but no further, and the whole allowance likewise.

Every percent is exact (up to 4 decimal places); base amounts are whole rupiah. Every broken
rule of a policy is reported at once, each with its path (`rules[2].params.bands[0].from`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ekinerja_kernel.errors import DomainError, FieldError, validation_error

from .money import HUNDRED, ZERO, plain
from .predikat import ORDER, Predikat, read_predikat

KELAS_MIN, KELAS_MAX = 1, 27  # as sync accepts kelas jabatan (SIASN: 1..17, some agencies' peringkat to 27)
MAX_BASE_AMOUNT = 10**10  # ten billion rupiah a month: anything above is a typo
MAX_PERCENT_PLACES = 4
MAX_BANDS = 20
MAX_RULES = 50
MAX_TEXT = 300
MAX_THRESHOLD_DAYS = 31
DEMO_POLICIES_DIR = Path(__file__).parent / "policies"


class AllowanceKind(StrEnum):
    TUKIN = "tukin"  # tunjangan kinerja: ministries and institutions
    TPP = "tpp"  # tambahan penghasilan pegawai: regional governments


class Part(StrEnum):
    """What a rule's percent is taken of."""

    PERFORMANCE = "performance"  # bagian kinerja
    DISCIPLINE = "discipline"  # bagian disiplin
    TOTAL = "total"  # the whole base amount (tunjangan bruto)


class RuleKind(StrEnum):
    BLANK_DAY = "blank_day"
    CONSECUTIVE_BLANK = "consecutive_blank"
    RETURNED_ENTRIES = "returned_entries"
    NO_REPORT_MONTH = "no_report_month"
    PREDIKAT = "predikat"


class Basis(StrEnum):
    """How the percents of a banded or per-predikat rule are written."""

    DEDUCTED = "deducted"  # the percent of the part that is deducted
    PAID = "paid"  # the percent of the part still paid: 100 - percent is deducted

    def deducted(self, percent: Decimal) -> Decimal:
        return percent if self is Basis.DEDUCTED else HUNDRED - percent


class PredikatSource(StrEnum):
    LATEST = "latest"  # the latest evaluation received (skp.evaluated)
    PREVIOUS_YEAR = "previous_year"  # the annual predikat of the year before the month


@dataclass(frozen=True)
class Band:
    low: int  # "from", inclusive
    high: int | None  # "to", inclusive; None: no upper bound
    percent: Decimal

    def contains(self, count: int) -> bool:
        return count >= self.low and (self.high is None or count <= self.high)

    def label(self, lang: str) -> str:
        """"6–10"; an open band "> 10" (id: "> 10" too), or "≥ 1" when it starts at 1."""
        if self.high is None:
            return f"> {self.low - 1}" if self.low > 1 else "≥ 1"
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.low, "to": self.high, "percent": plain(self.percent)}


def find_band(bands: Iterable[Band], count: int) -> Band | None:
    return next((b for b in bands if b.contains(count)), None)


@dataclass(frozen=True)
class BlankDayParams:
    percent: Decimal | None = None  # per blank day
    bands: tuple[Band, ...] = ()  # or by the number of blank days

    def to_dict(self) -> dict[str, Any]:
        if self.percent is not None:
            return {"percent": plain(self.percent)}
        return {"bands": [b.to_dict() for b in self.bands]}


@dataclass(frozen=True)
class ConsecutiveBlankParams:
    threshold_days: int
    percent: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"threshold_days": self.threshold_days, "percent": plain(self.percent)}


@dataclass(frozen=True)
class ReturnedEntriesParams:
    bands: tuple[Band, ...]
    basis: Basis = Basis.DEDUCTED

    def to_dict(self) -> dict[str, Any]:
        return {"bands": [b.to_dict() for b in self.bands], "basis": self.basis.value}


@dataclass(frozen=True)
class NoReportMonthParams:
    percent: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"percent": plain(self.percent)}


@dataclass(frozen=True)
class PredikatParams:
    percents: Mapping[Predikat, Decimal]
    basis: Basis = Basis.DEDUCTED
    source: PredikatSource = PredikatSource.LATEST
    no_evaluation: Decimal | None = None

    def __post_init__(self) -> None:
        ordered = {p: self.percents[p] for p in ORDER if p in self.percents}
        object.__setattr__(self, "percents", MappingProxyType(ordered))

    def to_dict(self) -> dict[str, Any]:
        return {"percents": {p.value: plain(v) for p, v in self.percents.items()}, "basis": self.basis.value,
                "source": self.source.value,
                "no_evaluation": None if self.no_evaluation is None else plain(self.no_evaluation)}


RuleParams = BlankDayParams | ConsecutiveBlankParams | ReturnedEntriesParams | NoReportMonthParams | PredikatParams


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    applies_to: Part
    params: RuleParams
    reference: str | None = None  # legal basis shown with the line

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "applies_to": self.applies_to.value, "params": self.params.to_dict(),
                "reference": self.reference}


@dataclass(frozen=True)
class Policy:
    agency_id: str
    kind: AllowanceKind
    effective_from: dt.date
    base_amounts: Mapping[int, Decimal]  # kelas jabatan -> whole rupiah a month
    performance_percent: Decimal
    discipline_percent: Decimal
    rules: tuple[Rule, ...] = ()
    cap_percent: Decimal = HUNDRED
    name: str | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_amounts", MappingProxyType(dict(sorted(self.base_amounts.items()))))
        object.__setattr__(self, "rules", tuple(self.rules))

    def base_amount(self, kelas_jabatan: int) -> Decimal | None:
        return self.base_amounts.get(kelas_jabatan)

    @cached_property
    def canonical_json(self) -> str:
        """to_dict() as compact JSON with sorted keys (what input digests hash), computed once."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain JSON (decimals as strings); `parse_policy` reads it back."""
        return {
            "agency_id": self.agency_id,
            "kind": self.kind.value,
            "effective_from": self.effective_from.isoformat(),
            "name": self.name,
            "reference": self.reference,
            "base_amounts": {str(k): plain(v) for k, v in self.base_amounts.items()},
            "split": {"performance": plain(self.performance_percent), "discipline": plain(self.discipline_percent)},
            "cap_percent": plain(self.cap_percent),
            "rules": [r.to_dict() for r in self.rules],
        }


# --- parsing -------------------------------------------------------------------------------------

_INT_TEXT = re.compile(r"^[0-9]{1,12}$")
_DECIMAL_TEXT = re.compile(r"^[0-9]{1,6}(\.[0-9]+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOP_KEYS = ("agency_id", "kind", "effective_from", "name", "reference", "base_amounts", "split", "cap_percent",
             "rules")
_RULE_KEYS = ("kind", "applies_to", "params", "reference")
_PARAM_KEYS = {
    RuleKind.BLANK_DAY: ("percent", "bands"),
    RuleKind.CONSECUTIVE_BLANK: ("threshold_days", "percent"),
    RuleKind.RETURNED_ENTRIES: ("bands", "basis"),
    RuleKind.NO_REPORT_MONTH: ("percent",),
    RuleKind.PREDIKAT: ("percents", "basis", "source", "no_evaluation"),
}


class _Reader:
    """Reads raw values, collecting every error with its path instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, path: str, rule: str, en: str, id_: str) -> None:
        self.errors.append(FieldError(path, rule, en, id_))

    def mapping(self, value: Any, path: str, *, required: bool = True) -> Mapping[Any, Any] | None:
        if value is None and not required:
            return None
        if value is None:
            self.fail(path, "required", f"{path} is required.", f"{path} wajib diisi.")
            return None
        if not isinstance(value, Mapping):
            self.fail(path, "object", f"{path} must be an object (key: value).",
                      f"{path} harus berupa objek (kunci: nilai).")
            return None
        return value

    def only(self, raw: Mapping[Any, Any], allowed: Iterable[str], path: str) -> None:
        allowed = tuple(allowed)
        for key in raw:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.fail(where, "unknown", f"{where} is not a known setting (known: {', '.join(allowed)}).",
                          f"{where} bukan pengaturan yang dikenal (yang dikenal: {', '.join(allowed)}).")

    def text(self, value: Any, path: str, *, required: bool) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(path, "required", f"{path} is required.", f"{path} wajib diisi.")
            return None
        if not isinstance(value, str):
            self.fail(path, "text", f"{path} must be text.", f"{path} harus berupa teks.")
            return None
        value = value.strip()
        if len(value) > MAX_TEXT:
            self.fail(path, "max-length", f"{path} is at most {MAX_TEXT} characters.",
                      f"{path} paling banyak {MAX_TEXT} karakter.")
            return None
        return value

    def choice(self, value: Any, cls: type[StrEnum], path: str, default: StrEnum | None = None) -> Any:
        if value is None and default is not None:
            return default
        allowed = ", ".join(m.value for m in cls)
        if value is None:
            self.fail(path, "required", f"{path} is required (one of: {allowed}).",
                      f"{path} wajib diisi (salah satu dari: {allowed}).")
            return None
        try:
            return cls(value)
        except ValueError:
            self.fail(path, "one-of", f"{path} must be one of: {allowed}.", f"{path} harus salah satu dari: {allowed}.")
            return None

    def date(self, value: Any, path: str) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value  # YAML reads 2026-01-01 as a date already
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if value is None:
            self.fail(path, "required", f"{path} is required (a date, YYYY-MM-DD).",
                      f"{path} wajib diisi (tanggal, YYYY-MM-DD).")
        else:
            self.fail(path, "date", f"{path} must be a real date written YYYY-MM-DD.",
                      f"{path} harus tanggal yang benar dengan format YYYY-MM-DD.")
        return None

    def integer(self, value: Any, path: str, low: int, high: int, *, what: str = "", what_id: str = "") -> int | None:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INT_TEXT.match(value.strip()):
            number = int(value.strip())
        if number is None or not low <= number <= high:
            if value is None:
                self.fail(path, "required", f"{path} is required.", f"{path} wajib diisi.")
            else:
                self.fail(path, "range", f"{path} must be a whole number{what} from {low} to {high}.",
                          f"{path} harus bilangan bulat{what_id} dari {low} sampai {high}.")
            return None
        return number

    def percent(self, value: Any, path: str, *, positive: bool = False, required: bool = True) -> Decimal | None:
        """A percentage 0..100 (above 0 when `positive`), as a number or text, at most 4 decimals."""
        if value is None and not required:
            return None
        number: Decimal | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))  # 2.5 -> Decimal("2.5"), never the binary expansion
        elif isinstance(value, Decimal):
            number = value
        elif isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
            number = Decimal(value.strip())
        low = "above 0" if positive else "from 0"
        low_id = "lebih dari 0" if positive else "dari 0"
        if value is None:
            self.fail(path, "required", f"{path} is required (a percentage {low} to 100).",
                      f"{path} wajib diisi (persentase {low_id} sampai 100).")
            return None
        try:
            ok = (number is not None and number.is_finite() and ZERO <= number <= HUNDRED
                  and not (positive and number == ZERO))
        except InvalidOperation:
            ok = False
        if not ok:
            self.fail(path, "percent", f"{path} must be a percentage {low} to 100.",
                      f"{path} harus persentase {low_id} sampai 100.")
            return None
        assert number is not None
        if -number.as_tuple().exponent > MAX_PERCENT_PLACES and number != number.quantize(Decimal(10) ** -4):
            self.fail(path, "precision", f"{path} has at most {MAX_PERCENT_PLACES} decimal places.",
                      f"{path} paling banyak {MAX_PERCENT_PLACES} angka di belakang koma.")
            return None
        return number.normalize() if number != ZERO else ZERO

    def rupiah(self, value: Any, path: str) -> Decimal | None:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INT_TEXT.match(value.strip()):
            number = int(value.strip())
        elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            number = int(value)
        if number is None or not 1 <= number <= MAX_BASE_AMOUNT:
            self.fail(path, "rupiah", f"{path} must be a whole number of rupiah from 1 to {MAX_BASE_AMOUNT:,}.",
                      f"{path} harus bilangan bulat rupiah dari 1 sampai {MAX_BASE_AMOUNT:,}.".replace(",", "."))
            return None
        return Decimal(number)

    def bands(self, value: Any, path: str) -> tuple[Band, ...]:
        if value is None:
            self.fail(path, "required", f"{path} is required (a list of {{from, to, percent}}).",
                      f"{path} wajib diisi (daftar {{from, to, percent}}).")
            return ()
        if not isinstance(value, list) or not value:
            self.fail(path, "list", f"{path} must be a non-empty list of {{from, to, percent}}.",
                      f"{path} harus berupa daftar {{from, to, percent}} yang tidak kosong.")
            return ()
        if len(value) > MAX_BANDS:
            self.fail(path, "max-items", f"{path} has at most {MAX_BANDS} bands.",
                      f"{path} paling banyak {MAX_BANDS} rentang.")
            return ()
        result: list[Band] = []
        previous_high: int | None = None
        previous_open = False
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            raw = self.mapping(item, where)
            if raw is None:
                previous_high, previous_open = None, False
                continue
            self.only(raw, ("from", "to", "percent"), where)
            low = self.integer(raw.get("from"), f"{where}.from", 1, 10_000)
            high: int | None = None
            if raw.get("to") is not None:
                high = self.integer(raw.get("to"), f"{where}.to", 1, 10_000)
                if high is not None and low is not None and high < low:
                    self.fail(f"{where}.to", "order", f"{where}.to must not be less than {where}.from ({low}).",
                              f"{where}.to tidak boleh kurang dari {where}.from ({low}).")
                    high = None
            percent = self.percent(raw.get("percent"), f"{where}.percent")
            if previous_open:
                self.fail(f"{where}.from", "after-open-band",
                          f"{path}[{i - 1}] has no upper bound (to: null), so no band can follow it.",
                          f"{path}[{i - 1}] tidak memiliki batas atas (to: null), jadi tidak boleh ada rentang "
                          "sesudahnya.")
            elif previous_high is not None and low is not None and low != previous_high + 1:
                self.fail(f"{where}.from", "contiguous",
                          f"{where}.from must be {previous_high + 1}, right after the previous band "
                          "(no gaps, no overlaps).",
                          f"{where}.from harus {previous_high + 1}, tepat sesudah rentang sebelumnya "
                          "(tanpa celah dan tumpang tindih).")
            previous_open = raw.get("to") is None and low is not None
            previous_high = high
            if low is not None and percent is not None and (high is not None or raw.get("to") is None):
                result.append(Band(low, high, percent))
        return tuple(result) if len(result) == len(value) else ()


def parse_policy(raw: Any) -> Policy:
    """A policy from its plain form (see the module's documentation), or one 422 problem listing
    every broken rule, each naming its field path."""
    r = _Reader()
    top = r.mapping(raw, "policy")
    if top is None:
        raise _invalid(r.errors)
    r.only(top, _TOP_KEYS, "")

    agency_id = r.text(top.get("agency_id"), "agency_id", required=True)
    kind = r.choice(top.get("kind"), AllowanceKind, "kind")
    effective_from = r.date(top.get("effective_from"), "effective_from")
    name = r.text(top.get("name"), "name", required=False)
    reference = r.text(top.get("reference"), "reference", required=False)
    base_amounts = _base_amounts(r, top.get("base_amounts"))

    performance = discipline = None
    split = r.mapping(top.get("split"), "split")
    if split is not None:
        r.only(split, ("performance", "discipline"), "split")
        performance = r.percent(split.get("performance"), "split.performance")
        discipline = r.percent(split.get("discipline"), "split.discipline")
        if performance is not None and discipline is not None and performance + discipline != HUNDRED:
            r.fail("split", "sum-100",
                   f"split.performance + split.discipline must be 100 (is {plain(performance + discipline)}).",
                   f"split.performance + split.discipline harus 100 (sekarang {plain(performance + discipline)}).")

    cap = r.percent(top.get("cap_percent", HUNDRED), "cap_percent", positive=True)

    rules: list[Rule] = []
    raw_rules = top.get("rules")
    if raw_rules is None:
        raw_rules = []
    if not isinstance(raw_rules, list):
        r.fail("rules", "list", "rules must be a list.", "rules harus berupa daftar.")
        raw_rules = []
    elif len(raw_rules) > MAX_RULES:
        r.fail("rules", "max-items", f"rules has at most {MAX_RULES} rules.",
               f"rules paling banyak {MAX_RULES} aturan.")
        raw_rules = []
    for i, item in enumerate(raw_rules):
        rule = _rule(r, item, f"rules[{i}]")
        if rule is not None:
            rules.append(rule)

    if r.errors:
        raise _invalid(r.errors)
    assert agency_id is not None and kind is not None and effective_from is not None
    assert performance is not None and discipline is not None and cap is not None
    return Policy(agency_id, kind, effective_from, base_amounts, performance, discipline, tuple(rules), cap,
                  name, reference)


def _invalid(errors: list[FieldError]) -> DomainError:
    return validation_error(errors, detail="The allowance policy breaks one or more rules.",
                            detail_id="Kebijakan tunjangan melanggar satu atau lebih aturan.")


def _base_amounts(r: _Reader, value: Any) -> dict[int, Decimal]:
    raw = r.mapping(value, "base_amounts")
    if raw is None:
        return {}
    if not raw:
        r.fail("base_amounts", "required", "base_amounts must give the amount of at least one kelas jabatan.",
               "base_amounts harus memuat besaran untuk sekurang-kurangnya satu kelas jabatan.")
        return {}
    result: dict[int, Decimal] = {}
    for key, amount in raw.items():
        path = f"base_amounts.{key}"
        kelas = r.integer(key, path, KELAS_MIN, KELAS_MAX, what=" (kelas jabatan)", what_id=" (kelas jabatan)")
        rupiah = r.rupiah(amount, path)
        if kelas is not None and kelas in result:
            r.fail(path, "unique", f"kelas jabatan {kelas} is given twice.",
                   f"kelas jabatan {kelas} tercantum dua kali.")
        elif kelas is not None and rupiah is not None:
            result[kelas] = rupiah
    return result


def _rule(r: _Reader, item: Any, path: str) -> Rule | None:
    raw = r.mapping(item, path)
    if raw is None:
        return None
    r.only(raw, _RULE_KEYS, path)
    before = len(r.errors)
    kind = r.choice(raw.get("kind"), RuleKind, f"{path}.kind")
    applies_to = r.choice(raw.get("applies_to"), Part, f"{path}.applies_to")
    reference = r.text(raw.get("reference"), f"{path}.reference", required=False)
    params: RuleParams | None = None
    if kind is not None:
        raw_params = r.mapping(raw.get("params"), f"{path}.params")
        if raw_params is not None:
            r.only(raw_params, _PARAM_KEYS[kind], f"{path}.params")
            params = _params(r, kind, raw_params, f"{path}.params")
    if len(r.errors) > before or params is None or applies_to is None:
        return None
    return Rule(kind, applies_to, params, reference)


def _params(r: _Reader, kind: RuleKind, raw: Mapping[Any, Any], path: str) -> RuleParams | None:
    if kind is RuleKind.BLANK_DAY:
        has_percent, has_bands = raw.get("percent") is not None, raw.get("bands") is not None
        if has_percent == has_bands:
            r.fail(path, "percent-or-bands",
                   f"{path} needs either percent (per blank day) or bands (by the number of blank days), "
                   "not both.",
                   f"{path} memerlukan percent (per hari kosong) atau bands (menurut jumlah hari kosong), "
                   "tidak keduanya.")
            return None
        if has_percent:
            percent = r.percent(raw.get("percent"), f"{path}.percent", positive=True)
            return None if percent is None else BlankDayParams(percent=percent)
        bands = r.bands(raw.get("bands"), f"{path}.bands")
        return BlankDayParams(bands=bands) if bands else None
    if kind is RuleKind.CONSECUTIVE_BLANK:
        threshold = r.integer(raw.get("threshold_days"), f"{path}.threshold_days", 1, MAX_THRESHOLD_DAYS,
                              what=" of working days", what_id=" hari kerja")
        percent = r.percent(raw.get("percent"), f"{path}.percent", positive=True)
        return None if threshold is None or percent is None else ConsecutiveBlankParams(threshold, percent)
    if kind is RuleKind.RETURNED_ENTRIES:
        bands = r.bands(raw.get("bands"), f"{path}.bands")
        basis = r.choice(raw.get("basis"), Basis, f"{path}.basis", Basis.DEDUCTED)
        return ReturnedEntriesParams(bands, basis) if bands and basis is not None else None
    if kind is RuleKind.NO_REPORT_MONTH:
        percent = r.percent(raw.get("percent"), f"{path}.percent", positive=True)
        return None if percent is None else NoReportMonthParams(percent)
    # RuleKind.PREDIKAT
    basis = r.choice(raw.get("basis"), Basis, f"{path}.basis", Basis.DEDUCTED)
    source = r.choice(raw.get("source"), PredikatSource, f"{path}.source", PredikatSource.LATEST)
    no_evaluation = r.percent(raw.get("no_evaluation"), f"{path}.no_evaluation", required=False)
    percents: dict[Predikat, Decimal] = {}
    raw_percents = r.mapping(raw.get("percents"), f"{path}.percents")
    if raw_percents is not None:
        if not raw_percents:
            r.fail(f"{path}.percents", "required", f"{path}.percents must name at least one predikat.",
                   f"{path}.percents harus memuat sekurang-kurangnya satu predikat.")
        for key, value in raw_percents.items():
            where = f"{path}.percents.{key}"
            value_predikat, errors = read_predikat(key, where)
            r.errors += errors
            percent = r.percent(value, where)
            if value_predikat is not None and value_predikat in percents:
                r.fail(where, "unique", f"{where}: predikat {value_predikat.value} is given twice.",
                       f"{where}: predikat {value_predikat.value} tercantum dua kali.")
            elif value_predikat is not None and percent is not None:
                percents[value_predikat] = percent
    if raw_percents is None or basis is None or source is None:
        return None
    return PredikatParams(percents, basis, source, no_evaluation)


# --- files ----------------------------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load's loader (plain data only), except that a key given twice in one mapping is
    an error instead of the last one silently winning."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # resolve "<<" merge keys first, as SafeLoader does
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # the base loader refuses unhashable keys with its own message
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _file_error(rule: str, en: str, id_: str) -> DomainError:
    return _invalid([FieldError("file", rule, en, id_)])


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def load_policy_file(path: str | Path) -> Policy:
    """A policy from a YAML or JSON file (JSON when the name ends in .json, YAML otherwise; YAML is
    read with the safe loader: plain data, no objects). A file that cannot be read or parsed, or
    that gives a key twice, is refused as field "file"; a bad policy names each bad field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise _file_error("readable", f"The policy file {path.name} cannot be read: {reason}.",
                          f"Berkas kebijakan {path.name} tidak dapat dibaca: {reason}.") from None
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise _file_error("syntax", f"{path.name} is not valid JSON: {error.msg} at line {error.lineno}, "
                                        f"column {error.colno}.",
                              f"{path.name} bukan JSON yang sah: {error.msg} pada baris {error.lineno}, "
                              f"kolom {error.colno}.") from None
        except ValueError as error:
            raise _file_error("syntax", f"{path.name}: {error}.", f"{path.name}: kunci ganda ({error}).") from None
    else:
        try:
            raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: as safe as yaml.safe_load
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            where_id = f" pada baris {mark.line + 1}, kolom {mark.column + 1}" if mark is not None else ""
            problem = getattr(error, "problem", None) or type(error).__name__
            raise _file_error("syntax", f"{path.name} is not valid YAML: {problem}{where}.",
                              f"{path.name} bukan YAML yang sah: {problem}{where_id}.") from None
    return parse_policy(raw)


def demo_policies() -> list[Policy]:
    """The demo agencies' policies shipped in `policies/` (kemendemo: Tukin; pemkotdemo: TPP)."""
    return [load_policy_file(p) for p in sorted(DEMO_POLICIES_DIR.glob("*.yaml"))]


# --- versions --------------------------------------------------------------------------------------

def policy_in_force(policies: Iterable[Policy], on_date: dt.date, agency_id: str | None = None) -> Policy:
    """The version in force on `on_date`: the one with the latest `effective_from` not after it.
    With `agency_id`, only that agency's versions are considered (otherwise they must all be one
    agency's). For a month, ask with the month's first day: a version starting mid-month applies
    from the next month. Two versions of one agency starting the same day are a conflict (409);
    none in force yet is 404."""
    candidates = [p for p in policies if agency_id is None or p.agency_id == agency_id]
    agencies = sorted({p.agency_id for p in candidates})
    if len(agencies) > 1:
        raise ValueError(f"policies of several agencies ({', '.join(agencies)}): pass agency_id")
    who = agency_id or (agencies[0] if agencies else "(none given)")
    starts: dict[dt.date, int] = {}
    for p in candidates:
        starts[p.effective_from] = starts.get(p.effective_from, 0) + 1
    twice = sorted(d for d, n in starts.items() if n > 1)
    if twice:
        day = twice[0].isoformat()
        raise DomainError(code="tukin-policy-conflict", status=409, title="Conflicting policy versions",
                          detail=f"Agency {who} has two allowance policy versions starting on {day}.",
                          detail_id=f"Instansi {who} memiliki dua versi kebijakan tunjangan yang berlaku mulai {day}.")
    in_force = [p for p in candidates if p.effective_from <= on_date]
    if not in_force:
        first = min((p.effective_from for p in candidates), default=None)
        later = f" (the first starts on {first.isoformat()})" if first else ""
        later_id = f" (yang pertama berlaku mulai {first.isoformat()})" if first else ""
        raise DomainError(code="tukin-no-policy-in-force", status=404, title="No policy in force",
                          detail=f"Agency {who} has no allowance policy in force on {on_date.isoformat()}{later}: "
                                 "its admin loads a version in force from that date (POST /api/v1/tukin/policies).",
                          detail_id=f"Instansi {who} tidak memiliki kebijakan tunjangan yang berlaku pada "
                                    f"{on_date.isoformat()}{later_id}: admin instansi memuat versi yang berlaku "
                                    "sejak tanggal itu (POST /api/v1/tukin/policies).")
    return max(in_force, key=lambda p: p.effective_from)
