"""Every error leaves the gateway as RFC 9457 application/problem+json."""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

from ekinerja_kernel.errors import PROBLEM_BASE
from ekinerja_kernel.rpc import RpcProblem

from .rpc import ServiceFailed, ServiceTimeout, ServiceUnavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER = "5"


class GatewayProblem(Exception):
    """A refusal decided in the gateway itself (authentication, rate limit, request shape)."""

    def __init__(self, status: int, code: str, title: str, detail: str, detail_id: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.title = status, code, title
        self.detail, self.detail_id = detail, detail_id
        self.headers = dict(headers or {})
        self.extra = extra


def problem(status: int, code: str, title: str, detail: str, detail_id: str,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail,
            "detail_id": detail_id, "code": code, **extra}
    body["request_id"] = getattr(g, "request_id", None)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    return response


def retry_after_seconds(value: Any) -> int | None:
    """Whole seconds (rounded up, at least 1) from a `retry_after` member, or None when unusable.
    It may arrive as a string: nameko sends an exception's arguments with non-string scalars
    turned into strings."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return max(1, math.ceil(seconds)) if math.isfinite(seconds) and seconds >= 0 else None


def register(app: Flask) -> None:
    @app.errorhandler(GatewayProblem)
    def _gateway_problem(exc: GatewayProblem):
        return problem(exc.status, exc.code, exc.title, exc.detail, exc.detail_id,
                       headers=exc.headers, **exc.extra)

    @app.errorhandler(RpcProblem)
    def _service_problem(exc: RpcProblem):
        body = dict(exc.problem)
        headers: dict[str, str] = {}
        wait = retry_after_seconds(body.pop("retry_after", None))
        if wait is not None:
            body["retry_after"] = wait
            headers["Retry-After"] = str(wait)
        elif exc.status in (429, 503):
            headers["Retry-After"] = RETRY_AFTER  # still tell the client to come back later
        return problem(exc.status, body.pop("code", "error"), body.pop("title", "Error"),
                       body.pop("detail", ""), body.pop("detail_id", ""), headers=headers,
                       **{k: v for k, v in body.items() if k not in ("type", "status", "request_id")})

    @app.errorhandler(ServiceTimeout)
    def _timeout(exc: ServiceTimeout):
        # What overload looks like here (at 08:00 the services' queues grow): the whole system is
        # busy, nobody's request or address is at fault, and the call may still be carried out.
        return problem(504, "service-timeout", "The system is busy",
                       f"The system is busy: the {exc.service} service did not answer within {exc.timeout:g} s. "
                       "Nothing is lost: what you sent may still be carried out, so check it before sending it "
                       "again. Please try again shortly.",
                       f"Sistem sedang sibuk: layanan {exc.service} tidak menjawab dalam {exc.timeout:g} detik. "
                       "Tidak ada data yang hilang: yang Anda kirim mungkin tetap diproses, jadi periksa dulu "
                       "sebelum mengirim ulang. Silakan coba lagi sebentar lagi.",
                       headers={"Retry-After": RETRY_AFTER}, service=exc.service)

    @app.errorhandler(ServiceUnavailable)
    def _unavailable(exc: ServiceUnavailable):
        return problem(503, "service-unavailable", "Service temporarily unavailable",
                       f"The system is busy or restarting: its {exc.service} service cannot be reached right now "
                       f"({exc.reason}). This is not about your request, account or address. Please try again "
                       "in a few seconds.",
                       f"Sistem sedang sibuk atau dimulai ulang: layanan {exc.service} sedang tidak dapat "
                       "dihubungi. Ini bukan karena permintaan, akun, atau alamat Anda. Silakan coba lagi dalam "
                       "beberapa detik.",
                       headers={"Retry-After": RETRY_AFTER}, service=exc.service)

    @app.errorhandler(ServiceFailed)
    def _failed(exc: ServiceFailed):
        log.error("service %s failed: %s", exc.service, exc.remote)
        return problem(502, "service-error", "Service error",
                       f"The {exc.service} service failed on this request; it has been logged "
                       "with the request id.",
                       f"Layanan {exc.service} gagal memproses permintaan ini; kejadian ini telah "
                       "dicatat dengan request id.", service=exc.service)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, f"http-{exc.code}", exc.name, exc.description or exc.name,
                       _HTTP_ID.get(exc.code or 500, exc.name),
                       headers={k: v for k, v in exc.get_headers() if k.lower() == "allow"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem(500, "internal-error", "Internal error",
                       "Something went wrong on our side; it has been logged with the request id.",
                       "Terjadi kesalahan di sisi kami; kejadian ini telah dicatat dengan request id.")


_HTTP_ID = {
    400: "Permintaan tidak valid.",
    404: "Alamat yang diminta tidak ditemukan.",
    405: "Metode HTTP ini tidak diizinkan untuk alamat ini.",
    413: "Isi permintaan terlalu besar.",
    415: "Jenis isi permintaan tidak didukung.",
}
