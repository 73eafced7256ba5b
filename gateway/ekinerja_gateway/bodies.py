"""What a client may send, checked before anything is parsed further or forwarded.

Two layers:
- `install` (for every route, before authentication reads anything): the URI length (414), the body
  size (413, from Content-Length and on the stream itself for chunked bodies), and the text of every
  query parameter, form field and path parameter;
- `parse_json`, the one place JSON text becomes Python (the request class's JSON loader, so every
  `request.get_json` goes through it): nesting deeper than MAX_DEPTH is 400, NaN/Infinity is not JSON,
  and every string, key and number is checked the way the query string is.
What JSON text or a query may carry and still be stored and relayed everywhere: no unpaired surrogate,
no control character but tab, line feed and carriage return (a browser sends a textarea's lines
with CR LF), integers within ±(2^53 − 1) and finite numbers (RFC 7493, I-JSON). Each refusal is 422
naming the field (a JSON pointer, or the parameter's name) and the rule.

Then the shape of each route's fields (`body_fields`, `query_fields`): present, of the right JSON
type, integers within what the field can mean. Whether a NIP exists, a password is strong enough or a
ticket is valid is the services' business (the gateway holds no business rules).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from ekinerja_kernel import config

from . import jsontext
from .problems import GatewayProblem, problem

MAX_DEPTH = 32  # objects and arrays inside one another; no request shape needs more than a few
MAX_BODY_BYTES = 1024 * 1024
MAX_POLICY_BODY_BYTES = 8 * 1024 * 1024  # an agency's whole allowance policy, YAML with comments
MAX_URI_BYTES = 8000  # gunicorn's request line is limited to 8190 bytes (gunicorn.conf.py)
MAX_SAFE_INTEGER = 2**53 - 1
MAX_TEXT_ERRORS = 20  # enough to show the pattern; a body full of them need not be listed whole
LARGE_BODY_ENDPOINTS = frozenset({"api.tukin_put_policy"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# C0 controls but TAB, LF, CR; DEL and the C1 controls; and any surrogate: in a Python str decoded
# from JSON a surrogate is always unpaired, since a valid \\uD83D\\uDE00 pair becomes one code point.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INTEGER = re.compile(r"^-?[0-9]+$")

_TYPES: dict[str, tuple[type[Any], str, str]] = {
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
    minimum: int | None = None  # integers only
    maximum: int | None = None


REQUIRED = Field()
OPTIONAL = Field(required=False)
OPTIONAL_BOOL = Field("boolean", required=False)
REQUIRED_INT = Field("integer")
OPTIONAL_INT = Field("integer", required=False)
REQUIRED_LIST = Field("array")
OPTIONAL_OBJECT = Field("object", required=False)
OPTIONAL_LIST = Field("array", required=False)

# Integers whose meaning bounds them (the services check the same ranges, and the OpenAPI document
# states them): a plan year, a month, a PMM semester, a page of a list.
FIRST_YEAR, LAST_YEAR = 2020, 2100
YEAR = Field("integer", minimum=FIRST_YEAR, maximum=LAST_YEAR)
OPTIONAL_YEAR = Field("integer", required=False, minimum=FIRST_YEAR, maximum=LAST_YEAR)
MONTH = Field("integer", minimum=1, maximum=12)
SEMESTER = Field("integer", minimum=1, maximum=2)
MAX_OFFSET = 2**31 - 1
OFFSET = Field("integer", required=False, minimum=0, maximum=MAX_OFFSET)


def limit(maximum: int) -> Field:
    """An optional page size from 1 to `maximum` (the service's own largest page)."""
    return Field("integer", required=False, minimum=1, maximum=maximum)


def field_error(name: str, rule: str, kind: str = "string") -> dict[str, str]:
    if rule == "required":
        return {"field": name, "rule": "required", "detail": f"The field '{name}' is required.",
                "detail_id": f"Kolom '{name}' wajib diisi."}
    _, english, indonesian = _TYPES[kind]
    return {"field": name, "rule": "type", "detail": f"The field '{name}' must be {english}.",
            "detail_id": f"Kolom '{name}' harus berupa {indonesian}."}


def range_error(name: str, field: Field) -> dict[str, Any]:
    low, high = field.minimum, field.maximum
    if low is not None and high is not None:
        en, id_ = f"from {low} to {high}", f"dari {low} sampai {high}"
    elif low is not None:
        en, id_ = f"at least {low}", f"paling sedikit {low}"
    else:
        en, id_ = f"at most {high}", f"paling banyak {high}"
    error: dict[str, Any] = {"field": name, "rule": "range",
                             "detail": f"The field '{name}' must be a whole number {en}.",
                             "detail_id": f"Kolom '{name}' harus bilangan bulat {id_}."}
    error.update({k: v for k, v in (("minimum", low), ("maximum", high)) if v is not None})
    return error


def invalid(errors: list[dict[str, Any]]) -> GatewayProblem:
    return GatewayProblem(422, "validation", "Invalid input", "The input is not valid.",
                          "Masukan tidak valid.", errors=errors)


# --- what any text may carry --------------------------------------------------------------------

def _shown(text: str) -> str:
    """`text` with each refused character written as \\uXXXX, so a problem can quote a field name."""
    return _BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def text_error(value: str, field: str, where: str) -> dict[str, Any] | None:
    """The refusal of the first character `value` may not carry, or None. `where`: body, query,
    form or path."""
    found = _BAD_CHARACTER.search(value)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        rule = "unpaired-surrogate"
        en = f"'{field}' holds an unpaired surrogate (U+{code:04X}), which is not text and cannot be stored."
        id_ = f"'{field}' memuat surrogate tanpa pasangan (U+{code:04X}), yang bukan teks dan tidak dapat disimpan."
    else:
        rule = "control-character"
        en = (f"'{field}' holds the control character U+{code:04X}; only tab, line feed and carriage return "
              "are allowed.")
        id_ = (f"'{field}' memuat karakter kendali U+{code:04X}; hanya tab, baris baru (line feed) dan "
               "carriage return yang diperbolehkan.")
    return {"field": field, "in": where, "rule": rule, "character": f"U+{code:04X}", "position": found.start(),
            "detail": en, "detail_id": id_}


def _pointer(tokens: list[str]) -> str:
    """An RFC 6901 JSON pointer (the whole document is "")."""
    return "".join("/" + _shown(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def _number_error(pointer: str) -> dict[str, Any]:
    shown = pointer or "(the body)"
    return {"field": pointer, "in": "body", "rule": "number-range", "minimum": -MAX_SAFE_INTEGER,
            "maximum": MAX_SAFE_INTEGER,
            "detail": f"'{shown}' is a number no client can read exactly: integers are within ±(2^53 − 1) and "
                      "numbers are finite.",
            "detail_id": f"'{shown}' adalah angka yang tidak dapat dibaca tepat oleh klien: bilangan bulat "
                         "dalam rentang ±(2^53 − 1) dan angka harus terhingga."}


def too_deep() -> GatewayProblem:
    return GatewayProblem(400, "body-too-deep", "Bad request",
                          f"The JSON body nests objects and arrays more than {MAX_DEPTH} levels deep.",
                          f"Isi JSON bersarang (objek dan daftar) lebih dari {MAX_DEPTH} tingkat.",
                          max_depth=MAX_DEPTH)


def screen_document(document: Any, max_nodes: int | None = None) -> None:
    """Raises the refusal of a parsed body (JSON, or YAML made of the same types): 400 when nested
    deeper than MAX_DEPTH, 413 when made of more than `max_nodes` values (YAML aliases let a short
    text stand for a huge document), else 422 listing the strings, keys and numbers it may not carry.
    Iterative: no depth reaches the stack."""
    errors: list[dict[str, Any]] = []
    stack: list[tuple[Any, list[str], int]] = [(document, [], 0)]
    nodes = 0
    while stack and len(errors) < MAX_TEXT_ERRORS:
        value, path, depth = stack.pop()
        nodes += 1
        if max_nodes is not None and nodes > max_nodes:
            raise GatewayProblem(413, "body-too-large", "Content too large",
                                 f"The body expands to more than {max_nodes} values.",
                                 f"Isi permintaan berkembang menjadi lebih dari {max_nodes} nilai.",
                                 max_values=max_nodes)
        if isinstance(value, str):
            # The pointer is written only for a string that is refused (nearly none are).
            if _BAD_CHARACTER.search(value) and (error := text_error(value, _pointer(path), "body")) is not None:
                errors.append(error)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                errors.append(_number_error(_pointer(path)))
        elif isinstance(value, float):
            if not math.isfinite(value):
                errors.append(_number_error(_pointer(path)))
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                token = str(key)
                if isinstance(key, str) and _BAD_CHARACTER.search(key) \
                        and (error := text_error(key, _pointer([*path, key]), "body")) is not None:
                    errors.append(error)
                stack.append((item, [*path, token], depth + 1))
    if errors:
        raise invalid(sorted(errors, key=lambda e: e["field"]))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(data: bytes | str) -> Any:
    """The one place the gateway turns JSON text into Python. ValueError when it is not JSON
    (strict UTF-8, no NaN or Infinity); GatewayProblem when it is but may not be accepted."""
    try:
        document = jsontext.loads(data, _strict_loads)  # UnicodeDecodeError is a ValueError
    except RecursionError:
        raise too_deep() from None
    screen_document(document)
    return document


def _strict_loads(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse_constant)


class _JsonText:
    """The request class's json_module: werkzeug's get_json calls `loads`."""

    loads = staticmethod(parse_json)
    dumps = staticmethod(json.dumps)


class GatewayRequest(Request):
    """Reads JSON bodies with `parse_json`. Flask sets each request's json_module to the app's JSON
    provider (the one responses and the session use); request bodies keep the gateway's parser."""

    @property
    def json_module(self) -> Any:
        return _JsonText

    @json_module.setter
    def json_module(self, _provider: Any) -> None:
        pass


# --- before every route ------------------------------------------------------------------------

def body_limit() -> int:
    """The largest body the matched route takes, in bytes."""
    large = request.endpoint in LARGE_BODY_ENDPOINTS
    return int(current_app.config["MAX_POLICY_BODY_BYTES" if large else "MAX_BODY_BYTES"])


def too_large(limit_bytes: int) -> GatewayProblem:
    return GatewayProblem(413, "body-too-large", "Content too large",
                          f"The request body is larger than this route takes ({limit_bytes} bytes).",
                          f"Isi permintaan lebih besar dari yang diterima alamat ini ({limit_bytes} byte).",
                          max_bytes=limit_bytes)


def _uri_bytes() -> int:
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is not None:
        return len(raw)
    query = request.environ.get("QUERY_STRING", "")
    return len(request.environ.get("PATH_INFO", "")) + (len(query) + 1 if query else 0)


def _screen_request() -> None:
    uri_limit = int(current_app.config["MAX_URI_BYTES"])
    if _uri_bytes() > uri_limit:
        raise GatewayProblem(414, "uri-too-long", "URI too long",
                             f"The request URI is longer than {uri_limit} bytes: send long input in the body.",
                             f"URI permintaan lebih panjang dari {uri_limit} byte: kirim masukan panjang di isi "
                             "permintaan.", max_bytes=uri_limit)
    limit_bytes = body_limit()
    request.max_content_length = limit_bytes
    if request.content_length is not None:
        if request.content_length > limit_bytes:
            raise too_large(limit_bytes)
    elif "wsgi.input_terminated" in request.environ:
        # A chunked body has no Content-Length. werkzeug's capped stream stops quietly at the cap, so
        # read at most one byte more than the limit now (kept for the parsers): more is too large.
        request.max_content_length = limit_bytes + 1
        if len(request.get_data(cache=True)) > limit_bytes:
            raise too_large(limit_bytes)
    errors: list[dict[str, Any]] = []
    sources: list[tuple[str, Any]] = [("query", request.args)]
    if request.mimetype in FORM_TYPES:
        sources.append(("form", request.form))
    for where, values in sources:
        for name, value in values.items(multi=True):
            for text in (name, value):
                if (error := text_error(text, _shown(name), where)) is not None:
                    errors.append(error)
                    break
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and (error := text_error(value, name, "path")) is not None:
            errors.append(error)
    if errors:
        raise invalid(errors[:MAX_TEXT_ERRORS])


def install(app: Flask) -> None:
    """The limits on every request; register before anything that reads the request (auth)."""
    app.request_class = GatewayRequest
    jsontext.install(app)  # responses written with orjson too
    app.config.setdefault("MAX_BODY_BYTES", config.env_int("GATEWAY_MAX_BODY_BYTES", MAX_BODY_BYTES))
    app.config.setdefault("MAX_POLICY_BODY_BYTES",
                          config.env_int("GATEWAY_MAX_POLICY_BODY_BYTES", MAX_POLICY_BODY_BYTES))
    app.config.setdefault("MAX_URI_BYTES", config.env_int("GATEWAY_MAX_URI_BYTES", MAX_URI_BYTES))
    app.before_request(_screen_request)

    @app.errorhandler(RequestEntityTooLarge)
    def _stream_too_large(_exc: RequestEntityTooLarge):
        # The stream passed the limit while being read (a chunked body has no Content-Length).
        refusal = too_large(request.max_content_length or int(current_app.config["MAX_BODY_BYTES"]))
        return problem(refusal.status, refusal.code, refusal.title, refusal.detail, refusal.detail_id,
                       **refusal.extra)


# --- the fields of a route ----------------------------------------------------------------------

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


def _in_range(value: int, field: Field) -> bool:
    return (field.minimum is None or value >= field.minimum) and (field.maximum is None or value <= field.maximum)


def parse(spec: dict[str, Field], body: dict[str, Any]) -> dict[str, Any]:
    """The fields of `spec` found in `body` (a null counts as absent); 422 naming every bad field.
    Fields not in `spec` are ignored and never forwarded."""
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
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
        if field.kind == "integer" and not _in_range(value, field):
            errors.append(range_error(name, field))
            continue
        values[name] = value
    if errors:
        raise invalid(errors)
    return values


def body_fields(spec: dict[str, Field], empty_ok: bool = False) -> dict[str, Any]:
    return parse(spec, json_object(empty_ok))


def query_fields(spec: dict[str, Field]) -> dict[str, Any]:
    """Query-string parameters: strings as sent, integers parsed (ASCII digits, optional minus) and
    within their field's range; 422 naming every bad one."""
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for name, field in spec.items():
        raw = request.args.get(name)
        if raw is None or raw == "":
            if field.required:
                errors.append(field_error(name, "required"))
            continue
        if field.kind != "integer":
            values[name] = raw
        elif not _INTEGER.match(raw):
            errors.append(field_error(name, "type", "integer"))
        elif len(raw.lstrip("-").lstrip("0")) > 18 or not _in_range(int(raw, 10), field):
            errors.append(range_error(name, field))  # 19 digits and more: out of every range here
        else:
            values[name] = int(raw, 10)
    if errors:
        raise invalid(errors)
    return values
