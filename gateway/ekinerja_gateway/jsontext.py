"""JSON text at the gateway's speed: orjson (a C parser and serialiser, several times faster than the
standard library's on the bodies of the peak) wherever it gives the very same result, the standard
library wherever it might not. The rules of what a body may carry stay in bodies.py, unchanged.

Reading: orjson takes strict RFC 8259 JSON and refuses everything else; for such text it builds the
same Python values as `json.loads`, with one exception: an integer literal beyond 64 bits becomes a
float (which the I-JSON check would let through as a finite number). So a body with a run of 16 or
more digits, and any body orjson refuses (not JSON, a lone surrogate, nesting past its limit), is
read again by the standard library, which decides as before: the same document, or the same refusal.

Writing: the responses' JSON (Flask's `jsonify`) with orjson, the values Flask knows beyond JSON's own
(dates as HTTP dates, Decimal and UUID as text, dataclasses) through Flask's own default; keys sorted
as Flask sorts them. What orjson cannot write (a lone surrogate, a non-string key) falls back to
Flask's provider.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

# An integer orjson would turn into a float has 20 digits at least; 16 keeps a wide margin (and also
# sends long fractions to the standard library, which reads them the same: correctly rounded).
_LONG_DIGITS = re.compile(rb"\d{16}")


def loads(data: bytes | str, slow: Callable[[str], Any]) -> Any:
    """The document of `data` as `slow(text)` (the standard library's reading) would give it."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _LONG_DIGITS.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the standard library gives the refusal (or, for what it reads, the document)
    text = data.decode("utf-8") if isinstance(data, bytes) else data  # UnicodeDecodeError is a ValueError
    return slow(text)


class FastJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, writing with orjson when it can (see the module)."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)  # indented for a person: the slow path is fine
        obj = self._prepare_response_obj(args, kwargs)
        option = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_APPEND_NEWLINE
        if self.sort_keys:
            option |= orjson.OPT_SORT_KEYS
        try:
            text = orjson.dumps(obj, default=self.default, option=option)
        except (orjson.JSONEncodeError, TypeError):
            return super().response(*args, **kwargs)
        # Installed on a Flask app only (install below): its response class takes the body.
        return cast(Flask, self._app).response_class(text, mimetype=self.mimetype)


def install(app: Flask) -> None:
    app.json = FastJSONProvider(app)

