"""Public copies of skp's events: plans in force and the predikat of each rating, without the
ratings' parts, notes or feedback."""

from __future__ import annotations

from typing import Any

from ..publicevents import PublicType
from ._pick import pick


def skp_approved(data: dict[str, Any]) -> dict[str, Any]:
    kept = pick(data, ("skp_id", "nip", "year", "agency_id", "version"))
    kept["approved_by"] = data["actor_nip"]
    kept["rhk"] = [{**pick(rhk, ("id", "kind", "text", "intervenes")),
                    "iki": [pick(iki, ("aspek", "indikator", "target", "satuan")) for iki in rhk["iki"]]}
                   for rhk in data["rhk"]]
    return kept


def skp_evaluated(data: dict[str, Any]) -> dict[str, Any]:
    kept = pick(data, ("skp_id", "nip", "agency_id", "year", "predikat", "angka_kredit"))
    kept["period"] = pick(data["period"], ("id", "kind", "seq", "start", "end"))
    kept["ak_months"] = data.get("ak_months")
    return kept


TYPES = (
    PublicType("skp.approved", "ekinerja.skp.approved.v1", skp_approved, "SKP in force"),
    PublicType("skp.evaluated", "ekinerja.skp.evaluated.v1", skp_evaluated, "Predikat of an SKP period"),
)
