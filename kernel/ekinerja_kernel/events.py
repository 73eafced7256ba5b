"""The event envelope: CloudEvents 1.0 attribute names, plain JSON only.

Every event leaves a service as `make_event(...)`; consumers de-duplicate by `id`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any, overload

SPEC_VERSION = "1.0"
ENVELOPE_KEYS = ("specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data")


def event_type(name: str, version: int = 1) -> str:
    """`employee.upserted` -> `ekinerja.employee.upserted.v1` (also the routing key)."""
    return f"ekinerja.{name}.v{version}"


def to_json_safe(value: Any) -> Any:
    """Plain JSON values only: kombu would otherwise wrap datetime/Decimal/UUID in `__type__`."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json_safe(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_json_safe(value.value)
    raise TypeError(f"not JSON-safe: {type(value).__name__}")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_event(service: str, name: str, subject: str, data: dict[str, Any],
               request_id: str | None = None, version: int = 1) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": str(uuid.uuid4()),
        "source": f"/ekinerja/{service}",
        "type": event_type(name, version),
        "time": utcnow().isoformat(),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": to_json_safe(data),
    }
    if request_id:
        envelope["requestid"] = request_id  # CloudEvents extension: follows a request across services
    return envelope


def is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and all(k in body for k in ENVELOPE_KEYS) \
        and body["specversion"] == SPEC_VERSION


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Datetimes read back from SQLite lose their zone: they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def parse_time(value: str) -> dt.datetime:
    """An ISO 8601 time from an event's data, in UTC (a time without a zone is taken as UTC)."""
    return as_utc(dt.datetime.fromisoformat(value)).astimezone(dt.UTC)
