"""tukin reads harian.day_closed and skp.evaluated by their wire values without importing those
services: its enums must stay equal to the published event schemas (docs/events/schemas)."""

import json
from pathlib import Path

import pytest

from tukin.domain.facts import AbsenceKind, DayStatus
from tukin.domain.predikat import ORDER, Predikat

SCHEMAS = Path(__file__).resolve().parents[4] / "docs" / "events" / "schemas"


def schema(name):
    path = SCHEMAS / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} not present")
    return json.loads(path.read_text())


def test_day_status_values_are_day_closed_statuses():
    properties = schema("harian.day_closed")["properties"]
    assert set(properties["status"]["enum"]) == {s.value for s in DayStatus} - {"libur"}
    assert set(properties["absence"]["enum"]) - {None} == {a.value for a in AbsenceKind}


def test_predikat_values_are_skp_evaluated_values():
    assert schema("skp.evaluated")["properties"]["predikat"]["enum"] == [p.value for p in ORDER]
    assert set(ORDER) == set(Predikat)
