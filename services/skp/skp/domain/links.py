"""An RHK keeps its identity: others link to it by its id, so edits and revisions keep the id, and an
RHK that others depend on is removed only when the plan says which RHK takes over its links.

What links to an RHK: a subordinate's RHK that intervenes it, an open Matriks Peran Hasil cell laid
out on it, and the owner's daily progress entries. skp cannot see daily entries (they are harian's,
and harian's events do not name RHK), but harian accepts entries only on the RHK of the approved
version (the list in `skp.approved`): so every RHK in force is taken to have entries, and removing
one always needs a replacement, which `skp.approved` then names (`moved`) for harian to follow.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError, validation_error

from .plan import Rhk

DEPENDENT_KINDS = ("intervenes", "matriks", "harian")


@dataclass(frozen=True)
class Dependent:
    """Someone whose data links to an RHK: `kind` intervenes (their RHK `rhk_id`), matriks (an open
    cell proposed to them) or harian (the owner's daily entries on an RHK in force)."""

    kind: str
    nip: str
    name: str | None
    rhk_id: str | None = None
    text: str | None = None


def assign_ids(plan: Sequence[Rhk], known: Collection[str], new_id: Callable[[], str]) -> list[str]:
    """The id of each RHK of `plan`: the one it was sent with (one of `known`, this SKP's RHK in the
    version edited or in force), else a new one; one 422 naming each unknown or repeated id."""
    errors: list[FieldError] = []
    ids: list[str] = []
    seen: set[str] = set()
    for i, rhk in enumerate(plan):
        if rhk.id is None:
            ids.append(new_id())
            continue
        if rhk.id not in known:
            errors.append(FieldError(f"rhk[{i}].id", "own-rhk",
                                     "This id is not one of this SKP's RHK: leave id out for a new RHK.",
                                     "id ini bukan id RHK SKP ini: kosongkan id untuk RHK baru."))
        elif rhk.id in seen:
            errors.append(FieldError(f"rhk[{i}].id", "unique", "The same RHK is sent twice.",
                                     "RHK yang sama dikirim dua kali."))
        seen.add(rhk.id)
        ids.append(rhk.id)
    if errors:
        raise validation_error(errors, detail="The SKP plan breaks one or more rules.",
                               detail_id="Rencana SKP melanggar satu atau lebih aturan.")
    return ids


def moves(plan: Sequence[Rhk], ids: Sequence[str], removed: Collection[str],
          earlier: Mapping[str, str]) -> dict[str, str]:
    """Removed RHK id -> the RHK of the plan (by id) that takes over its links: each RHK's `replaces`
    (only removed RHK, each named once), and the moves of an earlier edit of the same version whose
    RHK is still removed and whose target is still in the plan."""
    kept = set(ids)
    result = {old: new for old, new in earlier.items() if old in removed and new in kept}
    errors: list[FieldError] = []
    named: set[str] = set()
    for i, rhk in enumerate(plan):
        for j, old in enumerate(rhk.replaces):
            path = f"rhk[{i}].replaces[{j}]"
            if old not in removed:
                errors.append(FieldError(path, "removed-rhk",
                                         "replaces names an RHK this plan removes (one of this SKP's RHK in force "
                                         "or in this draft that is not sent again).",
                                         "replaces menyebut RHK yang dihapus oleh rencana ini (RHK SKP ini yang "
                                         "berlaku atau ada di draf ini dan tidak dikirim lagi)."))
            elif old in named:
                errors.append(FieldError(path, "unique", "An RHK's links can move to one RHK only.",
                                         "Tautan sebuah RHK hanya dapat dipindahkan ke satu RHK."))
            else:
                named.add(old)
                result[old] = ids[i]
    if errors:
        raise validation_error(errors, detail="The SKP plan breaks one or more rules.",
                               detail_id="Rencana SKP melanggar satu atau lebih aturan.")
    return result


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(dependents: Sequence[Dependent], english: bool) -> str:
    parts = []
    for d in dependents:
        name = f"{d.name} (NIP {d.nip})" if d.name else f"NIP {d.nip}"
        if d.kind == "intervenes":
            parts.append(f"{name} intervenes it" if english else f"{name} mengintervensinya")
        elif d.kind == "matriks":
            parts.append(f"a matriks cell proposes work on it to {name}" if english
                         else f"sel matriks mengusulkan hasil kerja darinya kepada {name}")
        else:
            parts.append("your daily progress entries may point to it (it is in force)" if english
                         else "progres harian Anda dapat tertaut padanya (RHK ini berlaku)")
    return "; ".join(parts)


def _dependents_dict(rhk_id: str, text: str, dependents: Sequence[Dependent]) -> dict[str, Any]:
    return {"rhk_id": rhk_id, "text": text,
            "intervened_by": [{"nip": d.nip, "name": d.name, "rhk_id": d.rhk_id, "text": d.text}
                              for d in dependents if d.kind == "intervenes"],
            "matriks": [{"nip": d.nip, "name": d.name, "text": d.text} for d in dependents if d.kind == "matriks"],
            "daily_entries": any(d.kind == "harian" for d in dependents)}


def check_removals(removed: Mapping[str, str], dependents: Mapping[str, Sequence[Dependent]],
                   moved: Mapping[str, str]) -> None:
    """`removed`: id -> text of each RHK the plan removes. A 409 naming, for each one that others
    depend on and whose links do not move, who depends on it; nothing is changed."""
    blocked = [(rhk_id, text, list(dependents.get(rhk_id) or ())) for rhk_id, text in removed.items()
               if dependents.get(rhk_id) and rhk_id not in moved]
    if not blocked:
        return
    en = " ".join(f"RHK '{_short(text)}' cannot be removed: {_who(deps, True)}." for _, text, deps in blocked)
    id_ = " ".join(f"RHK '{_short(text)}' tidak dapat dihapus: {_who(deps, False)}." for _, text, deps in blocked)
    how_en = ("Send it again with its id, or name it in `replaces` of the RHK that takes over its links "
              "(the subordinates' intervenes, the matriks cells and the daily entries then point there).")
    how_id = ("Kirim lagi dengan id-nya, atau sebut pada `replaces` di RHK yang mengambil alih tautannya "
              "(intervensi bawahan, sel matriks, dan progres harian lalu mengarah ke sana).")
    raise DomainError(
        code="rhk-has-dependents", status=409, title="Others depend on this RHK",
        detail=f"{en} {how_en}", detail_id=f"{id_} {how_id}",
        errors=[FieldError("rhk", "keeps-links", f"{en} {how_en}", f"{id_} {how_id}")],
        extra={"dependents": [_dependents_dict(rhk_id, text, deps) for rhk_id, text, deps in blocked]})
