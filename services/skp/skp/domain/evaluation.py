"""Evaluating an approved SKP for a period: the employee's realisasi with evidence, the penilai's
feedback and ratings, the predikat and credit points, and finalising a unit under its
organisational predikat (docs/domain.md "Ratings and predikat", "Distribution", "Credit points")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from ekinerja_kernel.errors import DomainError, FieldError, validation_error

from .berakhlak import VALUES
from .credit_points import credit_points
from .distribution import UnitPredikat, Violation, check
from .periods import DistributionMode
from .predikat import Predikat, Rating, predikat
from .workflow import Actor

TEXT_MAX = 4000
URL_MAX = 2000
EVIDENCE_MAX = 20
ITEM_FIELDS = ("rhk_id", "realisasi", "evidence")  # what one realisasi item may carry


class EvaluationState(StrEnum):
    DRAFT = "draft"  # realisasi recorded, not rated yet
    DINILAI = "dinilai"  # rated by the penilai
    FINAL = "final"  # finalised with the unit: no more changes


_STATE_ID = {EvaluationState.DRAFT: "draf", EvaluationState.DINILAI: "dinilai", EvaluationState.FINAL: "final"}

# action -> (states it may start from (None = no evaluation yet), who, resulting state).
# A rating can be corrected until the unit is finalised: that is how a unit fixes a distribution
# that "block" refused.
STEPS: dict[str, tuple[tuple[EvaluationState | None, ...], Actor, EvaluationState]] = {
    "record": ((None, EvaluationState.DRAFT), Actor.OWNER, EvaluationState.DRAFT),
    "evaluate": ((EvaluationState.DRAFT, EvaluationState.DINILAI), Actor.PENILAI, EvaluationState.DINILAI),
}
_ACTION_EN = {"record": "record realisasi for", "evaluate": "evaluate"}
_ACTION_ID = {"record": "mengisi realisasi", "evaluate": "menilai"}


def step(action: str, state: EvaluationState | None, actor: Actor | None) -> EvaluationState:
    """The evaluation's state after `action`, or a problem saying who may do it or from which state."""
    starts, who, end = STEPS[action]
    if actor != who:
        who_en = "the employee who owns the SKP" if who is Actor.OWNER else "the employee's pejabat penilai"
        who_id = "pegawai pemilik SKP" if who is Actor.OWNER else "pejabat penilai pegawai tersebut"
        raise DomainError(code="wrong-actor", status=403, title="Not yours to do",
                          detail=f"Only {who_en} can {_ACTION_EN[action]} this evaluation.",
                          detail_id=f"Hanya {who_id} yang dapat {_ACTION_ID[action]} pada penilaian ini.")
    if state not in starts:
        if state is None:
            raise DomainError(code="no-realisasi", status=409, title="No realisasi yet",
                              detail="The employee has not recorded realisasi for this period yet: "
                                     "there is nothing to evaluate.",
                              detail_id="Pegawai belum mengisi realisasi untuk periode ini: "
                                        "belum ada yang dapat dinilai.",
                              extra={"state": None, "required_state": EvaluationState.DRAFT.value})
        required = [s.value for s in starts if s is not None]
        raise DomainError(code="wrong-state", status=409, title="Not possible in this state",
                          detail=f"An evaluation in state '{state.value}' cannot be changed this way "
                                 f"(to {_ACTION_EN[action]} it, it must be {' or '.join(required)}).",
                          detail_id=f"Penilaian berstatus '{_STATE_ID[state]}' tidak dapat diubah "
                                    f"(untuk {_ACTION_ID[action]}, statusnya harus "
                                    f"{' atau '.join(_STATE_ID[EvaluationState(s)] for s in required)}).",
                          extra={"state": state.value, "required_state": required})
    return end


# --- realisasi ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Realisasi:
    rhk_id: str
    realisasi: str
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rhk_id": self.rhk_id, "realisasi": self.realisasi, "evidence": list(self.evidence)}


def is_web_url(value: Any) -> bool:
    """An absolute http(s) URL with a host and no spaces (a link to bukti dukung)."""
    if not isinstance(value, str) or not value or len(value) > URL_MAX or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018  raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host)


