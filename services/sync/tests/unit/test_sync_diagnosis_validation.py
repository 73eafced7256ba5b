"""Validation rules (issue #7 item 5) the other unit tests left open: PPPK numbers broken the same
ways as PNS ones, dates that are real but lie in the future, NIK/NIP disagreements of a PPPK flagged
and never refused, a malformed supervisor NIP named by its rule, and a refused row leaving no trace
(no record, no event) while the warnings of a stored row are reported."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from sync.domain.identifiers import PPPK, InvalidIdentifier, nik_nip_mismatches, parse_nik, parse_nip
from sync.domain.records import RowErrors, parse_employee
from sync.handlers import import_records
from sync.tables import OUTBOX, employees

TODAY = dt.date(2026, 3, 2)
PPPK_NIP = "199001012022211001"  # born 1990-01-01, PPPK 2022, contract 1, male, 001
PPPK_NIK = "3171010101900003"


def rule_of(value, today=TODAY):
    with pytest.raises(InvalidIdentifier) as info:
        parse_nip(value, today=today)
    return info.value.rule


# --- PPPK numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, rule", [
    ("199002302022211001", "date"),  # 30 February
    ("199013012022211001", "date"),  # month 13
    ("199001012022210001", "gender-digit"),  # gender 0 after the contract count
    ("199001012022213001", "gender-digit"),  # gender 3
    ("199001011990211001", "start-after-birth"),  # appointed the year they were born
    ("19900101202221100", "nip-18-digits"),
])
def test_a_pppk_number_is_refused_by_the_same_rules_as_a_pns_one(value, rule):
    assert rule_of(value) == rule


def test_digits_13_and_14_of_a_pppk_number_are_never_read_as_a_month():
    nip = parse_nip("199001012022292002", today=TODAY)  # "29" would be no month at all
    assert (nip.kind, nip.start_month, nip.gender) == (PPPK, None, "P")


# --- real dates that cannot be yet -------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "203001012050011001",  # born in 2030
    "199001012027011001",  # CPNS in 2027
    "199001012027211001",  # PPPK appointed in 2027
])
def test_dates_in_the_future_are_refused(value):
    assert rule_of(value) == "not-in-future"


def test_this_years_appointment_is_accepted():
    assert parse_nip("199001012026011001", today=TODAY).start_year == 2026
    assert parse_nip("200001012026211001", today=TODAY).kind == PPPK


def test_the_future_is_judged_against_today_by_default():
    next_year = dt.date.today().year + 1
    with pytest.raises(InvalidIdentifier) as info:
        parse_nip(f"19900101{next_year}011001")
    assert info.value.rule == "not-in-future"
    assert info.value.field_error("nip").detail_id


# --- NIK against NI PPPK: flagged, not refused --------------------------------------------------------

def test_pppk_nik_disagreeing_with_the_number_is_flagged():
    female_nik = parse_nik("3171014101900003", today=TODAY)  # 01 + 40
    assert [f.rule for f in nik_nip_mismatches(female_nik, parse_nip(PPPK_NIP, today=TODAY))] == ["nik-nip-gender"]


def pppk_row(**changes):
    row = {"nip": PPPK_NIP, "nik": PPPK_NIK, "name": "Siti Aminah", "email": "siti@example.go.id",
           "employment_type": "PPPK", "golongan": "IX", "agency_id": "ag1"}
    row.update(changes)
    return row


def test_pppk_row_with_a_disagreeing_nik_is_kept_with_warnings():
    employee, warnings = parse_employee(pppk_row(nik="3171014102910003"))  # another day and year, female
    assert employee.nip == PPPK_NIP
    assert [w.rule for w in warnings] == ["nik-nip-birth-date", "nik-nip-gender"]


# --- the supervisor's NIP -------------------------------------------------------------------------------

@pytest.mark.parametrize("supervisor, rule", [
    ("12345", "nip-18-digits"),
    ("197002302000031001", "date"),
    ("197001012000033001", "gender-digit"),
])
def test_a_malformed_supervisor_nip_is_named_by_its_rule(supervisor, rule):
    with pytest.raises(RowErrors) as info:
        parse_employee(pppk_row(supervisor_nip=supervisor))
    assert [(e.field, e.rule) for e in info.value.errors] == [("supervisor_nip", rule)]


def test_self_supervision_is_reported_once_even_with_spaces():
    with pytest.raises(RowErrors) as info:
        parse_employee(pppk_row(supervisor_nip=f" {PPPK_NIP} "))
    assert [(e.field, e.rule) for e in info.value.errors] == [("supervisor_nip", "not-self")]


# --- through the import: a refused row leaves no trace --------------------------------------------------

@pytest.fixture
def factory(sync_db, import_master_data):
    import_master_data({"agencies": [{"id": "ag1", "name": "Kementerian Contoh", "kind": "pusat"}]})
    return sync_db


def stored(factory):
    with factory() as s:
        nips = s.execute(select(employees.c.nip)).scalars().all()
        bodies = s.execute(select(OUTBOX.table.c.body)).scalars().all()
    return nips, [json.loads(b)["subject"] for b in bodies if json.loads(b)["type"].startswith("ekinerja.employee")]


@pytest.mark.parametrize("row, field, rule", [
    (pppk_row(supervisor_nip="12345"), "supervisor_nip", "nip-18-digits"),
    (pppk_row(supervisor_nip=PPPK_NIP), "supervisor_nip", "not-self"),
    (pppk_row(nip="203001012050211001"), "nip", "not-in-future"),
])
def test_an_import_refuses_the_row_whole_naming_field_and_rule(factory, row, field, rule):
    report = import_records(factory, OUTBOX, {"employees": [row]})

    assert report["counts"]["employees"]["rejected"] == 1
    assert [(e["field"], e["rule"]) for e in report["errors"]] == [(field, rule)]
    assert stored(factory) == ([], [])


def test_an_import_stores_a_flagged_pppk_row_and_reports_its_warning(factory):
    report = import_records(factory, OUTBOX, {"employees": [pppk_row(nik="3171014101900003")]})

    assert report["rejected"] == 0
    assert [(w["key"], w["rule"]) for w in report["warnings"]] == [(PPPK_NIP, "nik-nip-gender")]
    assert stored(factory) == ([PPPK_NIP], [PPPK_NIP])
