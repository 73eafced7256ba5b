"""The planning part of an SKP: RHK (utama/tambahan) with IKI per aspek, and cascading."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ekinerja_kernel.errors import FieldError, validation_error

APPROACHES = ("kuantitatif", "kualitatif")
RHK_KINDS = ("utama", "tambahan")
REQUIRED_ASPEK = ("kuantitas", "kualitas", "waktu")
ASPEK = REQUIRED_ASPEK + ("biaya",)

# What an RHK and an IKI may carry: anything else is refused, not silently dropped.
RHK_FIELDS = ("id", "kind", "text", "intervenes", "iki", "replaces")
IKI_FIELDS = ("aspek", "indikator", "target", "satuan")
MAX_RHK = 50
RHK_TEXT_MAX = 1000
INDIKATOR_MAX = 500
TARGET_MAX = 500  # a kualitatif target is a sentence
SATUAN_MAX = 40
# A waktu target is a span of the SKP's year (the annual period): at most this many of each unit.
WAKTU_UNITS = {"bulan": 12, "triwulan": 4, "semester": 2, "minggu": 53, "hari": 366}


@dataclass(frozen=True)
class Iki:
    aspek: str
    indikator: str
    target: str  # a positive number for the kuantitatif approach, a narrative for kualitatif
    satuan: str


@dataclass(frozen=True)
class Rhk:
    kind: str
    text: str
    intervenes: str | None
    iki: tuple[Iki, ...] = field(default_factory=tuple)
    id: str | None = None  # sent to keep an existing RHK (an edit), absent for a new one
    replaces: tuple[str, ...] = ()  # ids of removed RHK whose links (intervenes, cells, entries) move here

    def kuantitas(self) -> Iki | None:
        return next((i for i in self.iki if i.aspek == "kuantitas"), None)


def _err(path: str, rule: str, en: str, id_: str) -> FieldError:
    return FieldError(path, rule, en, id_)


def positive_number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number > 0 else None


def _unknown(raw: dict[str, Any], allowed: tuple[str, ...], path: str) -> list[FieldError]:
    return [_err(f"{path}.{key}", "unknown-field", f"'{key}' is not a field here (allowed: {', '.join(allowed)}).",
                 f"'{key}' bukan kolom yang dikenal di sini (yang diizinkan: {', '.join(allowed)}).")
            for key in raw if key not in allowed]


def _too_long(value: str, limit: int, path: str) -> list[FieldError]:
    if len(value) <= limit:
        return []
    return [_err(path, "max-length", f"At most {limit} characters (this has {len(value)}).",
                 f"Paling banyak {limit} karakter (ini {len(value)}).")]


def _waktu_limit(satuan: str, year: int | None) -> int | None:
    limit = WAKTU_UNITS.get(satuan.strip().lower())
    if limit == WAKTU_UNITS["hari"] and year is not None:
        return 366 if calendar.isleap(year) else 365
    return limit


def _check_target(aspek: str, target: Any, satuan: str, approach: str, year: int | None,
                  ipath: str) -> list[FieldError]:
    if approach == "kualitatif":
        text = str(target or "").strip()
        if not text:
            return [_err(f"{ipath}.target", "required", "The target is required.", "Target wajib diisi.")]
        return _too_long(text, TARGET_MAX, f"{ipath}.target")
    number = positive_number(target)
    if number is None:
        return [_err(f"{ipath}.target", "positive-number", "The target must be a positive number.",
                     "Target harus berupa bilangan positif.")]
    if aspek == "kualitas" and satuan.strip() == "%" and number > 100:
        return [_err(f"{ipath}.target", "max-100-percent", "A kualitas target in % is at most 100.",
                     "Target kualitas dalam % paling tinggi 100.")]
    if aspek == "waktu" and satuan:
        limit = _waktu_limit(satuan, year)
        if limit is None:
            units = ", ".join(WAKTU_UNITS)
            return [_err(f"{ipath}.satuan", "waktu-unit", f"A waktu target is a span of the year: its unit is one "
                         f"of {units}.", f"Target waktu adalah rentang dalam tahun SKP: satuannya salah satu dari "
                         f"{units}.")]
        if number > limit:
            return [_err(f"{ipath}.target", "within-period",
                         f"The SKP covers one year: at most {limit} {satuan.strip().lower()}.",
                         f"SKP mencakup satu tahun: paling banyak {limit} {satuan.strip().lower()}.")]
    return []


def _ids(raw: dict[str, Any], path: str) -> tuple[str | None, tuple[str, ...], list[FieldError]]:
    errors: list[FieldError] = []
    rhk_id = raw.get("id")
    if rhk_id is not None and not (isinstance(rhk_id, str) and rhk_id.strip()):
        errors.append(_err(f"{path}.id", "text", "id is the id of one of this SKP's RHK (a text), or absent for "
                           "a new RHK.", "id adalah id salah satu RHK SKP ini (teks), atau dikosongkan untuk RHK "
                           "baru."))
        rhk_id = None
    replaces = raw.get("replaces")
    if replaces is None:
        replaces = []
    if not isinstance(replaces, list) or not all(isinstance(r, str) and r.strip() for r in replaces):
        errors.append(_err(f"{path}.replaces", "list-of-ids", "replaces is a list of ids of removed RHK.",
                           "replaces berupa daftar id RHK yang dihapus."))
        replaces = []
    return rhk_id, tuple(replaces), errors


def parse_rhk(raw: Any, index: int, approach: str, year: int | None = None) -> tuple[Rhk | None, list[FieldError]]:
    path = f"rhk[{index}]"
    if not isinstance(raw, dict):
        return None, [_err(path, "object", "Each RHK must be an object.", "Setiap RHK harus berupa objek.")]
    errors: list[FieldError] = _unknown(raw, RHK_FIELDS, path)
    rhk_id, replaces, id_errors = _ids(raw, path)
    errors += id_errors
    kind = raw.get("kind", "utama")
    if kind not in RHK_KINDS:
        errors.append(_err(f"{path}.kind", "one-of", "kind must be utama or tambahan.",
                           "kind harus utama atau tambahan."))
    text = (raw.get("text") or "").strip() if isinstance(raw.get("text"), str) else ""
    if not text:
        errors.append(_err(f"{path}.text", "required", "The RHK needs a text.", "RHK wajib memiliki uraian."))
    errors += _too_long(text, RHK_TEXT_MAX, f"{path}.text")
    intervenes = raw.get("intervenes") or None
    ikis: list[Iki] = []
    raw_iki = raw.get("iki")
    if not isinstance(raw_iki, list):
        raw_iki = []
    seen: set[str] = set()
    for j, item in enumerate(raw_iki):
        ipath = f"{path}.iki[{j}]"
        if not isinstance(item, dict):
            errors.append(_err(ipath, "object", "Each IKI must be an object.", "Setiap IKI harus berupa objek."))
            continue
        errors += _unknown(item, IKI_FIELDS, ipath)
        aspek = item.get("aspek")
        if aspek not in ASPEK:
            errors.append(_err(f"{ipath}.aspek", "one-of", f"aspek must be one of: {', '.join(ASPEK)}.",
                               f"aspek harus salah satu dari: {', '.join(ASPEK)}."))
            continue
        if aspek in seen:
            errors.append(_err(f"{ipath}.aspek", "unique", f"aspek {aspek} appears twice.",
                               f"aspek {aspek} muncul dua kali."))
        seen.add(aspek)
        target = item.get("target")
        satuan = str(item.get("satuan") or "").strip()
        errors += _check_target(aspek, target, satuan, approach, year, ipath)
        if not satuan:
            errors.append(_err(f"{ipath}.satuan", "required", "The target needs a unit (e.g. dokumen, %, bulan).",
                               "Target memerlukan satuan (mis. dokumen, %, bulan)."))
        errors += _too_long(satuan, SATUAN_MAX, f"{ipath}.satuan")
        indikator = str(item.get("indikator") or "").strip()
        if not indikator:
            errors.append(_err(f"{ipath}.indikator", "required", "The indicator is required.",
                               "Indikator wajib diisi."))
        errors += _too_long(indikator, INDIKATOR_MAX, f"{ipath}.indikator")
        ikis.append(Iki(aspek, indikator, str(target).strip(), satuan))
    for aspek in REQUIRED_ASPEK:
        if aspek not in seen:
            errors.append(_err(f"{path}.iki", f"has-{aspek}", f"Each RHK needs an IKI for aspek {aspek}.",
                               f"Setiap RHK memerlukan IKI untuk aspek {aspek}."))
    if errors:
        return None, errors
    return Rhk(kind, text, intervenes, tuple(ikis), rhk_id.strip() if rhk_id else None, replaces), []


def parse_plan(approach: Any, raw_rhk: Any, top_official: bool, supervisor_rhk: Iterable[str],
               year: int | None = None) -> list[Rhk]:
    """All RHK of an SKP (of `year`, when known: a waktu in days must fit it), or one 422 problem
    listing every broken rule."""
    errors: list[FieldError] = []
    if approach not in APPROACHES:
        errors.append(_err("approach", "one-of", "approach must be kuantitatif or kualitatif.",
                           "approach harus kuantitatif atau kualitatif."))
        approach = "kuantitatif"
    if not isinstance(raw_rhk, list) or not raw_rhk:
        errors.append(_err("rhk", "non-empty", "An SKP needs at least one RHK.", "SKP memerlukan minimal satu RHK."))
        raw_rhk = []
    elif len(raw_rhk) > MAX_RHK:
        errors.append(_err("rhk", "max-items", f"An SKP has at most {MAX_RHK} RHK.",
                           f"SKP memuat paling banyak {MAX_RHK} RHK."))
        raw_rhk = raw_rhk[:MAX_RHK]
    allowed = set(supervisor_rhk)
    result = []
    for i, raw in enumerate(raw_rhk):
        rhk, rhk_errors = parse_rhk(raw, i, approach, year)
        errors += rhk_errors
        # Checked even when the IKI are wrong, so one answer lists every broken rule.
        intervenes = raw.get("intervenes") or None if isinstance(raw, dict) else None
        if isinstance(raw, dict) and not top_official and intervenes is None:
            errors.append(_err(f"rhk[{i}].intervenes", "required",
                               "Name the supervisor's RHK this RHK intervenes (cascades from).",
                               "Sebutkan RHK atasan yang diintervensi oleh RHK ini."))
        elif intervenes is not None and intervenes not in allowed:
            errors.append(_err(f"rhk[{i}].intervenes", "supervisor-rhk",
                               "The intervened RHK is not one of your supervisor's RHK.",
                               "RHK yang diintervensi bukan RHK milik atasan Anda."))
        if rhk is not None:
            result.append(rhk)
    kinds = [raw.get("kind", "utama") for raw in raw_rhk if isinstance(raw, dict)]
    if kinds and all(k in RHK_KINDS for k in kinds) and "utama" not in kinds:
        errors.append(_err("rhk", "has-utama", "An SKP needs at least one main (utama) RHK.",
                           "SKP memerlukan minimal satu RHK utama."))
    if errors:
        raise validation_error(errors, detail="The SKP plan breaks one or more rules.",
                               detail_id="Rencana SKP melanggar satu atau lebih aturan.")
    return result


def coverage(target: Iki | None, contributions: Iterable[Iki | None]) -> dict[str, Any]:
    """Do the subordinates' kuantitas targets (same unit of measure) cover the supervisor's?"""
    if target is None or positive_number(target.target) is None:
        return {"status": "not-comparable"}
    need = positive_number(target.target)
    assert need is not None  # checked just above
    same_unit = [positive_number(c.target) for c in contributions
                 if c is not None and c.satuan.lower() == target.satuan.lower()]
    total = sum((n for n in same_unit if n is not None), Decimal(0))
    status = "covered" if total == need else ("short" if total < need else "over")
    return {"status": status, "target": str(need), "planned": str(total), "satuan": target.satuan}
