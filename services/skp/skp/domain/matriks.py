"""Matriks Peran Hasil: for one of their RHK, a supervisor lays out which subordinate produces what.
Each cell becomes a proposed RHK in that subordinate's SKP, which they accept or decline, and the
accept names the supervisor's RHK it intervenes when the proposal has no (valid) match."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ekinerja_kernel.errors import FieldError, validation_error

from .plan import Iki, parse_rhk

MAX_CELLS = 200
CELL_FIELDS = ("nip", "text", "iki")


class ProposalState(StrEnum):
    DIUSULKAN = "diusulkan"  # proposed, waiting for the subordinate
    DITERIMA = "diterima"  # accepted: now an RHK of their SKP
    DITOLAK = "ditolak"  # declined, with a note


@dataclass(frozen=True)
class Cell:
    nip: str
    text: str
    iki: tuple[Iki, ...]  # may be empty: the subordinate then sets the IKI when accepting


def parse_cells(raw: Any, team: Collection[str], approach: str) -> list[Cell]:
    """The cells of one RHK's matrix, or one 422 problem listing every broken rule. `team` holds the
    NIPs whose penilai the supervisor is: nobody else can be given work."""
    if not isinstance(raw, list) or not raw:
        raise validation_error([FieldError("cells", "non-empty", "Give at least one cell (nip, text).",
                                           "Isi minimal satu sel (nip, text).")])
    if len(raw) > MAX_CELLS:
        raise validation_error([FieldError("cells", f"max-{MAX_CELLS}", f"At most {MAX_CELLS} cells per RHK.",
                                           f"Maksimal {MAX_CELLS} sel per RHK.")])
    errors: list[FieldError] = []
    cells = []
    for i, item in enumerate(raw):
        path = f"cells[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(path, "object", "Each cell must be an object.", "Setiap sel harus berupa objek."))
            continue
        errors += [FieldError(f"{path}.{key}", "unknown-field", f"'{key}' is not a field of a cell (nip, text, iki).",
                              f"'{key}' bukan kolom sel (nip, text, iki).") for key in item if key not in CELL_FIELDS]
        nip = item.get("nip")
        if not isinstance(nip, str) or nip not in team:
            errors.append(FieldError(f"{path}.nip", "in-your-team",
                                     "You can only give work to employees whose pejabat penilai you are.",
                                     "Anda hanya dapat membagi hasil kerja kepada pegawai yang Anda nilai."))
        text = given.strip() if isinstance(given := item.get("text"), str) else ""
        if not text:
            errors.append(FieldError(f"{path}.text", "required", "Say what this employee produces.",
                                     "Tuliskan hasil kerja yang dihasilkan pegawai ini."))
        iki: tuple[Iki, ...] = ()
        if item.get("iki"):  # optional, but when given it must be a whole, valid IKI set
            rhk, rhk_errors = parse_rhk({"text": text or "-", "iki": item["iki"]}, i, approach)
            errors += [FieldError(e.field.replace(f"rhk[{i}]", path, 1), e.rule, e.detail, e.detail_id)
                       for e in rhk_errors]
            iki = rhk.iki if rhk else ()
        cells.append(Cell(nip if isinstance(nip, str) else "", text, iki))
    if errors:
        raise validation_error(errors, detail="The matrix breaks one or more rules.",
                               detail_id="Matriks melanggar satu atau lebih aturan.")
    return cells


@dataclass(frozen=True)
class Choice:
    """One of the supervisor's RHK that an accepted proposal may intervene."""

    id: str
    text: str


def choose_intervened(given: Any, matched: str | None, choices: Sequence[Choice],
                      required: bool) -> tuple[str | None, list[FieldError]]:
    """Which of the supervisor's RHK an accepted proposal intervenes: `given` (the caller's
    `intervenes`) when it is one of `choices`, else the proposal's own match (`matched`, e.g. the
    principal's RHK a PMM text named) while it is still one of them. Without either, only an RHK
    that need not cascade (`required` false: a top official) is accepted with none."""
    ids = {c.id for c in choices}
    if given not in (None, ""):
        if isinstance(given, str) and given in ids:
            return given, []
        return None, [FieldError("intervenes", "supervisor-rhk",
                                 "intervenes must be one of your supervisor's RHK that you may intervene (see "
                                 "`choices`).",
                                 "intervenes harus salah satu RHK atasan yang dapat Anda intervensi (lihat "
                                 "`choices`).")]
    if matched in ids:
        return matched, []
    if not required:
        return None, []
    return None, [FieldError("intervenes", "required",
                             "This proposed RHK matches none of your supervisor's RHK: choose the one it intervenes "
                             "in `intervenes` (one of `choices`).",
                             "Usulan RHK ini tidak cocok dengan RHK atasan mana pun: pilih RHK atasan yang "
                             "diintervensinya pada `intervenes` (salah satu dari `choices`).")]
