"""The payroll table written out: CSV for payroll systems (plain values, one header row of machine
names, one row per employee) and XLSX for people (a heading with agency, month, revision and when it
was computed; NIP and every text stored as text, so an 18-digit NIP stays 18 digits and a name
starting with "=" is never a formula; amounts as whole-rupiah numbers; the totals under them)."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .domain.payroll import PayrollTable

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_FORMAT = "@"
MONEY_FORMAT = "#,##0"


def filename(table: PayrollTable, fmt: str) -> str:
    return f"tukin-{table.agency_id}-{table.month}-r{table.revision}.{fmt}"


def to_csv(table: PayrollTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([row[c] for c in table.columns])
    return out.getvalue()


def _text(cell: Any, value: str) -> None:
    cell.value = value
    cell.data_type = "s"  # openpyxl takes a string starting with "=" for a formula
    cell.number_format = TEXT_FORMAT


def to_xlsx(table: PayrollTable) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = "Tunjangan"
    bold = Font(bold=True)
    heading = (f"Tunjangan {table.agency_id} bulan {table.month}, revisi {table.revision}, dihitung "
               f"{table.computed_at} / Allowances of {table.agency_id} for {table.month}, revision "
               f"{table.revision}, computed {table.computed_at}")
    _text(sheet.cell(1, 1), heading)
    sheet.cell(1, 1).font = bold
    header_row = 3
    for index, column in enumerate(table.columns, 1):
        cell = sheet.cell(header_row, index)
        _text(cell, table.heading(column))
        cell.font = bold
    for offset, row in enumerate(table.rows, 1):
        for index, column in enumerate(table.columns, 1):
            cell = sheet.cell(header_row + offset, index)
            value = row[column]
            if isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
                if table.is_money(column):
                    cell.number_format = MONEY_FORMAT
            else:
                _text(cell, str(value))
    total_row = header_row + len(table.rows) + 1
    _text(sheet.cell(total_row, table.columns.index("name") + 1),
          f"JUMLAH / TOTAL ({table.computed} dihitung / computed, {table.not_computed} tidak / not)")
    for column, amount in table.totals.items():
        cell = sheet.cell(total_row, table.columns.index(column) + 1)
        cell.value = amount
        cell.number_format = MONEY_FORMAT
    for cell in sheet[total_row]:
        cell.font = bold
    sheet.freeze_panes = sheet.cell(header_row + 1, table.columns.index("name") + 2)  # type: ignore[assignment]  # cell() is typed Cell | MergedCell; nothing here is merged
    widths = {"month": 9, "revision": 8, "nip": 21, "name": 32, "unit_id": 16, "kelas_jabatan": 8, "note": 40}
    for index, column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(column, 16)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(table: PayrollTable, fmt: str) -> dict[str, Any]:
    """What the RPC answers: the file's name and media type, and its content (text for CSV, base64
    for XLSX: the bus carries JSON)."""
    if fmt == "xlsx":
        return {"filename": filename(table, fmt), "media_type": XLSX_TYPE,
                "content_base64": base64.b64encode(to_xlsx(table)).decode("ascii")}
    return {"filename": filename(table, fmt), "media_type": CSV_TYPE, "content": to_csv(table)}
