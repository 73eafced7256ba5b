"""gunicorn's own refusals as RFC 9457 problems, like every answer of the app.

gunicorn answers some requests before the app sees them (a request line longer than
`limit_request_line`: 414; too many or too large header fields: 431; a malformed request line or
header: 400) with an HTML page of its own. `install` (from gunicorn.conf.py, in the master before
the workers fork) makes those answers application/problem+json with the same members the app's
problems have. No Flask here: this runs outside any request.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ekinerja_kernel.errors import PROBLEM_BASE

PROBLEM_JSON = "application/problem+json"

# (code, Indonesian detail) per status gunicorn answers with.
_KNOWN: dict[int, tuple[str, str]] = {
    400: ("http-400", "Permintaan tidak valid."),
    403: ("http-403", "Permintaan ditolak."),
    414: ("uri-too-long", "URI permintaan terlalu panjang: kirim masukan panjang di isi permintaan."),
    417: ("http-417", "Harapan (Expect) pada permintaan tidak dapat dipenuhi."),
    431: ("header-fields-too-large", "Kolom header permintaan terlalu banyak atau terlalu besar."),
    500: ("internal-error", "Terjadi kesalahan di sisi kami."),
    501: ("http-501", "Transfer-Encoding permintaan tidak didukung."),
}


def problem_bytes(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 response (status line, headers, body) carrying the problem."""
    code, detail_id = _KNOWN.get(status, (f"http-{status}", reason))
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": reason, "status": status,
                            "detail": message or reason, "detail_id": detail_id, "code": code,
                            "request_id": uuid.uuid4().hex}
    payload = json.dumps(body).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    return head.encode("latin-1") + payload


def install() -> None:
    """Replace gunicorn's HTML error writer (gunicorn.util.write_error, looked up at each error)."""
    from gunicorn import util

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        util.write_nonblock(sock, problem_bytes(status_int, reason, mesg))

    util.write_error = write_error
