"""The canonical JSON the input digest hashes: the fast writer must give, byte for byte, what
json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) gives, or every unchanged
month would be recomputed as a new revision after an upgrade."""

import datetime as dt
import json
import random

import pytest

from tukin.domain.facts import AbsenceKind, DayFacts, DayStatus, EmployeeMonth, canonical_json
from tukin.domain.predikat import Predikat


def reference(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


NAMES = ["Siti Aminah", "Dr. Ir. I Gusti Ngurah Rai, M.Sc.", 'Ahmad "Mamat" \\ Suryadi', "Ñoño Ämelie",
         "Dewi\tAyu\nLestari", "Ketut \u2028 Wayan", "Pegawai \x01\x7f", "名字 😀", "/slash/", ""]


@pytest.mark.parametrize("name", NAMES)
def test_an_employee_month_is_written_as_json_dumps_writes_it(name):
    rng = random.Random(name)
    days = tuple(DayFacts(dt.date(2026, 3, d), rng.choice(list(DayStatus)), rng.randint(0, 3),
                          rng.choice([None, *AbsenceKind]), rng.random() < 0.2) for d in range(2, 28))
    facts = EmployeeMonth("199001012020121001", name, 8, 2026, 3, days, 2, Predikat.BAIK,
                          {2025: Predikat.SANGAT_BAIK, 2024: Predikat.BAIK}, "kemendemo",
                          obligation_start=dt.date(2026, 1, 2))
    assert facts.canonical_json() == reference(facts.to_dict())


@pytest.mark.parametrize("value", [
    {"b": 1, "a": [True, False, None], "c": {"z": -0, "y": 2**63 - 1}},
    {"big": 2**70},  # beyond 64 bits: written by json.dumps itself
    {"text": "lone \ud800 surrogate"},
    {"\u00e9": 1, "e": 2, "\U0001f600": 3, "\uffff": 4},  # key order by code point
])
def test_plain_values_are_written_as_json_dumps_writes_them(value):
    assert canonical_json(value) == reference(value)
