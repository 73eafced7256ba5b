"""The payroll table of one computation (a revision of an agency-month): one row per employee with
month, revision, NIP, name, unit, kelas jabatan, gross, one column per deduction rule kind, the cap,
total deduction, net, and a note for whoever could not be computed; and the totals. Both exports
(CSV for payroll systems, XLSX for people) are this one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .compute import KIND_HEADINGS

# Column -> (Indonesian heading, English heading); deduction columns are added per rule kind
# (compute.KIND_HEADINGS).
FIXED_BEFORE = ("month", "revision", "nip", "name", "unit_id", "kelas_jabatan", "gross")
FIXED_AFTER = ("cap", "total_deduction", "net", "note")
HEADINGS = {
    "month": ("Bulan", "Month"), "revision": ("Revisi", "Revision"), "nip": ("NIP", "NIP"),
    "name": ("Nama", "Name"), "unit_id": ("Unit", "Unit"), "kelas_jabatan": ("Kelas jabatan", "Position class"),
    "gross": ("Bruto (Rp)", "Gross (Rp)"), "cap": ("Batas potongan (Rp)", "Cap (Rp)"),
    "total_deduction": ("Jumlah potongan (Rp)", "Total deduction (Rp)"), "net": ("Diterima (Rp)", "Net (Rp)"),
    "note": ("Keterangan", "Note"),
}
MONEY = frozenset({"gross", "cap", "total_deduction", "net"})


@dataclass(frozen=True)
class PayrollTable:
    agency_id: str
    month: str
    revision: int
    computed_at: str
    columns: tuple[str, ...]  # machine names: the CSV header
    rows: tuple[dict[str, Any], ...]  # column -> value (ints for amounts, "" where not computed)
    totals: dict[str, int]  # every money and deduction column, over the rows computed
    computed: int
    not_computed: int

    def heading(self, column: str, lang: str = "id") -> str:
        index = 0 if lang == "id" else 1
        if column.startswith("deduction_"):
            kind = column.removeprefix("deduction_")
            return f"{KIND_HEADINGS.get(kind, (kind, kind))[index]} (Rp)"
        return HEADINGS[column][index]

    def is_money(self, column: str) -> bool:
        return column in MONEY or column.startswith("deduction_")


def payroll_table(run: Mapping[str, Any], results: Iterable[tuple[Mapping[str, Any], str | None]]) -> PayrollTable:
    """The table of `run` ({agency_id, month, revision, computed_at}) from each result's body and unit."""
    listed = list(results)
    kinds = sorted({line["kind"] for body, _ in listed for line in body.get("deductions", [])})
    deduction_columns = tuple(f"deduction_{k}" for k in kinds)
    columns = (*FIXED_BEFORE, *deduction_columns, *FIXED_AFTER)
    totals = dict.fromkeys(("gross", *deduction_columns, "cap", "total_deduction", "net"), 0)
    rows: list[dict[str, Any]] = []
    computed = not_computed = 0
    for body, unit_id in listed:
        row: dict[str, Any] = {"month": run["month"], "revision": run["revision"], "nip": body["nip"],
                               "name": body["name"], "unit_id": unit_id or ""}
        if "error" in body:
            not_computed += 1
            row.update(dict.fromkeys(("kelas_jabatan", "gross", *deduction_columns, "cap", "total_deduction", "net"),
                                     ""))
            row["note"] = body["error"]["detail_id"]
            rows.append(row)
            continue
        computed += 1
        amounts = {f"deduction_{k}": sum(int(line["amount"]) for line in body["deductions"] if line["kind"] == k)
                   for k in kinds}
        row.update({"kelas_jabatan": body["kelas_jabatan"], "gross": int(body["gross"]), **amounts,
                    "cap": sum(int(c.get("amount", 0)) for c in body.get("caps", [])),
                    "total_deduction": int(body["total_deduction"]), "net": int(body["net"]), "note": ""})
        for column in totals:
            totals[column] += row[column]
        rows.append(row)
    return PayrollTable(str(run["agency_id"]), str(run["month"]), int(run["revision"]), str(run["computed_at"]),
                        columns, tuple(rows), totals, computed, not_computed)
