"""Pemantauan (Monitoring): the nation, an agency, a unit down its tree, one person, as the API's
/api/v1/monitoring routes answer them. Each level is a table of its children (and its own people),
sortable by any column and exported as CSV or XLSX, with two charts drawn on the server: the share of
employee-days filled per day, and the children ranked by the column the table is sorted by.

What a person may see is the API's decision (BKN's national admins everything, an agency's admin and
leadership their agency, a unit's head its subtree); the page only asks."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import formatting
from .app import me, roles, signed_in
from .client import get
from .monitoring_charts import line, ranked_bars
from .views.common import date_arg, today

bp = Blueprint("pemantauan", __name__, url_prefix="/pemantauan")
ROLES = {"admin_nasional", "admin_instansi", "atasan", "kepala_sekolah"}
PERIODS = {"hari": _l("Hari"), "minggu": _l("Minggu"), "bulan": _l("Bulan")}
RATES = {"filled_rate", "blank_rate", "late_rate", "approved_rate", "returned_rate"}
MONEY = {"tukin_gross", "tukin_deductions", "tukin_net"}
HARIAN = [("members", _l("Pegawai")), ("employee_days", _l("Hari-pegawai")), ("filled", _l("Terisi")),
          ("blank", _l("Kosong")), ("late", _l("Terlambat")), ("approved", _l("Disetujui")),
          ("returned", _l("Dikembalikan")), ("filled_rate", _l("% terisi"))]
SKP = [("skp_none", _l("Tanpa SKP")), ("skp_draft", _l("SKP draf")), ("skp_diajukan", _l("SKP diajukan")),
       ("skp_disetujui", _l("SKP disetujui")), ("evaluations", _l("Dinilai"))]
TUKIN = [("tukin_employees", _l("Tunjangan dihitung")), ("tukin_net", _l("Tunjangan bersih"))]
PREDIKAT = [("predikat_sangat_baik", _l("Sangat Baik")), ("predikat_baik", _l("Baik")),
            ("predikat_butuh_perbaikan", _l("Butuh Perbaikan")), ("predikat_kurang", _l("Kurang/Misconduct")),
            ("predikat_sangat_kurang", _l("Sangat Kurang"))]
PERIOD_KINDS = {"annual": _l("Tahunan"), "quarterly": _l("Triwulan"), "monthly": _l("Bulan")}


def period() -> tuple[str, dt.date, dt.date, dt.date]:
    """(kind, the day asked for, from, to): a day, its week (Monday to Sunday) or its month."""
    kind = request.args.get("periode", "hari")
    kind = kind if kind in PERIODS else "hari"
    day = date_arg(request.args.get("tanggal")) or today()
    if kind == "minggu":
        first = day - dt.timedelta(days=day.weekday())
        return kind, day, first, first + dt.timedelta(days=6)
    if kind == "bulan":
        first = day.replace(day=1)
        return kind, day, first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return kind, day, day, day


def columns(pay: bool) -> list[tuple[str, Any]]:
    return HARIAN + SKP + (TUKIN if pay else [])


def shown(key: str, value: Any) -> str:
    """A figure as the page writes it: a rate in %, rupiah, or a count."""
    if value is None:
        return "–"
    if key in RATES:
        return formatting.percent(Decimal(str(value)) * 100)
    if key in MONEY:
        return formatting.rupiah(value)
    return formatting.number(value)


def cell(key: str, value: Any) -> Any:
    """A figure as an export holds it: a number (a rate as a fraction, rupiah as a decimal)."""
    if value is None:
        return None
    if key in MONEY:
        return Decimal(str(value))
    return value


def _query(first: dt.date, last: dt.date) -> dict[str, Any]:
    query = {"from": first.isoformat(), "to": last.isoformat()}
    if request.args.get("urut"):
        query["sort"] = request.args["urut"]
    if request.args.get("arah") in ("asc", "desc"):
        query["order"] = request.args["arah"]
    return query


def _rows(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    return data["children"] if table == "anak" else data["people"]


def export(data: dict[str, Any], table: str, fmt: str, name: str) -> Response:
    """One table of the page as CSV or XLSX: id or NIP, name, then every column of the page."""
    cols = columns(data["pay_visible"])
    header = [_("NIP") if table == "orang" else _("Kode"), _("Nama"), *[str(label) for _, label in cols]]
    body = [[r.get("nip") or r.get("id"), r.get("name")] + [cell(k, r["figures"].get(k)) for k, _ in cols]
            for r in _rows(data, table)]
    filename = f"pemantauan-{name}-{'pegawai' if table == 'orang' else 'unit'}-{data['from']}-{data['to']}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None  # a new workbook has its one sheet
        sheet.title = "Pemantauan"
        sheet.append(header)
        for row in body:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return Response(out.getvalue(), headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in body])
    return Response("\ufeff" + text.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def _charts(data: dict[str, Any], sort_key: str) -> dict[str, Any]:
    series = data.get("series") or []
    labels = [formatting.date_long(p["date"]) for p in series]
    described = ", ".join(f"{label}: {shown('filled_rate', p['filled_rate'])}" for label, p in zip(labels, series,
                                                                                                     strict=True))
    charts: dict[str, Any] = {"line": line("c-line", _("Hari-pegawai terisi per hari"), described,
                           [(p["date"], p["filled_rate"]) for p in series], labels)}
    key = sort_key if sort_key in dict(columns(data["pay_visible"])) else "filled_rate"
    label = str(dict(columns(data["pay_visible"])).get(key, key))
    rows = [(c.get("name") or c.get("id"), c["figures"].get(key), shown(key, c["figures"].get(key)))
            for c in data["children"]]
    if rows:
        charts["bars"] = ranked_bars("c-bars", _("Peringkat menurut %(what)s", what=label),
                                     ", ".join(f"{n}: {v}" for n, _, v in rows), rows)
        charts["bars_label"] = label
    return charts


def _level(endpoint: str, level: str, path: str, ident: str | None, name: str) -> ResponseReturnValue:
    kind, day, first, last = period()
    data = get(f"/api/v1/monitoring/{path}", **_query(first, last))
    fmt, table = request.args.get("unduh"), request.args.get("tabel", "anak")
    if fmt in ("csv", "xlsx") and table in ("anak", "orang"):
        return export(data, table, fmt, name)
    sort = data["sort"]
    return render_template("monitoring/level.html", active="pemantauan", data=data, level=level, ident=ident,
                           endpoint=endpoint, kind=kind, day=day, periods=PERIODS, columns=columns(data["pay_visible"]),
                           sort=sort, shown=shown, charts=_charts(data, sort["by"]), predikat=PREDIKAT,
                           period_kinds=PERIOD_KINDS, args=_args(ident), drill=_args(None),
                           person_args=_args(None, ("periode", "tanggal")))


def _args(ident: str | None, keep: tuple[str, ...] = ("periode", "tanggal", "urut", "arah")) -> dict[str, Any]:
    """The page's own query (for its sort links and exports; a drill keeps the period and the sort,
    a person's page the period)."""
    kept = {k: v for k, v in request.args.items() if k in keep}
    return {**kept, **({"ident": ident} if ident else {})}


