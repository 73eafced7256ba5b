"""The gateway's fast JSON (jsontext): what it reads is what the standard library reads, and what it
cannot read the same is left to it, so the refusals of bodies.py are unchanged; what it writes says
what Flask's own provider says."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from ekinerja_gateway import jsontext
from ekinerja_gateway.bodies import parse_json
from ekinerja_gateway.problems import GatewayProblem


def stdlib(text: str):
    return json.loads(text)


@pytest.mark.parametrize("text", [
    '{"date": "2026-03-02", "activities": [{"quantity": 1.5, "minutes": 30, "description": "Rapat \\u00e9 ☕"}]}',
    '[1, -0, 0.1, 1e-7, 123456789012345, {"a": {"a": null}}, true, false, "x"]',
    '{"a": 1, "a": 2}',  # the last one wins, as in the standard library
    '"just a string"',
])
def test_json_is_read_as_the_standard_library_reads_it(text):
    assert jsontext.loads(text.encode(), stdlib) == json.loads(text)
    assert jsontext.loads(text, stdlib) == json.loads(text)


def test_an_integer_beyond_64_bits_is_read_as_an_integer_not_a_float():
    # orjson alone reads it as 4.368e30, a finite float that the I-JSON check would let through
    big = "4368327825873774654254032617472"
    assert jsontext.loads(f'{{"n": {big}}}'.encode(), stdlib) == {"n": int(big)}


@pytest.mark.parametrize("body, code", [
    (b'{"n": 4368327825873774654254032617472}', "validation"),  # 422 number-range
    (b'{"d": "x\\ud800"}', "validation"),  # 422: an unpaired surrogate
    (b"[" * 40 + b"]" * 40, "body-too-deep"),
    (b"[" * 5000 + b"]" * 5000, "body-too-deep"),  # past orjson's own depth limit too
])
def test_the_gateways_refusals_are_unchanged(body, code):
    with pytest.raises(GatewayProblem) as refused:
        parse_json(body)
    assert refused.value.code == code


@pytest.mark.parametrize("body", [b'{"a": NaN}', b'{"a": Infinity}', b"\xef\xbb\xbf{}", b'{"a": "\xff"}', b"{",
                                  b""])
def test_what_is_not_json_stays_not_json(body):
    with pytest.raises(ValueError):
        parse_json(body)


def test_responses_say_what_flasks_provider_says():
    app = Flask(__name__)
    jsontext.install(app)
    reference = DefaultJSONProvider(app)
    body = {"z": 1, "a": [dt.date(2026, 3, 2), dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)],
            "m": decimal.Decimal("12.50"), "u": uuid.UUID(int=7), "t": "Progres ☕", "n": None}
    with app.app_context():
        fast = app.json.response(body)
        slow = reference.response(body)
    assert json.loads(fast.get_data()) == json.loads(slow.get_data())
    assert list(json.loads(fast.get_data())) == list(json.loads(slow.get_data()))  # keys in the same order
    assert fast.mimetype == slow.mimetype == "application/json"
    assert fast.get_data().endswith(b"\n")


def test_what_orjson_cannot_write_is_written_by_flasks_provider():
    app = Flask(__name__)
    jsontext.install(app)
    with app.app_context():
        response = app.json.response({"bad": "x\ud800"})  # a lone surrogate: no UTF-8 for it
    assert json.loads(response.get_data()) == {"bad": "x\ud800"}
