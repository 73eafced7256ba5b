"""The CloudEvents 1.0 envelope and plain-JSON conversion."""

import datetime as dt
import decimal
import enum
import json
import uuid

import pytest

from ekinerja_kernel.events import ENVELOPE_KEYS, event_type, is_envelope, make_event, to_json_safe


class Colour(enum.Enum):
    RED = "red"


def test_event_type_is_namespaced_and_versioned():
    assert event_type("employee.upserted") == "ekinerja.employee.upserted.v1"
    assert event_type("skp.approved", version=3) == "ekinerja.skp.approved.v3"


def test_make_event_has_the_cloudevents_attributes():
    event = make_event("sync", "employee.upserted", "198609262015051001", {"nip": "198609262015051001"})
    assert set(event) == set(ENVELOPE_KEYS)
    assert event["specversion"] == "1.0"
    assert event["type"] == "ekinerja.employee.upserted.v1"
    assert event["source"] == "/ekinerja/sync"
    assert event["subject"] == "198609262015051001"
    assert event["datacontenttype"] == "application/json"
    assert event["data"] == {"nip": "198609262015051001"}
    assert uuid.UUID(event["id"]).version == 4
    time = dt.datetime.fromisoformat(event["time"])
    assert time.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - time) < dt.timedelta(minutes=5)
    assert is_envelope(event)


def test_version_is_part_of_the_type():
    assert make_event("sync", "employee.upserted", "x", {}, version=2)["type"] == "ekinerja.employee.upserted.v2"


def test_every_event_gets_its_own_id():
    ids = {make_event("sync", "unit.upserted", "u1", {})["id"] for _ in range(20)}
    assert len(ids) == 20


def test_event_with_rich_values_is_plain_json():
    moment = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = {"at": moment, "amount": decimal.Decimal("1250000.50"), "id": ident, "day": dt.date(2025, 1, 31),
            "nested": [{"when": dt.date(2024, 12, 31)}], "tags": ("a", "b"), "colour": Colour.RED, 7: None}
    event = make_event("tukin", "tukin.computed", "198609262015051001", data)

    text = json.dumps(event)  # no default=: must already be plain
    back = json.loads(text)["data"]
    assert back["at"] == "2025-03-04T05:06:07+00:00"
    assert back["amount"] == "1250000.50"
    assert back["id"] == "12345678-1234-5678-1234-567812345678"
    assert back["day"] == "2025-01-31"
    assert back["nested"] == [{"when": "2024-12-31"}]
    assert back["tags"] == ["a", "b"]
    assert back["colour"] == "red"
    assert back["7"] is None


def test_naive_datetime_is_taken_as_utc():
    assert to_json_safe(dt.datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05+00:00"


def test_aware_datetime_keeps_its_offset():
    wib = dt.timezone(dt.timedelta(hours=7))
    assert to_json_safe(dt.datetime(2025, 1, 2, 10, 0, tzinfo=wib)) == "2025-01-02T10:00:00+07:00"


def test_plain_values_pass_unchanged():
    assert to_json_safe({"a": [1, 2.5, True, None, "x"]}) == {"a": [1, 2.5, True, None, "x"]}


def test_requestid_only_when_given():
    assert "requestid" not in make_event("sync", "unit.upserted", "u1", {})
    assert "requestid" not in make_event("sync", "unit.upserted", "u1", {}, request_id="")
    event = make_event("sync", "unit.upserted", "u1", {}, request_id="req-42")
    assert event["requestid"] == "req-42"
    assert is_envelope(event)


@pytest.mark.parametrize("value", [object(), {"x": object()}, [1, {"y": object()}], b"bytes"])
def test_values_that_are_not_json_safe_raise_type_error(value):
    with pytest.raises(TypeError):
        to_json_safe(value)


def test_make_event_refuses_data_that_is_not_json_safe():
    with pytest.raises(TypeError):
        make_event("sync", "unit.upserted", "u1", {"bad": object()})


def test_is_envelope_rejects_incomplete_or_other_versions():
    event = make_event("sync", "unit.upserted", "u1", {})
    assert not is_envelope({k: v for k, v in event.items() if k != "subject"})
    assert not is_envelope({**event, "specversion": "0.3"})
    assert not is_envelope([event])
