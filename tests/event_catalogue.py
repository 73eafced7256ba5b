"""The public event catalogue (docs/events) as a test oracle.

`validate_event(payload)` checks one message taken off the exchange `ekinerja.internal`: the
CloudEvents envelope against docs/events/schemas/envelope.json, then `data` against the schema
of its type. The file of `ekinerja.<name>.v1` is `schemas/<name>.json`; a later major version
`ekinerja.<name>.vN` would have `schemas/<name>.vN.json`. A type without a schema file fails:
every event that leaves the system must be in the catalogue.

Formats are checked (`date`, `date-time`, `uuid`, `email`): a schema saying `"format": "date"`
and a service sending "31/01/2027" must disagree loudly, so the checker for date-time
(which needs rfc3339-validator) must be there.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "events"
SCHEMAS = CATALOGUE / "schemas"
ASYNCAPI = CATALOGUE / "asyncapi.yaml"
ENVELOPE = "envelope.json"
TYPE = re.compile(r"^ekinerja\.(?P<name>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)\.v(?P<version>[1-9][0-9]*)$")

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
_missing_formats = {"date", "date-time", "uuid", "email"} - set(FORMAT_CHECKER.checkers)
if _missing_formats:  # jsonschema skips a format it cannot check, silently: refuse to run half-blind
    raise ImportError(f"jsonschema cannot check formats {sorted(_missing_formats)}: install rfc3339-validator")


def schema_file(event_type: str) -> Path | None:
    """The file holding the data schema of `event_type`, or None when the type is malformed."""
    match = TYPE.match(event_type) if isinstance(event_type, str) else None
    if match is None:
        return None
    version = int(match["version"])
    return SCHEMAS / (f"{match['name']}.json" if version == 1 else f"{match['name']}.v{version}.json")


def catalogued_types() -> set[str]:
    """Every event type that has a data schema file."""
    types = set()
    for path in SCHEMAS.glob("*.json"):
        if path.name == ENVELOPE:
            continue
        stem = path.name[: -len(".json")]
        versioned = re.fullmatch(r"(.+)\.v([1-9][0-9]*)", stem)
        name, version = (versioned[1], versioned[2]) if versioned else (stem, "1")
        types.add(f"ekinerja.{name}.v{version}")
    return types


@cache
def _validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def _where(error: ValidationError, root: str) -> str:
    path = root
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _check(validator: Draft202012Validator, instance: Any, root: str, event_type: str) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        lines = [f"  {_where(e, root)}: {e.message}" for e in errors[:10]]
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise AssertionError(f"event {event_type} does not match the catalogue (docs/events):\n"
                             + "\n".join(lines) + more)


def validate_event(payload: Any, routing_key: str | None = None) -> Any:
    """Check one received event against the catalogue; returns it unchanged, or raises an
    AssertionError naming the event type and every failing path (`envelope.time`, `data.rhk[0].id`)."""
    if not isinstance(payload, dict):
        raise AssertionError(f"an event must be a JSON object (a CloudEvents envelope), got {type(payload).__name__}")
    event_type = payload.get("type")
    shown = event_type if isinstance(event_type, str) else repr(event_type)
    _check(_validator(SCHEMAS / ENVELOPE), payload, "envelope", shown)
    if routing_key is not None and routing_key != event_type:
        raise AssertionError(f"event {shown} was published with routing key {routing_key!r}: it must be the type")
    path = schema_file(event_type)
    if path is None or not path.is_file():
        raise AssertionError(f"no schema in docs/events/schemas for {shown}"
                             + (f" (expected {path.relative_to(ROOT)})" if path is not None else ""))
    _check(_validator(path), payload["data"], "data", shown)
    return payload


# --- the public catalogue (docs/events/public): what other government systems receive ---------------

PUBLIC_CATALOGUE = CATALOGUE / "public"
PUBLIC_SCHEMAS = PUBLIC_CATALOGUE / "schemas"
PUBLIC_ASYNCAPI = PUBLIC_CATALOGUE / "asyncapi.yaml"
PUBLIC_TYPE = re.compile(r"^ekinerja\.public\.(?P<name>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)"
                         r"\.v(?P<version>[1-9][0-9]*)$")


def public_schema_file(event_type: str) -> Path | None:
    """`ekinerja.public.<name>.vN` -> docs/events/public/schemas/<name>.vN.json (None when malformed)."""
    match = PUBLIC_TYPE.match(event_type) if isinstance(event_type, str) else None
    return None if match is None else PUBLIC_SCHEMAS / f"{match['name']}.v{match['version']}.json"


def validate_public_event(payload: Any, routing_key: str | None = None) -> Any:
    """Check one public event (from the exchange, the replay feed or a webhook) against docs/events/public:
    the envelope, `dataschema` naming the schema's `$id`, and `data` against that schema."""
    if not isinstance(payload, dict):
        raise AssertionError(f"a public event must be a JSON object, got {type(payload).__name__}")
    event_type = payload.get("type")
    shown = event_type if isinstance(event_type, str) else repr(event_type)
    _check(_validator(PUBLIC_SCHEMAS / ENVELOPE), payload, "envelope", shown)
    if routing_key is not None and routing_key != event_type:
        raise AssertionError(f"public event {shown} was published with routing key {routing_key!r}: "
                             "it must be the type")
    path = public_schema_file(event_type)
    if path is None or not path.is_file():
        raise AssertionError(f"no schema in docs/events/public/schemas for {shown}")
    schema_id = json.loads(path.read_text(encoding="utf-8"))["$id"]
    if payload["dataschema"] != schema_id:
        raise AssertionError(f"public event {shown}: dataschema {payload['dataschema']!r} "
                             f"is not the schema's $id {schema_id!r}")
    _check(_validator(path), payload["data"], "data", shown)
    return payload
