"""A client for a SIASN-style registry API (and PMM, which speaks the same way).

- OAuth2 client credentials: the token is fetched once and reused until shortly before it expires;
  a 401 from the API drops it and fetches a new one (once per call).
- Timeouts on every request (connect, read).
- Retries on 5xx, 429, timeouts and broken connections, with exponential backoff and jitter,
  bounded in attempts and in the longest pause; `Retry-After` is honoured within that bound.
  A 4xx other than 401/429 is the registry's answer (404: not in the registry) and is not retried.
- A circuit breaker around each logical call: a call that still fails after its retries counts
  as one failure; N in a row open the circuit and further calls fail at once until a cool-down.

Clock, sleep and randomness are injectable so the tests run the backoff without waiting.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from prometheus_client import Counter, Histogram

from ekinerja_kernel import config

from .breaker import CircuitBreaker, CircuitOpen

log = logging.getLogger("ekinerja.sync.registry")

REQUESTS = Counter("ekinerja_registry_requests_total", "HTTP requests to a registry, by outcome",
                   ["registry", "outcome"])
LATENCY = Histogram("ekinerja_registry_request_seconds", "Time of one HTTP request to a registry", ["registry"],
                    buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))

API = "/apisiasn/1.0"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class RegistryError(Exception):
    """The registry did not give what was asked. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.status, self.path = status, path


class RegistryUnavailable(RegistryError):
    """Down, failing or too slow after every retry, or the circuit is open: try again later."""

    def __init__(self, message: str, status: int | None = None, path: str | None = None,
                 retry_in: float | None = None) -> None:
        super().__init__(message, status, path)
        self.retry_in = retry_in


class RegistryNotFound(RegistryError):
    """The registry answered that it has no such record (404)."""


class RegistryRefused(RegistryError):
    """The registry refused the request (4xx): our credentials or our request are wrong."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, the first included
    base: float = 0.5  # pause after the first failure; doubles each time
    cap: float = 8.0  # the longest single pause

    def pause(self, failure: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after the `failure`-th failed try (1-based): "equal jitter" between half
        and all of the exponential step, so replicas that failed together do not retry together."""
        step = min(self.cap, self.base * (2 ** (failure - 1)))
        pause = rng.uniform(step / 2, step)
        if retry_after is not None:
            pause = max(pause, min(self.cap, retry_after))
        return pause


# What the registry simulator (simulator.py) accepts unless told otherwise: a development credential
# of a development tool, refused as a fallback by a production start.
SIMULATOR_CLIENT_SECRET = "ekinerja-dev-secret"


