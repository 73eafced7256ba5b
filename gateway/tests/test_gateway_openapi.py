"""The OpenAPI document: served as written, valid OpenAPI 3.1, and in step with the Flask routes.

No broker is needed: `create_app()` only connects to RabbitMQ when a route makes an RPC call.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from ekinerja_gateway.app import create_app

SPEC_FILE = Path(__file__).resolve().parents[1] / "ekinerja_gateway" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA = "#/components/schemas/Problem"


@pytest.fixture(scope="module")
def app():
    # An unroutable broker address: nothing here may need it.
    return create_app({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", "TESTING": True})


@pytest.fixture(scope="module")
def spec():
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def resolve(spec: dict, node: dict) -> dict:
    """Follow local `$ref`s (`#/a/b/c`) until a node without one."""
    seen = set()
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are expected, got {ref}"
        assert ref not in seen, f"reference cycle at {ref}"
        seen.add(ref)
        target = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def flask_operations(app) -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            ops.add((path, method.lower()))
    return ops


def spec_operations(spec: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}


def test_served_document_equals_the_file(app, spec):
    response = app.test_client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == spec


def test_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises OpenAPIValidationError when invalid


def test_every_flask_route_is_documented(app, spec):
    missing = flask_operations(app) - spec_operations(spec)
    assert not missing, f"Flask routes absent from openapi.json: {sorted(missing)}"


def test_every_documented_operation_has_a_flask_route(app, spec):
    missing = spec_operations(spec) - flask_operations(app)
    assert not missing, f"openapi.json operations without a Flask route: {sorted(missing)}"


def test_route_comparison_sees_both_sides(app, spec):
    # Guards the two tests above against comparing two empty sets.
    ops = flask_operations(app)
    assert ("/api/v1/employees/{nip}", "get") in ops
    assert ("/healthz", "get") in ops
    assert ops == spec_operations(spec)


def test_every_operation_has_a_unique_operation_id(spec):
    ids = []
    for path, method in sorted(spec_operations(spec)):
        op = spec["paths"][path][method]
        assert op.get("operationId"), f"{method.upper()} {path} has no operationId"
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids)), f"duplicate operationIds: {ids}"


def test_api_error_responses_are_problem_json(spec):
    checked = 0
    for path, method in sorted(spec_operations(spec)):
        if not path.startswith("/api/"):
            continue
        for status, response in spec["paths"][path][method]["responses"].items():
            if not re.fullmatch(r"[45](\d\d|XX)", str(status)):
                continue
            body = resolve(spec, response)
            content = body.get("content", {})
            where = f"{method.upper()} {path} {status}"
            assert PROBLEM_JSON in content, f"{where} is not {PROBLEM_JSON}: {sorted(content)}"
            assert set(content) == {PROBLEM_JSON}, f"{where} offers other media types: {sorted(content)}"
            schema = content[PROBLEM_JSON].get("schema", {})
            assert schema.get("$ref") == PROBLEM_SCHEMA, f"{where} body is not the Problem schema: {schema}"
            checked += 1
    assert checked > 0, "no 4xx/5xx response of an /api/ operation was found"