def _err(field: str, rule: str, en: str, id_: str) -> FieldError:
    return FieldError(field, rule, en, id_)


def parse_realisasi(items: Any, rhk_ids: Iterable[str]) -> list[Realisasi]:
    """The realisasi per RHK of the approved plan, or one 422 problem listing every broken rule."""
    allowed = set(rhk_ids)
    errors: list[FieldError] = []
    if not isinstance(items, list) or not items:
        raise validation_error([_err("items", "non-empty", "Send at least one RHK's realisasi.",
                                     "Kirim realisasi minimal untuk satu RHK.")])
    result: list[Realisasi] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        path = f"items[{i}]"
        if not isinstance(item, dict):
            errors.append(_err(path, "object", "Each item must be an object.", "Setiap item harus berupa objek."))
            continue
        fields = ", ".join(ITEM_FIELDS)
        errors += [_err(f"{path}.{key}", "unknown-field", f"'{key}' is not a field of an item ({fields}).",
                        f"'{key}' bukan kolom item ({fields}).") for key in item if key not in ITEM_FIELDS]
        rhk_id = item.get("rhk_id")
        if not isinstance(rhk_id, str) or rhk_id not in allowed:
            errors.append(_err(f"{path}.rhk_id", "approved-rhk",
                               "rhk_id must be an RHK of the SKP's approved version.",
                               "rhk_id harus RHK dari versi SKP yang disetujui."))
        elif rhk_id in seen:
            errors.append(_err(f"{path}.rhk_id", "unique", "This RHK appears twice.", "RHK ini muncul dua kali."))
        else:
            seen.add(rhk_id)
        text = item.get("realisasi")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            errors.append(_err(f"{path}.realisasi", "required", "Describe what was achieved.",
                               "Uraikan realisasi yang dicapai."))
        elif len(text) > TEXT_MAX:
            errors.append(_err(f"{path}.realisasi", "max-length", f"At most {TEXT_MAX} characters.",
                               f"Paling banyak {TEXT_MAX} karakter."))
        evidence = item.get("evidence", [])
        if evidence is None:
            evidence = []
        if not isinstance(evidence, list):
            errors.append(_err(f"{path}.evidence", "list", "evidence must be a list of links.",
                               "evidence harus berupa daftar tautan."))
            evidence = []
        elif len(evidence) > EVIDENCE_MAX:
            errors.append(_err(f"{path}.evidence", "max-items", f"At most {EVIDENCE_MAX} links per RHK.",
                               f"Paling banyak {EVIDENCE_MAX} tautan per RHK."))
        for j, url in enumerate(evidence):
            if not is_web_url(url):
                errors.append(_err(f"{path}.evidence[{j}]", "http-url",
                                   "Each evidence link must be an http:// or https:// URL.",
                                   "Setiap tautan bukti dukung harus berupa URL http:// atau https://."))
        result.append(Realisasi(str(rhk_id), text, tuple(u for u in evidence if isinstance(u, str))))
    if errors:
        raise validation_error(errors, detail="The realisasi breaks one or more rules.",
                               detail_id="Realisasi melanggar satu atau lebih aturan.")
    return result


# --- the penilai's part ------------------------------------------------------------------------

@dataclass(frozen=True)
class Assessment:
    feedback_rhk: dict[str, str]
    feedback_perilaku: dict[str, str]
    rating_hasil_kerja: Rating
    rating_perilaku: Rating

    @property
    def predikat(self) -> Predikat:
        return predikat(self.rating_hasil_kerja, self.rating_perilaku)