@dataclass(frozen=True)
class RegistrySettings:
    url: str
    client_id: str
    client_secret: str
    token_url: str
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_threshold: int = 5
    breaker_cooldown: float = 30.0
    page_size: int = 500

    @classmethod
    def from_env(cls, prefix: str = "SYNC_REGISTRY", url: str | None = None) -> RegistrySettings | None:
        """None when `<prefix>_URL` is not set: the registry is then off (tests, a machine without one)."""
        url = (url or config.env(f"{prefix}_URL", "")).rstrip("/")
        if not url:
            return None

        def get(name: str, default: str) -> str:  # PMM falls back on the registry's settings
            return config.env(f"{prefix}_{name}", config.env(f"SYNC_REGISTRY_{name}", default))

        secret = get("CLIENT_SECRET", "")
        if not secret and config.production():
            raise config.MissingSecret(f"{prefix}_URL is set but SYNC_REGISTRY_CLIENT_SECRET is not: a production "
                                       "start (EKINERJA_ENV=production) signs in to the registry with its own secret")
        return cls(
            url=url,
            client_id=get("CLIENT_ID", "ekinerja"),
            # Elsewhere the registry simulator's development credential (`make up` gives each install
            # its own secret instead, in var/secrets/, to both).
            client_secret=secret or SIMULATOR_CLIENT_SECRET,
            token_url=config.env(f"{prefix}_TOKEN_URL", url + "/oauth2/token"),
            connect_timeout=float(get("CONNECT_TIMEOUT", "3.05")),
            read_timeout=float(get("TIMEOUT", "10")),
            retry=RetryPolicy(int(get("RETRIES", "4")), float(get("BACKOFF", "0.5")),
                              float(get("BACKOFF_MAX", "8"))),
            breaker_threshold=int(get("BREAKER_THRESHOLD", "5")),
            breaker_cooldown=float(get("BREAKER_COOLDOWN", "30")),
            page_size=int(get("PAGE_SIZE", "500")),
        )


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class RegistryClient:
    def __init__(self, settings: RegistrySettings, name: str = "siasn", breaker: CircuitBreaker | None = None,
                 session: requests.Session | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None) -> None:
        self.settings, self.name = settings, name
        self.breaker = breaker or CircuitBreaker(name, settings.breaker_threshold, settings.breaker_cooldown, clock)
        self.session = session or requests.Session()
        self.clock, self.sleep, self.rng = clock, sleep, rng or random.Random()
        self._token: str | None = None
        self._token_expires = 0.0

    def close(self) -> None:
        self.session.close()

    # --- the registry's resources ------------------------------------------------------------------

    def agencies(self) -> list[dict[str, Any]]:
        return self.get(f"{API}/referensi/instansi")["data"]

    def units(self, agency_id: str) -> list[dict[str, Any]]:
        """The agency's unit tree: `Id`, `DiatasanId`, `NamaUnor`, `NamaJabatan`, ..."""
        return self.get(f"{API}/referensi/ref-unor", {"instansiId": agency_id})["data"]

    def employee(self, nip: str) -> dict[str, Any]:
        """Data utama of one NIP; RegistryNotFound when the registry does not know it."""
        return self.get(f"{API}/pns/data-utama/{nip}")["data"]

    def changed_since(self, agency_id: str, since: str | None) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Pages of data utama changed after `since` (all of the agency when None), oldest first,
        each with the registry's clock at the time of the listing (the next run's `since`)."""
        cursor: str | None = None
        while True:
            params = {"instansiId": agency_id, "limit": str(self.settings.page_size)}
            if since:
                params["since"] = since
            if cursor:
                params["cursor"] = cursor
            body = self.get(f"{API}/pns/updated", params)
            yield body["data"], body["serverTime"]
            cursor = body.get("nextCursor")
            if not cursor:
                return

    def pmm(self, nip: str, year: int, semester: int) -> dict[str, Any]:
        """A teacher's SKP document in PMM for one semester (RHK with their status)."""
        return self.get(f"/pmm/1.0/guru/{nip}/skp", {"tahun": str(year), "semester": str(semester)})["data"]

    def pmm_teacher(self, nip: str) -> dict[str, Any]:
        """PMM's record of a teacher (NUPTK, school); RegistryNotFound when PMM does not know them."""
        return self.get(f"/pmm/1.0/guru/{nip}")["data"]

    # --- the plumbing ------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """One logical GET: breaker, token, retries. Returns the decoded JSON body."""
        try:
            self.breaker.before_call()
        except CircuitOpen as exc:
            REQUESTS.labels(self.name, "circuit_open").inc()
            raise RegistryUnavailable(f"{self.name} is failing; circuit open, next trial in "
                                      f"{exc.retry_in:.0f}s", path=path, retry_in=exc.retry_in) from None
        answered = False
        try:
            result = self._with_retries(path, params)
            answered = True
        except (RegistryNotFound, RegistryRefused):
            answered = True  # a 404 or a refusal is an answer: the registry itself is up
            raise
        finally:
            if answered:
                self.breaker.success()
            else:
                self.breaker.failure()
        return result

    def _with_retries(self, path: str, params: dict[str, str] | None) -> Any:
        policy = self.settings.retry
        renewed = False
        failure = 0
        while True:
            retry_after = None
            try:
                response = self._send("GET", self.settings.url + path, params=params,
                                      headers={"Authorization": f"Bearer {self._bearer()}",
                                               "Accept": "application/json"})
                if response.status_code == 401 and not renewed:
                    renewed = True
                    self._token = None  # revoked or expired early: one fresh token, same attempt
                    continue
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError:
                        raise RegistryUnavailable(f"{self.name} answered {path} with something not JSON",
                                                  response.status_code, path) from None
                if response.status_code not in RETRYABLE_STATUS:
                    kind = RegistryNotFound if response.status_code == 404 else RegistryRefused
                    raise kind(f"{self.name} answered {response.status_code} for {path}",
                               response.status_code, path)
                problem = RegistryUnavailable(f"{self.name} answered {response.status_code} for {path}",
                                              response.status_code, path)
                retry_after = _retry_after(response)
            except RegistryUnavailable as exc:  # from the token endpoint
                problem = exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = RegistryUnavailable(f"{self.name} did not answer {path}: {type(exc).__name__}", None, path)
            failure += 1
            if failure >= policy.attempts:
                log.warning("registry %s gave up on %s after %d tries: %s", self.name, path, failure, problem,
                            extra={"registry": self.name, "path": path, "tries": failure})
                raise problem
            pause = policy.pause(failure, self.rng, retry_after)
            log.info("registry %s: %s; retry %d in %.2fs", self.name, problem, failure, pause,
                     extra={"registry": self.name, "path": path})
            self.sleep(pause)

    def _bearer(self) -> str:
        if self._token is None or self.clock() >= self._token_expires:
            self._fetch_token()
        return self._token  # type: ignore[return-value]

    def _fetch_token(self) -> None:
        s = self.settings
        response = self._send("POST", s.token_url, data={"grant_type": "client_credentials"},
                              auth=(s.client_id, s.client_secret), headers={"Accept": "application/json"})
        if response.status_code in RETRYABLE_STATUS:
            raise RegistryUnavailable(f"{self.name} token endpoint answered {response.status_code}",
                                      response.status_code, s.token_url)
        if response.status_code >= 400:
            raise RegistryRefused(f"{self.name} refused our client credentials ({response.status_code})",
                                  response.status_code, s.token_url)
        body = response.json()
        lifetime = float(body.get("expires_in", 300))
        self._token = body["access_token"]
        # Renewed a little before the registry would refuse it (a tenth of its life, at most 30 s).
        self._token_expires = self.clock() + lifetime - min(30.0, lifetime / 10)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, timeout=(self.settings.connect_timeout,
                                                                  self.settings.read_timeout), **kwargs)
        except requests.Timeout:
            REQUESTS.labels(self.name, "timeout").inc()
            raise
        except requests.ConnectionError:
            REQUESTS.labels(self.name, "connection_error").inc()
            raise
        finally:
            LATENCY.labels(self.name).observe(time.perf_counter() - started)
        status = response.status_code
        REQUESTS.labels(self.name, "ok" if status < 400 else "server_error" if status >= 500 else "refused").inc()
        return response
