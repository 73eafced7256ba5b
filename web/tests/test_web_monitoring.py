"""The Monitoring pages' own mechanics, without the API: the charts drawn on the server (an image with
a title and a description, labels escaped, a day without data breaks the line, the largest bar
first), the period a day, week or month asks for, figures as the page writes them, and the CSV and
XLSX exports holding every row and column of the table. (The pages against the real API, in a
browser: tests/integration/test_web_monitoring.py.)"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from ekinerja_web.app import create_app
from ekinerja_web.monitoring import columns, export, period, shown
from ekinerja_web.monitoring_charts import line, ranked_bars
from openpyxl import load_workbook


@pytest.fixture
def app(tmp_path):
    app = create_app({"SESSION_DB": str(tmp_path / "sessions.db"), "API_URL": "http://127.0.0.1:9", "API_TIMEOUT": 1})
    app.testing = True
    return app


def test_the_line_is_an_image_with_its_words_and_a_day_without_data_breaks_it():
    svg = str(line("c1", "Terisi <per hari>", "Senin: 50%", [("2026-03-02", 0.5), ("2026-03-03", None),
                                                             ("2026-03-04", 1.0), ("2026-03-05", 0.75)],
                   ["2 Mar", "3 Mar", "4 Mar", "5 Mar"]))
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c1-t c1-d"' in svg
    assert "<title id=\"c1-t\">Terisi &lt;per hari&gt;</title>" in svg and "Senin: 50%" in svg
    assert svg.count("<circle") == 3 and svg.count("<polyline") == 1  # the first point stands alone
    assert "style=" not in svg  # the pages' CSP allows no inline style


def test_the_bars_rank_the_largest_first_and_escape_names():
    svg = str(ranked_bars("c2", "Peringkat", "-", [("Biro <A>", 2, "2"), ("Biro B", 9, "9"), ("Biro C", None, "–")]))
    assert svg.index("Biro B") < svg.index("Biro &lt;A&gt;") < svg.index("Biro C")
    assert svg.count("<rect") == 3


@pytest.mark.parametrize("args, expected", [
    ({"periode": "hari", "tanggal": "2026-03-04"}, ("hari", dt.date(2026, 3, 4), dt.date(2026, 3, 4))),
    ({"periode": "minggu", "tanggal": "2026-03-04"}, ("minggu", dt.date(2026, 3, 2), dt.date(2026, 3, 8))),
    ({"periode": "bulan", "tanggal": "2026-02-10"}, ("bulan", dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ({"periode": "abad", "tanggal": "2026-02-31"}, ("hari", None, None)),
])
def test_the_period_is_a_day_its_week_or_its_month(app, args, expected):
    with app.test_request_context("/pemantauan/nasional", query_string=args):
        kind, day, first, last = period()
    assert kind == expected[0]
    if expected[1] is not None:
        assert (first, last) == expected[1:]
    else:
        assert first == last == day  # a date that is not one: today


def test_figures_are_written_in_the_pages_language(app):
    with app.test_request_context("/"):
        assert shown("filled_rate", 0.8333) == "83,33%"
        assert shown("tukin_net", "1234567.00").replace("\xa0", " ") == "Rp 1.234.567"
        assert shown("blank_rate", None) == "–" and shown("blank", 12) == "12"


def data(pay: bool) -> dict:
    figures = {"members": 3, "filled": 2, "blank": 1, "filled_rate": 0.6667, "skp_none": 1, "tukin_net": "150.50"}
    return {"from": "2026-03-02", "to": "2026-03-06", "pay_visible": pay, "children": [
        {"level": "unit", "id": "u1", "name": "Biro Satu", "figures": figures},
        {"level": "unit", "id": "u2", "name": "Biro Dua", "figures": {**figures, "blank": 4}}], "people": [
        {"level": "person", "nip": "198001012010011001", "name": "Ana", "figures": figures}]}


def test_the_csv_holds_every_row_and_column_and_pay_only_when_shown(app):
    with app.test_request_context("/"):
        response = export(data(True), "anak", "csv", "ag1")
        hidden = export(data(False), "orang", "csv", "ag1")
    assert response.mimetype == "text/csv" and "pemantauan-ag1-unit-2026-03-02-2026-03-06.csv" in \
        response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["Kode", "Nama", "Pegawai"] and "Tunjangan bersih" in table[0]
    assert [row[:2] for row in table[1:]] == [["u1", "Biro Satu"], ["u2", "Biro Dua"]]
    with app.test_request_context("/"):
        assert len(table[0]) == 2 + len(columns(True))
    people = list(csv.reader(io.StringIO(hidden.get_data(as_text=True).lstrip("\ufeff"))))
    assert people[0][0] == "NIP" and "Tunjangan bersih" not in people[0] and people[1][0] == "198001012010011001"


def test_the_xlsx_holds_numbers_not_text(app):
    with app.test_request_context("/"):
        response = export(data(True), "anak", "xlsx", "ag1")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert rows[2][header.index("Kosong")] == 4 and rows[1][header.index("% terisi")] == pytest.approx(0.6667)
    assert float(rows[1][header.index("Tunjangan bersih")]) == 150.5
