"""The gateway's public API as the web calls it: JSON over HTTP, problems as exceptions.

No business rule lives here: a refusal is the API's problem (RFC 9457), carried to the page as is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

POOL_CONNECTIONS = 32


@dataclass
class FieldProblem:
    field: str
    rule: str
    detail: str
    detail_id: str


@dataclass
class ApiProblem(Exception):
    """A 4xx/5xx answer of the API (or the API not answering at all: status 503, code unreachable)."""

    status: int
    code: str
    detail: str
    detail_id: str
    errors: list[FieldProblem] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None
    # The access token itself was refused (RFC 6750's `error="invalid_token"` challenge): a new token
    # may help. A 401 without it is about what the request carried (a wrong TOTP code, say).
    token_refused: bool = False

    def sentence(self, locale: str) -> str:
        return self.detail_id if locale == "id" else self.detail

    @classmethod
    def from_response(cls, response: requests.Response) -> ApiProblem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict) or "detail" not in body:
            # Not a problem document (a proxy's page, say): say what happened in plain words.
            return cls.unavailable(response.status_code)
        retry = response.headers.get("Retry-After")
        problem = cls.from_body(response.status_code, body, int(retry) if retry and retry.isdigit() else None)
        problem.token_refused = response.status_code == 401 and \
            "invalid_token" in response.headers.get("WWW-Authenticate", "")
        return problem

    @classmethod
    def from_body(cls, status: int, body: dict[str, Any], retry_after: int | None = None) -> ApiProblem:
        """A problem document, e.g. the one a refused daily submission carries at its status URL."""
        errors = [FieldProblem(str(e.get("field", "")), str(e.get("rule", "")), str(e.get("detail", "")),
                               str(e.get("detail_id", e.get("detail", ""))))
                  for e in body.get("errors") or [] if isinstance(e, dict)]
        return cls(status=int(body.get("status") or status), code=str(body.get("code", "")),
                   detail=str(body.get("detail", "")), detail_id=str(body.get("detail_id") or body.get("detail", "")),
                   errors=errors, body=body, retry_after=retry_after)

    @classmethod
    def unavailable(cls, status: int = 503) -> ApiProblem:
        return cls(status=status, code="unreachable",
                   detail="The service is not answering right now. Nothing was changed; please try again.",
                   detail_id="Layanan sedang tidak menjawab. Tidak ada yang diubah; silakan coba lagi.")


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Api:
    """One connection pool per worker process to the gateway."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        # Room for every call a worker can have in flight (its threads, and a page's questions asked
        # at once: client.get_all), so a connection is kept for the next call rather than dropped.
        adapter = HTTPAdapter(pool_maxsize=POOL_CONNECTIONS)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def call(self, method: str, path: str, *, token: str | None = None, json: Any = None,
             params: dict[str, Any] | None = None, data: bytes | None = None,
             headers: dict[str, str] | None = None, raw: bool = False) -> Reply:
        segments = path.split("/")
        if any(part in (".", "..") for part in segments):
            # A path segment taken from the page's URL must name something, never walk the API's tree.
            raise ApiProblem(status=404, code="not-found", detail="Not found.", detail_id="Tidak ditemukan.")
        # Segments from the page's URL are sent as data: a '?' or '#' in one does not start a query.
        path = "/".join(quote(part, safe="@:-._~!$&'()*+,;=") for part in segments)
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if data is not None:
            sent.setdefault("Content-Type", "application/octet-stream")
        try:
            response = self.http.request(method, self.base_url + path, json=json, params=params, data=data,
                                         headers=sent, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException:
            raise ApiProblem.unavailable() from None
        if response.status_code >= 400:
            raise ApiProblem.from_response(response)
        if raw:
            body: Any = response.content
        elif response.content:
            try:
                body = response.json()
            except ValueError:
                raise ApiProblem.unavailable(502) from None
        else:
            body = None
        return Reply(response.status_code, body, dict(response.headers))
