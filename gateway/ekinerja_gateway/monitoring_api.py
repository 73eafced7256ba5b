"""The /api/v1/monitoring routes: national monitoring, from the nation down to one person.

Each level is composed from the read models of the three services that own its figures, one RPC each:
harian (daily progress, and the node's place in the unit tree), skp (plans, evaluations, predikat
against the caps) and tukin (allowance totals, for who may see pay); sync names the agencies. Each
service decides on its own who may see what (kernel monitoring) and records the national reads of
people it answers; the gateway only merges the rows by node (or NIP) and sorts them by the figure
asked for. None of them reads entries or employees per request.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Response

from ekinerja_kernel import monitoring as mon
from ekinerja_kernel.rpc import RpcProblem

from .api import answer, api, call
from .bodies import OPTIONAL, REQUIRED, invalid, limit, query_fields

READS_LIMIT_MAX = 500
ORDERS = ("asc", "desc")
SORTABLE = ("name", *mon.FIGURES)
EMPTY = {**mon.harian_figures({}, 0, 0), **mon.skp_figures({}, 0, {}, {})}


def _query() -> dict[str, Any]:
    fields = query_fields({"from": REQUIRED, "to": OPTIONAL, "sort": OPTIONAL, "order": OPTIONAL})
    errors = []
    if fields.get("sort") is not None and fields["sort"] not in SORTABLE:
        errors.append({"field": "sort", "rule": "one-of", "allowed": list(SORTABLE),
                       "detail": "sort names a figure of the rows (e.g. blank, filled_rate, skp_none, tukin_net) "
                                 "or name.",
                       "detail_id": "sort menyebut salah satu angka baris (mis. blank, filled_rate, skp_none, "
                                    "tukin_net) atau name."})
    if fields.get("order") is not None and fields["order"] not in ORDERS:
        errors.append({"field": "order", "rule": "one-of", "allowed": list(ORDERS),
                       "detail": "order is asc or desc.", "detail_id": "order bernilai asc atau desc."})
    if errors:
        raise invalid(errors)
    return fields


def _optional(service: str, method: str, *args: Any) -> dict[str, Any] | None:
    """A service that does not know the node yet (404: nothing of it reached that service) adds
    nothing to the row; any other refusal is the answer."""
    try:
        return call(service, method, *args, idempotent=True)
    except RpcProblem as problem:
        if problem.status == 404:
            return None
        raise


def _sort_key(by: str) -> Any:
    def key(row: dict[str, Any]) -> tuple:
        if by == "name":
            return (0, (row.get("name") or "").casefold(), row.get("id") or row.get("nip") or "")
        value = row["figures"].get(by)
        if value is None:
            return (1, Decimal(0))
        return (0, Decimal(value) if isinstance(value, str) else Decimal(str(value)))
    return key


def sort_rows(rows: list[dict[str, Any]], by: str, order: str) -> list[dict[str, Any]]:
    """Rows by one figure (rows without it last, whatever the order), then by name."""
    by_name = sorted(rows, key=_sort_key("name"))
    if by == "name":
        return by_name if order == "asc" else list(reversed(by_name))
    present = [r for r in by_name if r["figures"].get(by) is not None]
    absent = [r for r in by_name if r["figures"].get(by) is None]
    return sorted(present, key=_sort_key(by), reverse=order == "desc") + absent


def _merge(rows: dict[tuple, dict[str, Any]], found: list[dict[str, Any]], key: tuple[str, ...],
           extra: tuple[str, ...] = ()) -> None:
    for item in found:
        ident = tuple(item.get(k) for k in key)
        row = rows.setdefault(ident, {**{k: item.get(k) for k in key}, "name": item.get("name"),
                                      "figures": dict(EMPTY)})
        row["name"] = row.get("name") or item.get("name")
        for k in ("level", "kind", "agency_id"):
            if item.get(k) is not None:
                row[k] = item[k]
        for k in extra:
            if k in item:
                row[k] = item[k]
        row["figures"].update(item.get("figures") or {})


def _agency_names(ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = call("sync", "agency_names", sorted(set(ids)), idempotent=True)
    return {a["id"]: a["name"] for a in found["agencies"]}


def _compose(level: str, id_: str | None) -> dict[str, Any]:
    fields = _query()
    harian = call("harian", "monitoring_view", level, id_, fields["from"], fields.get("to"), idempotent=True)
    first, last = dt.date.fromisoformat(harian["from"]), dt.date.fromisoformat(harian["to"])
    months = mon.months_of(first, last)
    skp = _optional("skp", "monitoring_view", level, id_, first.year) or {}
    tukin = _optional("tukin", "monitoring_view", level, id_, months) or {"pay_visible": False}
    pay = bool(tukin.get("pay_visible")) and bool(harian.get("pay_visible"))
    children: dict[tuple, dict[str, Any]] = {}
    for found in (harian["children"], skp.get("children", []), tukin.get("children", []) if pay else []):
        _merge(children, found, ("level", "id"))
    people: dict[tuple, dict[str, Any]] = {}
    for found, extra in ((harian["people"], ()), (skp.get("people", []), ("skp_state", "latest_predikat")),
                         (tukin.get("people", []) if pay else [], ())):
        _merge(people, found, ("nip",), extra)
    path = harian["path"]
    names = _agency_names([c["id"] for c in children.values() if c.get("level") == mon.AGENCY]
                          + [p["id"] for p in path if p["level"] == mon.AGENCY])
    for row in children.values():
        if row.get("level") == mon.AGENCY:
            row["name"] = names.get(row["id"], row.get("name"))
    path = [{**p, "name": names.get(p["id"], p["name"]) if p["level"] == mon.AGENCY else p["name"]} for p in path]
    figures = {**EMPTY, **harian["figures"], **skp.get("figures", {}), **(tukin.get("figures", {}) if pay else {})}
    by = fields.get("sort") or "name"
    order = fields.get("order") or ("asc" if by == "name" else "desc")
    node = harian.get("node")
    return {
        "level": level, "id": id_, "name": path[-1]["name"] if path else None,
        "kind": node.get("kind") if node else None, "from": harian["from"], "to": harian["to"],
        "year": first.year, "months": months, "path": path, "figures": figures, "series": harian["series"],
        "periods": skp.get("periods", []), "caps": skp.get("caps", []), "pay_visible": pay,
        "tukin": {k: tukin.get(k) for k in ("series", "runs", "agencies_computed", "previews")} if pay else None,
        "sort": {"by": by, "order": order},
        "children": sort_rows(list(children.values()), by, order),
        "people": sort_rows([{**p, "level": mon.PERSON} for p in people.values()], by, order),
    }


@api.get("/monitoring/nation")
def monitoring_nation() -> Response:
    return answer(_compose(mon.NATION, None))


@api.get("/monitoring/agencies/<agency_id>")
def monitoring_agency(agency_id: str) -> Response:
    return answer(_compose(mon.AGENCY, agency_id))


@api.get("/monitoring/units/<unit_id>")
def monitoring_unit(unit_id: str) -> Response:
    return answer(_compose(mon.UNIT, unit_id))


@api.get("/monitoring/people/<nip>")
def monitoring_person(nip: str) -> Response:
    fields = query_fields({"from": REQUIRED, "to": OPTIONAL})
    harian = call("harian", "monitoring_person", nip, fields["from"], fields.get("to"), idempotent=True)
    first, last = dt.date.fromisoformat(harian["from"]), dt.date.fromisoformat(harian["to"])
    months = mon.months_of(first, last)
    skp = _optional("skp", "monitoring_person", nip, first.year) or {}
    tukin = _optional("tukin", "monitoring_person", nip, months) or {"pay_visible": False}
    pay = bool(tukin.get("pay_visible")) and bool(harian.get("pay_visible"))
    names = _agency_names([p["id"] for p in harian["path"] if p["level"] == mon.AGENCY])
    path = [{**p, "name": names.get(p["id"], p["name"]) if p["level"] == mon.AGENCY else p["name"]}
            for p in harian["path"]]
    return answer({
        "level": mon.PERSON, "nip": nip, "name": harian["name"], "status": harian["status"],
        "agency_id": harian["agency_id"], "unit_id": harian["unit_id"], "from": harian["from"], "to": harian["to"],
        "year": first.year, "months": months, "path": path,
        "figures": {**EMPTY, **harian["figures"], **skp.get("figures", {})}, "days": harian["days"],
        "skp": skp.get("skp"), "evaluations": skp.get("evaluations", []), "pay_visible": pay,
        "tukin": tukin.get("lines") if pay else None})


@api.get("/monitoring/reads")
def monitoring_reads() -> Response:
    fields = query_fields({"subject": OPTIONAL, "limit": limit(READS_LIMIT_MAX)})
    size = fields.get("limit", 100)
    found = []
    for service in ("harian", "skp", "tukin"):
        for r in call(service, "monitoring_reads", fields.get("subject"), size, idempotent=True)["reads"]:
            found.append({**r, "service": service})
    found.sort(key=lambda r: r["at"], reverse=True)
    return answer({"reads": found[:size]})