@bp.get("/")
@signed_in(allowed=ROLES)
def index() -> ResponseReturnValue:
    """Where each role starts: the nation, the agency, or the unit the person heads."""
    found = me() or {}
    if "admin_nasional" in roles():
        return redirect(url_for("pemantauan.nation"))
    if "admin_instansi" in roles() and found.get("agency_id"):
        return redirect(url_for("pemantauan.agency", ident=found["agency_id"]))
    if found.get("unit_id"):
        return redirect(url_for("pemantauan.unit", ident=found["unit_id"]))
    abort(404)


@bp.get("/nasional")
@signed_in(allowed=ROLES)
def nation() -> ResponseReturnValue:
    return _level("pemantauan.nation", "nation", "nation", None, "nasional")


@bp.get("/instansi/<ident>")
@signed_in(allowed=ROLES)
def agency(ident: str) -> ResponseReturnValue:
    return _level("pemantauan.agency", "agency", f"agencies/{ident}", ident, ident)


@bp.get("/unit/<ident>")
@signed_in(allowed=ROLES)
def unit(ident: str) -> ResponseReturnValue:
    return _level("pemantauan.unit", "unit", f"units/{ident}", ident, ident)


@bp.get("/pegawai/<nip>")
@signed_in
def person(nip: str) -> ResponseReturnValue:
    kind, day, first, last = period()
    data = get(f"/api/v1/monitoring/people/{nip}", **{"from": first.isoformat(), "to": last.isoformat()})
    return render_template("monitoring/person.html", active="pemantauan", data=data, kind=kind, day=day,
                           periods=PERIODS, shown=shown, harian=HARIAN, skp=SKP, predikat=PREDIKAT,
                           period_kinds=PERIOD_KINDS, nip=nip)
