"""Shape checks of request bodies and query strings: present and of the right JSON type.

Only shape: whether a NIP exists, a password is strong enough or a ticket is valid is the
services' business (the gateway holds no business rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

from .problems import GatewayProblem

_TYPES: dict[str, tuple[type, str, str]] = {
    "string": (str, "a string", "teks"),
    "boolean": (bool, "true or false", "true atau false"),
    "integer": (int, "an integer", "bilangan bulat"),
    "array": (list, "a list", "daftar"),
    "object": (dict, "an object", "objek"),
}


@dataclass(frozen=True)
class Field:
    kind: str = "string"
    required: bool = True


REQUIRED = Field()
OPTIONAL = Field(required=False)
OPTIONAL_BOOL = Field("boolean", required=False)
REQUIRED_INT = Field("integer")
OPTIONAL_INT = Field("integer", required=False)
REQUIRED_LIST = Field("array")
OPTIONAL_OBJECT = Field("object", required=False)
OPTIONAL_LIST = Field("array", required=False)


def field_error(name: str, rule: str, kind: str = "string") -> dict[str, str]:
    if rule == "required":
        return {"field": name, "rule": "required", "detail": f"The field '{name}' is required.",
                "detail_id": f"Kolom '{name}' wajib diisi."}
    _, english, indonesian = _TYPES[kind]
    return {"field": name, "rule": "type", "detail": f"The field '{name}' must be {english}.",
            "detail_id": f"Kolom '{name}' harus berupa {indonesian}."}


def invalid(errors: list[dict[str, str]]) -> GatewayProblem:
    return GatewayProblem(422, "validation", "Invalid input", "The input is not valid.",
                          "Masukan tidak valid.", errors=errors)


def json_object(empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object; 400 when it is anything else (an empty body may count as {})."""
    if empty_ok and not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise GatewayProblem(400, "body-not-json-object", "Bad request",
                             "The request body must be a JSON object (Content-Type: application/json).",
                             "Isi permintaan harus berupa objek JSON (Content-Type: application/json).")
    return body


def parse(spec: dict[str, Field], body: dict[str, Any]) -> dict[str, Any]:
    """The fields of `spec` found in `body` (a null counts as absent); 422 naming every bad field.
    Fields not in `spec` are ignored and never forwarded."""
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, field in spec.items():
        value = body.get(name)
        expected = _TYPES[field.kind][0]
        if value is None or (field.required and isinstance(value, str) and not value.strip()):
            if field.required:
                errors.append(field_error(name, "required"))
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            errors.append(field_error(name, "type", field.kind))
            continue
        values[name] = value
    if errors:
        raise invalid(errors)
    return values


def body_fields(spec: dict[str, Field], empty_ok: bool = False) -> dict[str, Any]:
    return parse(spec, json_object(empty_ok))


def query_fields(spec: dict[str, Field]) -> dict[str, Any]:
    """Query-string parameters: strings as sent, integers parsed; 422 naming every bad one."""
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, field in spec.items():
        raw = request.args.get(name)
        if raw is None or raw == "":
            if field.required:
                errors.append(field_error(name, "required"))
            continue
        if field.kind == "integer":
            try:
                values[name] = int(raw, 10)
            except ValueError:
                errors.append(field_error(name, "type", "integer"))
        else:
            values[name] = raw
    if errors:
        raise invalid(errors)
    return values