def _feedback(raw: Any, field: str, allowed: set[str], rule: str, en: str, id_: str,
              errors: list[FieldError]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(_err(field, "object", f"{field} must be an object of texts by key.",
                           f"{field} harus berupa objek berisi teks per kunci."))
        return {}
    result = {}
    for key, text in raw.items():
        if key not in allowed:
            errors.append(_err(f"{field}.{key}", rule, en, id_))
        elif not isinstance(text, str) or len(text) > TEXT_MAX:
            errors.append(_err(f"{field}.{key}", "text", f"Feedback must be a text of at most {TEXT_MAX} characters.",
                               f"Umpan balik harus berupa teks paling banyak {TEXT_MAX} karakter."))
        elif text.strip():
            result[key] = text.strip()
    return result


def _rating(value: Any, field: str, errors: list[FieldError]) -> Rating | None:
    try:
        return Rating(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Rating)
        errors.append(_err(field, "one-of", f"{field} must be one of: {allowed}.",
                           f"{field} harus salah satu dari: {allowed}."))
        return None


def parse_assessment(feedback_rhk: Any, feedback_perilaku: Any, rating_hasil_kerja: Any, rating_perilaku: Any,
                     rhk_ids: Iterable[str]) -> Assessment:
    """Feedback (umpan balik) per RHK of the evaluated plan and per BerAKHLAK value, and both ratings;
    one 422 problem listing every broken rule."""
    errors: list[FieldError] = []
    rhk = _feedback(feedback_rhk, "feedback_rhk", set(rhk_ids), "approved-rhk",
                    "Feedback is given per RHK of the evaluated plan: this key is not one of its RHK ids.",
                    "Umpan balik diberikan per RHK dari rencana yang dinilai: kunci ini bukan id RHK-nya.", errors)
    perilaku = _feedback(feedback_perilaku, "feedback_perilaku", set(VALUES), "berakhlak-value",
                         f"Feedback on behaviour is given per BerAKHLAK value: {', '.join(VALUES)}.",
                         f"Umpan balik perilaku diberikan per nilai BerAKHLAK: {', '.join(VALUES)}.", errors)
    hasil = _rating(rating_hasil_kerja, "rating_hasil_kerja", errors)
    perilaku_rating = _rating(rating_perilaku, "rating_perilaku", errors)
    if errors or hasil is None or perilaku_rating is None:
        raise validation_error(errors, detail="The evaluation breaks one or more rules.",
                               detail_id="Penilaian melanggar satu atau lebih aturan.")
    return Assessment(rhk, perilaku, hasil, perilaku_rating)


def angka_kredit(months: int, value: Predikat, position_kind: str | None, jenjang: str | None) -> Decimal | None:
    """Credit points earned in the period: functional positions only, else None."""
    if position_kind != "fungsional" or not jenjang:
        return None
    return credit_points(months, value, jenjang)


# --- finalising a unit -------------------------------------------------------------------------

def unit_heads(members: Mapping[str, str | None]) -> set[str]:
    """The heads of a unit, from its members' supervisors (nip -> supervisor nip): those whose
    supervisor is outside the unit, or who have none. They evaluate the unit's staff and finalise;
    their own rating follows the unit's organisational achievement, not the staff distribution."""
    return {nip for nip, boss in members.items() if boss is None or boss not in members}


def unit_predikat(value: Any, field: str = "unit_predikat") -> UnitPredikat:
    try:
        return UnitPredikat(value)
    except ValueError:
        allowed = ", ".join(u.value for u in UnitPredikat)
        raise validation_error([FieldError(field, "one-of", f"{field} must be one of: {allowed}.",
                                           f"{field} harus salah satu dari: {allowed}.")]) from None


def violation_dict(v: Violation) -> dict[str, str]:
    return {"rule": v.rule, "detail": v.detail, "detail_id": v.detail_id}


def finalisation(mode: DistributionMode, unit_value: UnitPredikat, employees: Iterable[Predikat]) -> list[Violation]:
    """The distribution's violations, to finalise with as warnings ("warn"); with "block", a 409
    problem listing each one, and nothing is finalised."""
    violations = check(unit_value, employees)
    if violations and mode is DistributionMode.BLOCK:
        raise DomainError(
            code="distribution-violated", status=409, title="Predikat distribution not met",
            detail=f"The unit's predikat ({unit_value.value}) bounds its employees' predikat, and "
                   f"{len(violations)} rule(s) are broken: change ratings before finalising.",
            detail_id=f"Predikat unit ({unit_value.value}) membatasi sebaran predikat pegawainya, dan "
                      f"{len(violations)} aturan dilanggar: ubah penilaian sebelum finalisasi.",
            errors=[FieldError("unit_predikat", v.rule, v.detail, v.detail_id) for v in violations],
            extra={"violations": [violation_dict(v) for v in violations], "distribution_mode": mode.value})
    return violations
