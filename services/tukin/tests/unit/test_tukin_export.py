"""The payroll export: one table (month, revision, NIP, name, unit, amounts, totals) written as CSV
for payroll systems and as XLSX for people, where an 18-digit NIP stays text and nothing is a formula."""

import base64
import csv
import io

from openpyxl import load_workbook

from tukin.domain.compute import compute_month
from tukin.domain.payroll import payroll_table
from tukin.domain.policy import DEMO_POLICIES_DIR, load_policy_file
from tukin.export import XLSX_TYPE, render

KEMENDEMO = load_policy_file(DEMO_POLICIES_DIR / "kemendemo.yaml")
NIP, OTHER, BROKEN = "198005122013071005", "199106032017052006", "199611232020101007"
RUN = {"agency_id": "kemendemo", "month": "2026-10", "revision": 2, "computed_at": "2026-11-03T02:00:00+00:00"}


def body(nip, name, blank=()):
    days = [{"date": f"2026-10-{d:02d}", "status": "belum_diisi" if d in blank else "disetujui",
             "entries": 0 if d in blank else 1} for d in (1, 2, 5, 6, 7, 8, 9)]
    return compute_month(KEMENDEMO, {"nip": nip, "name": name, "kelas_jabatan": 6, "month": "2026-10",
                                     "days": days}).to_dict()


def table():
    error = {"nip": BROKEN, "name": "Gilang", "month": "2026-10",
             "error": {"detail": "no kelas jabatan", "detail_id": "kelas jabatan tidak ada"}}
    return payroll_table(RUN, [(body(NIP, "Eko", blank=(5, 6)), "kd-bag-prog"), (body(OTHER, "=1+1"), "kd-bag-umum"),
                               (error, None)])


def test_the_table_has_month_revision_unit_and_totals():
    t = table()
    assert t.columns[:7] == ("month", "revision", "nip", "name", "unit_id", "kelas_jabatan", "gross")
    assert "deduction_blank_day" in t.columns and t.columns[-1] == "note"
    eko = next(r for r in t.rows if r["nip"] == NIP)
    assert (eko["month"], eko["revision"], eko["unit_id"]) == ("2026-10", 2, "kd-bag-prog")
    assert eko["deduction_blank_day"] == 54040  # 2 × 2.5% of 1.080.800
    assert t.totals["gross"] == 2 * 2702000 and t.totals["net"] == 2 * 2702000 - 54040
    assert (t.computed, t.not_computed) == (2, 1)
    assert next(r for r in t.rows if r["nip"] == BROKEN)["note"] == "kelas jabatan tidak ada"


def test_csv_keeps_plain_values_for_payroll_systems():
    made = render(table(), "csv")
    assert made["media_type"] == "text/csv" and made["filename"] == "tukin-kemendemo-2026-10-r2.csv"
    rows = list(csv.DictReader(io.StringIO(made["content"])))
    assert [r["nip"] for r in rows] == [NIP, OTHER, BROKEN]
    assert rows[0]["month"] == "2026-10" and rows[0]["revision"] == "2" and rows[0]["net"] == str(2702000 - 54040)


def test_xlsx_keeps_the_nip_as_eighteen_digits_of_text_and_adds_the_totals():
    made = render(table(), "xlsx")
    assert made["media_type"] == XLSX_TYPE and made["filename"].endswith("-r2.xlsx")
    sheet = load_workbook(io.BytesIO(base64.b64decode(made["content_base64"]))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "kemendemo" in values[0][0] and "2026-10" in values[0][0] and "revisi 2" in values[0][0]
    header = values[2]
    assert header[:5] == ["Bulan", "Revisi", "NIP", "Nama", "Unit"]
    nip_cell = sheet.cell(4, 3)
    assert nip_cell.value == NIP and nip_cell.data_type == "s" and nip_cell.number_format == "@"
    name_cell = sheet.cell(5, 4)  # a name that looks like a formula stays a name
    assert name_cell.value == "=1+1" and name_cell.data_type == "s"
    net = header.index("Diterima (Rp)")
    assert values[3][net] == 2702000 - 54040 and isinstance(values[3][net], int)
    totals = values[6]
    assert "JUMLAH" in totals[3] and totals[net] == 2 * 2702000 - 54040
