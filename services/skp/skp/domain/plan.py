"""The planning part of an SKP: RHK (utama/tambahan) with IKI per aspek, and cascading."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ekinerja_kernel.errors import FieldError, validation_error

APPROACHES = ("kuantitatif", "kualitatif")
RHK_KINDS = ("utama", "tambahan")
REQUIRED_ASPEK = ("kuantitas", "kualitas", "waktu")
ASPEK = REQUIRED_ASPEK + ("biaya",)


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


def parse_rhk(raw: Any, index: int, approach: str) -> tuple[Rhk | None, list[FieldError]]:
    path = f"rhk[{index}]"
    if not isinstance(raw, dict):
        return None, [_err(path, "object", "Each RHK must be an object.", "Setiap RHK harus berupa objek.")]
    errors: list[FieldError] = []
    kind = raw.get("kind", "utama")
    if kind not in RHK_KINDS:
        errors.append(_err(f"{path}.kind", "one-of", "kind must be utama or tambahan.",
                           "kind harus utama atau tambahan."))
    text = (raw.get("text") or "").strip() if isinstance(raw.get("text"), str) else ""
    if not text:
        errors.append(_err(f"{path}.text", "required", "The RHK needs a text.", "RHK wajib memiliki uraian."))
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
        if approach == "kuantitatif" and positive_number(target) is None:
            errors.append(_err(f"{ipath}.target", "positive-number", "The target must be a positive number.",
                               "Target harus berupa bilangan positif."))
        elif approach == "kualitatif" and not str(target or "").strip():
            errors.append(_err(f"{ipath}.target", "required", "The target is required.", "Target wajib diisi."))
        satuan = str(item.get("satuan") or "").strip()
        if not satuan:
            errors.append(_err(f"{ipath}.satuan", "required", "The target needs a unit (e.g. dokumen, %, bulan).",
                               "Target memerlukan satuan (mis. dokumen, %, bulan)."))
        indikator = str(item.get("indikator") or "").strip()
        if not indikator:
            errors.append(_err(f"{ipath}.indikator", "required", "The indicator is required.",
                               "Indikator wajib diisi."))
        ikis.append(Iki(aspek, indikator, str(target).strip(), satuan))
    for aspek in REQUIRED_ASPEK:
        if aspek not in seen:
            errors.append(_err(f"{path}.iki", f"has-{aspek}", f"Each RHK needs an IKI for aspek {aspek}.",
                               f"Setiap RHK memerlukan IKI untuk aspek {aspek}."))
    if errors:
        return None, errors
    return Rhk(kind, text, intervenes, tuple(ikis)), []


def parse_plan(approach: Any, raw_rhk: Any, top_official: bool, supervisor_rhk: Iterable[str]) -> list[Rhk]:
    """All RHK of an SKP, or one 422 problem listing every broken rule."""
    errors: list[FieldError] = []
    if approach not in APPROACHES:
        errors.append(_err("approach", "one-of", "approach must be kuantitatif or kualitatif.",
                           "approach harus kuantitatif atau kualitatif."))
        approach = "kuantitatif"
    if not isinstance(raw_rhk, list) or not raw_rhk:
        errors.append(_err("rhk", "non-empty", "An SKP needs at least one RHK.", "SKP memerlukan minimal satu RHK."))
        raw_rhk = []
    allowed = set(supervisor_rhk)
    result = []
    for i, raw in enumerate(raw_rhk):
        rhk, rhk_errors = parse_rhk(raw, i, approach)
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
    same_unit = [positive_number(c.target) for c in contributions
                 if c is not None and c.satuan.lower() == target.satuan.lower()]
    total = sum((n for n in same_unit if n is not None), Decimal(0))
    status = "covered" if total == need else ("short" if total < need else "over")
    return {"status": status, "target": str(need), "planned": str(total), "satuan": target.satuan}
