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

The policy is read by pydantic models, one per part of it; the rules are a union discriminated by
`kind`, one model per kind. Each field's own rule says what is wrong in our words (a rule code, an
English and an Indonesian sentence) and pydantic collects them with their locations. A null is
read as the key left out, except where the API refuses it (`cap_percent: null`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapSerializer,
    WrapValidator,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError, PydanticUseDefault

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
MAX_BAND_COUNT = 10_000
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


# --- errors: our words at pydantic's locations ----------------------------------------------------
#
# A field's rule raises `_broken(rule, en, id)`: the API's rule code and its two sentences. A
# validator does not know where it is, so a sentence names the field as {path} (its parent as
# {parent}, the list item before the one it is in as {previous}). pydantic collects the errors with
# their locations; `_field_error` writes each location as a path and fills the sentences in.

Loc = tuple[str | int, ...]
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def _broken(rule: str, en: str, id_: str) -> PydanticCustomError:
    return PydanticCustomError(rule, "{detail}", {"detail": en, "detail_id": id_})


_REQUIRED = ("required", "{path} is required.", "{path} wajib diisi.")
_OBJECT = ("object", "{path} must be an object (key: value).", "{path} harus berupa objek (kunci: nilai).")
# pydantic's own error types that a policy can meet, in our words (pydantic's own are English only);
# null where an object is needed is a required field left out.
_PYDANTIC = {"model_type": _OBJECT, "dict_type": _OBJECT, "missing": _REQUIRED}
_OTHER = ("invalid", "{path} is not valid.", "{path} tidak valid.")
_NUMBERED = ("rules", "bands")  # their items are numbered (rules[2]); another number is a key (base_amounts.8)
_NAMES = re.compile(r"\{(path|parent|previous)\}")


def _path(loc: Sequence[str | int]) -> str:
    path, previous = "", None
    for part in loc:
        if part == "[key]":
            continue  # pydantic's mark of an error in a key: the path names the entry either way
        path += f"[{part}]" if isinstance(part, int) and previous in _NUMBERED else f".{part}" if path else str(part)
        previous = part
    return path if loc else "policy"


def _field_error(error: ErrorDetails) -> FieldError:
    loc, ctx = error["loc"], error.get("ctx") or {}
    if "detail_id" in ctx:
        rule, en, id_ = error["type"], str(ctx["detail"]), str(ctx["detail_id"])
    elif error["type"] in ("model_type", "dict_type") and error["input"] is None:
        rule, en, id_ = _REQUIRED
    else:
        rule, en, id_ = _PYDANTIC.get(error["type"], _OTHER)
    item = max((i for i, part in enumerate(loc) if isinstance(part, int)), default=None)
    previous = loc if item is None else (*loc[:item], int(loc[item]) - 1)
    names = {"path": _path(loc), "parent": _path(loc[:-1]), "previous": _path(previous)}
    return FieldError(names["path"], rule, _NAMES.sub(lambda m: names[m[1]], en),
                      _NAMES.sub(lambda m: names[m[1]], id_))


def _invalid(errors: list[FieldError]) -> DomainError:
    return validation_error(errors, detail="The allowance policy breaks one or more rules.",
                            detail_id="Kebijakan tunjangan melanggar satu atau lebih aturan.")


def _loc(key: Any) -> str | int:
    """A key as a location: text or a number as it is, anything else (YAML true, null) as text."""
    return key if isinstance(key, str) or _is_int(key) else str(key)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _at(loc: Loc, value: Any, error: PydanticCustomError) -> InitErrorDetails:
    return InitErrorDetails(type=error, loc=loc, input=value)


def _with(found: list[InitErrorDetails], handler: Callable[[Any], T], value: Any, *,
          where: Callable[[Loc], Loc] | None = None, position: Callable[[Loc], int] | None = None) -> T:
    """handler(value), with the errors `found` beside it reported together with its own (at
    `where` their locations are written): all found first, or item by item by `position`."""
    try:
        result = handler(value)
    except ValidationError as error:
        if not found and where is None:
            raise
        theirs = [_at(where(e["loc"]) if where else e["loc"], e["input"],
                      PydanticCustomError(e["type"], e["msg"], e.get("ctx"))) for e in error.errors()]
    else:
        if not found:
            return result
        theirs = []
    errors = [*found, *theirs] if position is None else sorted([*theirs, *found], key=lambda e: position(e["loc"]))
    raise ValidationError.from_exception_data("policy", errors)


def _valid(read: Callable[[Any], T], value: Any) -> T | None:
    try:
        return read(value)
    except PydanticCustomError:
        return None


# --- what one value may be ------------------------------------------------------------------------
#
# Each reader takes the raw value (a null too) and returns it read or raises its rule; one that is
# `optional` reads null as the field's default. They run as BeforeValidators: what they return is
# already of the field's type, so pydantic's own check of it passes and its serializer knows it.

_INT_TEXT = re.compile(r"^[0-9]{1,12}$")
_DECIMAL_TEXT = re.compile(r"^[0-9]{1,6}(\.[0-9]+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _text(*, optional: bool = False) -> Callable[[Any], str | None]:
    def read(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if optional:
                return None
            raise _broken(*_REQUIRED)
        if not isinstance(value, str):
            raise _broken("text", "{path} must be text.", "{path} harus berupa teks.")
        if len(value.strip()) > MAX_TEXT:
            raise _broken("max-length", f"{{path}} is at most {MAX_TEXT} characters.",
                          f"{{path}} paling banyak {MAX_TEXT} karakter.")
        return value.strip()
    return read


def _one_of(cls: type[E], *, optional: bool = False) -> Callable[[Any], E]:
    allowed = ", ".join(m.value for m in cls)

    def read(value: Any) -> E:
        if value is None and optional:
            raise PydanticUseDefault()
        if value is None:
            raise _broken("required", f"{{path}} is required (one of: {allowed}).",
                          f"{{path}} wajib diisi (salah satu dari: {allowed}).")
        try:
            return cls(value)
        except ValueError:
            raise _broken("one-of", f"{{path}} must be one of: {allowed}.",
                          f"{{path}} harus salah satu dari: {allowed}.") from None
    return read


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # YAML reads 2026-01-01 as a date already
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None:
        raise _broken("required", "{path} is required (a date, YYYY-MM-DD).",
                      "{path} wajib diisi (tanggal, YYYY-MM-DD).")
    raise _broken("date", "{path} must be a real date written YYYY-MM-DD.",
                  "{path} harus tanggal yang benar dengan format YYYY-MM-DD.")


def _int(value: Any) -> int | None:
    """A whole number written as one or as text (never a bool)."""
    if _is_int(value):
        return int(value)
    return int(value.strip()) if isinstance(value, str) and _INT_TEXT.match(value.strip()) else None


def _whole(low: int, high: int, what: str = "", what_id: str = "") -> Callable[[Any], int]:
    def read(value: Any) -> int:
        number = _int(value)
        if number is not None and low <= number <= high:
            return number
        if value is None:
            raise _broken(*_REQUIRED)
        raise _broken("range", f"{{path}} must be a whole number{what} from {low} to {high}.",
                      f"{{path}} harus bilangan bulat{what_id} dari {low} sampai {high}.")
    return read


def _percent(*, positive: bool = False, optional: bool = False) -> Callable[[Any], Decimal]:
    """0..100 (above 0 when `positive`), a number or text, at most 4 decimal places."""
    low, low_id = ("above 0", "lebih dari 0") if positive else ("from 0", "dari 0")

    def read(value: Any) -> Decimal:
        if value is None and optional:
            raise PydanticUseDefault()
        if value is None:
            raise _broken("required", f"{{path}} is required (a percentage {low} to 100).",
                          f"{{path}} wajib diisi (persentase {low_id} sampai 100).")
        number = None
        if _is_int(value) or isinstance(value, Decimal):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))  # 2.5 -> Decimal("2.5"), never the binary expansion
        elif isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
            number = Decimal(value.strip())
        if number is None or not number.is_finite() or not ZERO <= number <= HUNDRED or (positive and not number):
            raise _broken("percent", f"{{path}} must be a percentage {low} to 100.",
                          f"{{path}} harus persentase {low_id} sampai 100.")
        if number != number.quantize(Decimal(10) ** -MAX_PERCENT_PLACES):
            raise _broken("precision", f"{{path}} has at most {MAX_PERCENT_PLACES} decimal places.",
                          f"{{path}} paling banyak {MAX_PERCENT_PLACES} angka di belakang koma.")
        return number.normalize() if number else ZERO
    return read


def _rupiah(value: Any) -> Decimal:
    number = _int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    if number is None or not 1 <= number <= MAX_BASE_AMOUNT:
        raise _broken("rupiah", f"{{path}} must be a whole number of rupiah from 1 to {MAX_BASE_AMOUNT:,}.",
                      f"{{path}} harus bilangan bulat rupiah dari 1 sampai {MAX_BASE_AMOUNT:,}.".replace(",", "."))
    return Decimal(number)


def _predikat(value: Any) -> Predikat:
    found, errors = read_predikat(value, "{path}")
    if found is None:
        raise _broken(errors[0].rule, errors[0].detail, errors[0].detail_id)
    return found


_kelas = _whole(KELAS_MIN, KELAS_MAX, " (kelas jabatan)", " (kelas jabatan)")
_count = _whole(1, MAX_BAND_COUNT)
_AS_TEXT = PlainSerializer(plain, return_type=str, when_used="json-unless-none")  # 7.50 -> "7.5", never 7.5
_AS_DICT = WrapSerializer(lambda value, handler: handler(dict(value)))  # a read-only mapping written as a dict
Percent = Annotated[Decimal, BeforeValidator(_percent()), _AS_TEXT]
PositivePercent = Annotated[Decimal, BeforeValidator(_percent(positive=True)), _AS_TEXT]
OptionalText = Annotated[str | None, BeforeValidator(_text(optional=True))]


def _entries(read_key: Callable[[Any], Any], read_item: Callable[[Any], Any],
             twice: Callable[[Any], PydanticCustomError]) -> Callable[[Any, ValidatorFunctionWrapHandler], Any]:
    """A mapping's validator around pydantic's, which reads each entry: besides, a key read as the
    same as an earlier one with a valid value ("8" after 8, "Kurang" after "kurang") is `twice`; an
    entry's path has its key as written; the errors are listed entry by entry."""
    def read(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(value, Mapping):
            return handler(value)  # pydantic: not an object
        found, seen = [], set()
        for key, item in value.items():
            key_read = _valid(read_key, key)
            if key_read is not None and key_read in seen:
                found.append(_at((_loc(key),), item, twice(key_read)))
            elif key_read is not None and _valid(read_item, item) is not None:
                seen.add(key_read)
        # pydantic names a key that is not text as a number (true: 1) or as its repr (null: "None")
        written = {key if isinstance(key, str | int) else repr(key): _loc(key) for key in value}
        positions = {_loc(key): i for i, key in enumerate(value)}
        return _with(found, handler, value, where=lambda loc: (written.get(loc[0], loc[0]), *loc[1:]) if loc else loc,
                     position=lambda loc: positions.get(loc[0], len(positions)) if loc else -1)
    return read


# --- the models -----------------------------------------------------------------------------------

class _Part(BaseModel):
    """A part of a policy: frozen. A key that is none of its fields is reported (with the known
    ones) together with whatever else is wrong in it, and a required field left out reads as null,
    so its own rule says what it needs."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _known_keys_only(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if not isinstance(value, Mapping):
            return handler(value)  # pydantic: not an object
        fields = {field.alias or name: field for name, field in cls.model_fields.items()}
        listed = ", ".join(fields)
        unknown = _broken("unknown", f"{{path}} is not a known setting (known: {listed}).",
                          f"{{path}} bukan pengaturan yang dikenal (yang dikenal: {listed}).")
        found = [_at((_loc(key),), item, unknown) for key, item in value.items() if key not in fields]
        return _with(found, handler, {**{k: None for k, f in fields.items() if f.is_required()}, **value})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, decimals as text; `parse_policy` reads a policy's back."""
        return self.model_dump(mode="json", by_alias=True)


class Band(_Part):
    """{from, to, percent} over whole counts, both bounds inclusive; `to` null: no upper bound."""

    low: Annotated[int, BeforeValidator(_count)] = Field(alias="from")
    high: Annotated[int | None, BeforeValidator(lambda v: None if v is None else _count(v))] = Field(None, alias="to")
    percent: Percent

    @field_validator("high")
    @classmethod
    def _not_below_from(cls, high: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("low")
        if high is not None and low is not None and high < low:
            raise _broken("order", f"{{path}} must not be less than {{parent}}.from ({low}).",
                          f"{{path}} tidak boleh kurang dari {{parent}}.from ({low}).")
        return high

    def contains(self, count: int) -> bool:
        return count >= self.low and (self.high is None or count <= self.high)

    def label(self, lang: str) -> str:
        """"6–10"; an open band "> 10" (id: "> 10" too), or "≥ 1" when it starts at 1."""
        if self.high is None:
            return f"> {self.low - 1}" if self.low > 1 else "≥ 1"
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


def find_band(bands: Iterable[Band], count: int) -> Band | None:
    return next((b for b in bands if b.contains(count)), None)


def _gaps(bands: list[Any]) -> list[InitErrorDetails]:
    """Each band starts right after the one before: no gap, no overlap, none after a band without an
    upper bound. A bound that its band refuses (the band says why) is left out."""
    errors = []
    previous_high: int | None = None
    previous_open = False
    for i, band in enumerate(bands):
        if not isinstance(band, Mapping):
            previous_high, previous_open = None, False
            continue
        low, high = _valid(_count, band.get("from")), _valid(_count, band.get("to"))
        if low is not None and high is not None and high < low:
            high = None
        if previous_open:
            errors.append(_at((i, "from"), band.get("from"), _broken(
                "after-open-band", "{previous} has no upper bound (to: null), so no band can follow it.",
                "{previous} tidak memiliki batas atas (to: null), jadi tidak boleh ada rentang sesudahnya.")))
        elif previous_high is not None and low is not None and low != previous_high + 1:
            errors.append(_at((i, "from"), band.get("from"), _broken(
                "contiguous",
                f"{{path}} must be {previous_high + 1}, right after the previous band (no gaps, no overlaps).",
                f"{{path}} harus {previous_high + 1}, tepat sesudah rentang sebelumnya (tanpa celah dan tumpang "
                "tindih).")))
        previous_open = band.get("to") is None and low is not None
        previous_high = high
    return errors


def _bands(*, optional: bool = False) -> WrapValidator:
    def read(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if value is None and optional:
            raise PydanticUseDefault()
        if value is None:
            raise _broken("required", "{path} is required (a list of {from, to, percent}).",
                          "{path} wajib diisi (daftar {from, to, percent}).")
        if not isinstance(value, list) or not value:
            raise _broken("list", "{path} must be a non-empty list of {from, to, percent}.",
                          "{path} harus berupa daftar {from, to, percent} yang tidak kosong.")
        if len(value) > MAX_BANDS:
            raise _broken("max-items", f"{{path}} has at most {MAX_BANDS} bands.",
                          f"{{path}} paling banyak {MAX_BANDS} rentang.")
        return _with(_gaps(value), handler, value, position=lambda loc: int(loc[0]) if loc else -1)
    return WrapValidator(read)


# --- the rule kinds: one model of parameters and one rule model each, in the union `Rule` ---------

class BlankDayParams(_Part):
    percent: Annotated[Decimal | None, BeforeValidator(_percent(positive=True, optional=True)), _AS_TEXT] = None
    bands: Annotated[tuple[Band, ...], _bands(optional=True)] = ()  # or by the number of blank days

    @model_validator(mode="before")
    @classmethod
    def _percent_or_bands(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and (value.get("percent") is None) == (value.get("bands") is None):
            raise _broken("percent-or-bands",
                          "{path} needs either percent (per blank day) or bands (by the number of blank days), "
                          "not both.",
                          "{path} memerlukan percent (per hari kosong) atau bands (menurut jumlah hari kosong), "
                          "tidak keduanya.")
        return value

    @model_serializer(mode="wrap")
    def _the_one_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        written = handler(self)
        return {"percent": written["percent"]} if self.percent is not None else {"bands": written["bands"]}


class ConsecutiveBlankParams(_Part):
    threshold_days: Annotated[int, BeforeValidator(_whole(1, MAX_THRESHOLD_DAYS, " of working days", " hari kerja"))]
    percent: PositivePercent


class ReturnedEntriesParams(_Part):
    bands: Annotated[tuple[Band, ...], _bands()]
    basis: Annotated[Basis, BeforeValidator(_one_of(Basis, optional=True))] = Basis.DEDUCTED


class NoReportMonthParams(_Part):
    percent: PositivePercent


def _percents(value: Any, handler: ValidatorFunctionWrapHandler) -> Mapping[Predikat, Decimal]:
    if isinstance(value, Mapping) and not value:
        raise _broken("required", "{path} must name at least one predikat.",
                      "{path} harus memuat sekurang-kurangnya satu predikat.")
    read = _entries(_predikat, _percent(), lambda p: _broken(
        "unique", f"{{path}}: predikat {p.value} is given twice.", f"{{path}}: predikat {p.value} tercantum dua kali."))
    percents = read(value, handler)
    return MappingProxyType({p: percents[p] for p in ORDER if p in percents})  # best first


class PredikatParams(_Part):
    percents: Annotated[Mapping[Annotated[Predikat, BeforeValidator(_predikat)], Percent], WrapValidator(_percents),
                        _AS_DICT]
    basis: Annotated[Basis, BeforeValidator(_one_of(Basis, optional=True))] = Basis.DEDUCTED
    source: Annotated[PredikatSource, BeforeValidator(_one_of(PredikatSource, optional=True))] = PredikatSource.LATEST
    no_evaluation: Annotated[Decimal | None, BeforeValidator(_percent(optional=True)), _AS_TEXT] = None


class _AnyRule(_Part):
    """What every rule has. A rule whose kind is not known is read as this alone, so that whatever
    else is wrong in it (its part, its reference, a key) is reported with its kind."""

    kind: Annotated[RuleKind, BeforeValidator(_one_of(RuleKind))]
    applies_to: Annotated[Part, BeforeValidator(_one_of(Part))]
    params: Any = None
    reference: OptionalText = None  # legal basis shown with the line


class BlankDayRule(_AnyRule):
    kind: Literal[RuleKind.BLANK_DAY]
    params: BlankDayParams


class ConsecutiveBlankRule(_AnyRule):
    kind: Literal[RuleKind.CONSECUTIVE_BLANK]
    params: ConsecutiveBlankParams


class ReturnedEntriesRule(_AnyRule):
    kind: Literal[RuleKind.RETURNED_ENTRIES]
    params: ReturnedEntriesParams


class NoReportMonthRule(_AnyRule):
    kind: Literal[RuleKind.NO_REPORT_MONTH]
    params: NoReportMonthParams


class PredikatRule(_AnyRule):
    kind: Literal[RuleKind.PREDIKAT]
    params: PredikatParams


Rule = Annotated[BlankDayRule | ConsecutiveBlankRule | ReturnedEntriesRule | NoReportMonthRule | PredikatRule,
                 Field(discriminator="kind")]
_KINDS = frozenset(k.value for k in RuleKind)


def _rule(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    kind = value.get("kind") if isinstance(value, Mapping) else getattr(value, "kind", None)
    if not isinstance(kind, str) or kind not in _KINDS:
        _AnyRule.model_validate(value)  # refused: not an object, or of no kind we know
        raise AssertionError(f"a rule of kind {kind!r} was read")
    # pydantic puts the kind first in the location of an error in the kind's model: not part of the path
    return _with([], handler, value, where=lambda loc: loc[1:] if loc[:1] == (kind,) else loc)


def _rules(value: Any) -> Any:
    if value is None:
        raise PydanticUseDefault()
    if not isinstance(value, list):
        raise _broken("list", "{path} must be a list.", "{path} harus berupa daftar.")
    if len(value) > MAX_RULES:
        raise _broken("max-items", f"{{path}} has at most {MAX_RULES} rules.",
                      f"{{path}} paling banyak {MAX_RULES} aturan.")
    return value


# --- the policy -----------------------------------------------------------------------------------

def _base_amounts(value: Any, handler: ValidatorFunctionWrapHandler) -> Mapping[int, Decimal]:
    if isinstance(value, Mapping) and not value:
        raise _broken("required", "base_amounts must give the amount of at least one kelas jabatan.",
                      "base_amounts harus memuat besaran untuk sekurang-kurangnya satu kelas jabatan.")
    read = _entries(_kelas, _rupiah, lambda kelas: _broken(
        "unique", f"kelas jabatan {kelas} is given twice.", f"kelas jabatan {kelas} tercantum dua kali."))
    return MappingProxyType(dict(sorted(read(value, handler).items())))


class Split(_Part):
    """Percent of the base that is the performance part and the discipline part."""

    performance: Percent
    discipline: Percent

    @model_validator(mode="before")
    @classmethod
    def _adds_up_to_100(cls, value: Any) -> Any:
        """Once both are percentages (checked before they are read, so that it is reported with an
        unknown key beside them)."""
        if isinstance(value, Mapping):
            performance, discipline = (_valid(_percent(), value.get(k)) for k in ("performance", "discipline"))
            if performance is not None and discipline is not None and performance + discipline != HUNDRED:
                total = plain(performance + discipline)
                raise _broken("sum-100", f"split.performance + split.discipline must be 100 (is {total}).",
                              f"split.performance + split.discipline harus 100 (sekarang {total}).")
        return value


class Policy(_Part):
    agency_id: Annotated[str, BeforeValidator(_text())]
    kind: Annotated[AllowanceKind, BeforeValidator(_one_of(AllowanceKind))]
    effective_from: Annotated[dt.date, BeforeValidator(_date)]
    name: OptionalText = None
    reference: OptionalText = None
    base_amounts: Annotated[  # kelas jabatan -> whole rupiah a month
        Mapping[Annotated[int, BeforeValidator(_kelas)], Annotated[Decimal, BeforeValidator(_rupiah), _AS_TEXT]],
        WrapValidator(_base_amounts), _AS_DICT]
    split: Split
    cap_percent: PositivePercent = HUNDRED  # left out: 100; null is refused
    rules: Annotated[tuple[Annotated[Rule, WrapValidator(_rule)], ...], BeforeValidator(_rules)] = ()

    @property
    def performance_percent(self) -> Decimal:
        return self.split.performance

    @property
    def discipline_percent(self) -> Decimal:
        return self.split.discipline

    def base_amount(self, kelas_jabatan: int) -> Decimal | None:
        return self.base_amounts.get(kelas_jabatan)

    @cached_property
    def canonical_json(self) -> str:
        """to_dict() as compact JSON with sorted keys (what input digests hash), computed once."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_policy(raw: Any) -> Policy:
    """A policy from its plain form (see the module's documentation), or one 422 problem listing
    every broken rule, each naming its field path."""
    try:
        return Policy.model_validate(raw)
    except ValidationError as error:
        raise _invalid([_field_error(e) for e in error.errors()]) from None


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
