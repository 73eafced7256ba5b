"""A registry simulator: a small HTTP server that answers like a SIASN-style registry (and PMM) for
`make up` and the tests, serving the agencies of an e-Kinerja import file, and that can be told
to change its data or to fail.

    python -m sync.registry.simulator --port 8085 --data deploy/demo/masterdata.json

The API (each call needs `Authorization: Bearer <token>`):

    POST /oauth2/token                           client credentials (HTTP Basic or form fields)
    GET  /apisiasn/1.0/referensi/instansi        agencies: Id, Nama, Jenis
    GET  /apisiasn/1.0/referensi/ref-unor?instansiId=A
                                                 unit tree: Id, DiatasanId, NamaUnor, NamaJabatan, ...
    GET  /apisiasn/1.0/pns/data-utama/{nip}      data utama of one NIP (404 when unknown)
    GET  /apisiasn/1.0/pns/updated?instansiId=A[&since=T][&cursor=C][&limit=N]
                                                 data utama changed after T, oldest first, by pages
                                                 (`nextCursor`), with `serverTime`
    GET  /pmm/1.0/guru/{nip}                     PMM's record of a teacher (NUPTK, school; 404 when unknown)
    GET  /pmm/1.0/guru/{nip}/skp?tahun=Y&semester=S
                                                 a teacher's PMM SKP for Jan–Jun (1) or Jul–Dec (2)

Control (no token; the server listens on 127.0.0.1 only):

    GET    /_control/state                       counters, the failure mode, the data's size
    POST   /_control/fail    {"mode": "error"|"timeout", "status": 503, "count": N|null,
                              "delay": seconds, "token": false}
    POST   /_control/recover
    PATCH  /_control/employees/{nip}  {field: value, ...}   (e-Kinerja import field names)
    PUT    /_control/employees/{nip}  a whole import row     (a new employee)
    PUT    /_control/pmm/{nip}/{year}/{semester}  a PMM document (replaces the generated one)
    DELETE /_control/pmm/{nip}/{year}/{semester}  no PMM document for that semester
    DELETE /_control/pmm/{nip}                    PMM no longer knows the teacher (Dapodik lacks their NUPTK)

PMM knows the staff of school units (a principal included) unless told to forget one.

A change moves the record's `updatedAt` to now, so the changed-since listing returns it.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import logging
import os
import secrets
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .client import SIMULATOR_CLIENT_SECRET, RegistryNotFound, RegistryUnavailable
from .siasn import to_agency, to_data_utama, to_unit

log = logging.getLogger("ekinerja.registry.simulator")

AGREED = "Disepakati Atasan"
PMM_TEMPLATES = {  # (text, status) per semester; the principal's RHK each one intervenes
    1: [("Terlaksananya pembelajaran yang berpusat pada murid di kelas yang diampu", AGREED,
         "Meningkatnya kualitas pembelajaran di satuan pendidikan"),
        ("Tersusunnya modul ajar dan asesmen diagnostik untuk semester ganjil", AGREED,
         "Meningkatnya kualitas pembelajaran di satuan pendidikan"),
        ("Terlaksananya kegiatan ko-kurikuler projek penguatan profil pelajar Pancasila", "Diajukan",
         "Meningkatnya karakter murid")],
    2: [("Terlaksananya asesmen sumatif dan pelaporan hasil belajar murid", AGREED,
         "Meningkatnya kualitas pembelajaran di satuan pendidikan"),
        ("Terlaksananya refleksi dan tindak lanjut hasil supervisi akademik", "Draft",
         "Meningkatnya kualitas pembelajaran di satuan pendidikan")],
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Registry:
    """The simulated registry's data and behaviour; thread-safe (one lock)."""

    def __init__(self, data: dict[str, Any], client_id: str = "ekinerja", client_secret: str = SIMULATOR_CLIENT_SECRET,
                 token_ttl: int = 3600) -> None:
        self.lock = threading.RLock()
        self.agencies = {a["id"]: a for a in data.get("agencies", [])}
        self.units = {u["id"]: u for u in data.get("units", [])}
        self.positions = {p["id"]: p for p in data.get("positions", [])}
        self.employees = {e["nip"]: dict(e) for e in data.get("employees", [])}
        start = _now() - dt.timedelta(days=1)
        self.updated = {nip: start for nip in self.employees}
        self.last_change = start
        self.client_id, self.client_secret, self.token_ttl = client_id, client_secret, token_ttl
        self.tokens: dict[str, float] = {}
        self.pmm: dict[tuple[str, int, int], dict[str, Any] | None] = {}  # None: no document
        self.pmm_unknown: set[str] = set()
        self.fail: dict[str, Any] = {"mode": None}
        self.stats: dict[str, int] = {"requests": 0, "failed": 0, "tokens": 0, "unauthorized": 0}

    # --- control ---------------------------------------------------------------------------------

    def _touch(self, nip: str) -> None:
        now = max(_now(), self.last_change + dt.timedelta(microseconds=1))
        self.updated[nip] = self.last_change = now

    def patch_employee(self, nip: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if nip not in self.employees:
                raise KeyError(nip)
            self.employees[nip].update(changes)
            self._touch(nip)
            return self.employees[nip]

    def put_employee(self, nip: str, row: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.employees[nip] = {**row, "nip": nip}
            self._touch(nip)
            return self.employees[nip]

    def set_fail(self, spec: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            mode = spec.get("mode")
            if mode not in ("error", "timeout", None):
                raise ValueError("mode must be error or timeout")
            self.fail = {"mode": mode, "status": int(spec.get("status", 503)), "count": spec.get("count"),
                         "delay": float(spec.get("delay", 30.0 if mode == "timeout" else 0.0)),
                         "token": bool(spec.get("token", False))}
            return self.fail

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"stats": dict(self.stats), "fail": dict(self.fail),
                    "size": {"agencies": len(self.agencies), "units": len(self.units),
                             "employees": len(self.employees)},
                    "server_time": _now().isoformat()}

    def failure_now(self, is_token: bool) -> dict[str, Any] | None:
        """The failure to serve for this request, if the registry is told to fail."""
        with self.lock:
            fail = self.fail
            if fail["mode"] is None or (is_token and not fail["token"]):
                return None
            if fail["count"] is not None:
                if fail["count"] <= 0:
                    self.fail = {"mode": None}
                    return None
                fail["count"] -= 1
            self.stats["failed"] += 1
            return dict(fail)

    # --- OAuth2 ------------------------------------------------------------------------------------

    def issue_token(self, client_id: str | None, client_secret: str | None, grant: str | None) -> dict | None:
        if grant != "client_credentials" or (client_id, client_secret) != (self.client_id, self.client_secret):
            return None
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
            self.stats["tokens"] += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}

    def token_valid(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        with self.lock:
            expires = self.tokens.get(header[7:])
            return expires is not None and expires > time.monotonic()

    # --- the API -----------------------------------------------------------------------------------

    def agency_list(self) -> list[dict[str, Any]]:
        return [to_agency(a) for a in self.agencies.values()]

    def unit_tree(self, agency_id: str) -> list[dict[str, Any]]:
        with self.lock:
            heads: dict[str, str] = {}
            for e in self.employees.values():
                unit_id = e.get("unit_id")
                boss = self.employees.get(e.get("supervisor_nip") or "")
                if unit_id and e.get("agency_id") == agency_id and (boss is None or boss.get("unit_id") != unit_id):
                    position = self.positions.get(e.get("position_id") or "")
                    if position and unit_id not in heads:
                        heads[unit_id] = position["name"]
            return [to_unit(u, heads.get(u["id"])) for u in self.units.values() if u["agency_id"] == agency_id]

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.employees.get(nip)
            if row is None:
                return None
            return to_data_utama(row, self.agencies, self.units, self.positions, self.updated[nip].isoformat())

    def changed(self, agency_id: str, since: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
        after = dt.datetime.fromisoformat(since) if since else None
        start: tuple[dt.datetime, str] | None = None
        if cursor:
            stamp, _, nip = cursor.partition("|")
            start = (dt.datetime.fromisoformat(stamp), nip)
        with self.lock:
            server_time = self.last_change.isoformat() if self.last_change > _now() else _now().isoformat()
            keys = sorted((self.updated[n], n) for n, e in self.employees.items()
                          if e.get("agency_id") == agency_id and (after is None or self.updated[n] > after))
            if start is not None:
                keys = [k for k in keys if k > start]
            page = keys[:limit]
            data = [to_data_utama(self.employees[n], self.agencies, self.units, self.positions, t.isoformat())
                    for t, n in page]
        next_cursor = f"{page[-1][0].isoformat()}|{page[-1][1]}" if len(keys) > limit else None
        return {"code": 1, "data": data, "nextCursor": next_cursor, "serverTime": server_time}

    def pmm_teacher(self, nip: str) -> dict[str, Any] | None:
        """PMM's record of someone in a school (as Dapodik gives it), None when PMM does not know them."""
        with self.lock:
            teacher = self.employees.get(nip)
            unit = self.units.get((teacher or {}).get("unit_id") or "")
            if not teacher or not unit or unit.get("kind") != "sekolah" or nip in self.pmm_unknown:
                return None
            return {"nip": nip, "nama": teacher["name"], "nuptk": f"{zlib.crc32(nip.encode()) % 10**16:016d}",
                    "npsn": f"2{zlib.crc32(unit['id'].encode()) % 10_000_000:07d}"}

    def pmm_document(self, nip: str, year: int, semester: int) -> dict[str, Any] | None:
        with self.lock:
            if nip in self.pmm_unknown:
                return None
            if (nip, year, semester) in self.pmm:
                return self.pmm[(nip, year, semester)]
            teacher = self.employees.get(nip)
            principal = self.employees.get((teacher or {}).get("supervisor_nip") or "")
            unit = self.units.get((teacher or {}).get("unit_id") or "")
            if not teacher or not principal or not unit or unit.get("kind") != "sekolah" \
                    or "kepala_sekolah" not in (principal.get("roles") or ()):
                return None
        first, last = ((dt.date(year, 1, 1), dt.date(year, 6, 30)) if semester == 1
                       else (dt.date(year, 7, 1), dt.date(year, 12, 31)))
        return {
            "nip": nip, "nama": teacher["name"], "npsn": f"2{zlib.crc32(unit['id'].encode()) % 10_000_000:07d}",
            "kepala_sekolah_nip": principal["nip"], "tahun": year, "semester": semester,
            "periode_awal": first.isoformat(), "periode_akhir": last.isoformat(),
            "rhk": [{"id": f"pmm-{nip}-{year}-{semester}-{i}", "rhk": text, "rhk_atasan": parent, "status": status,
                     "indikator": [
                         {"aspek": "kuantitas", "indikator": "Jumlah rombongan belajar yang dilayani",
                          "target": "2", "satuan": "rombel"},
                         {"aspek": "kualitas", "indikator": "Persentase capaian tujuan pembelajaran",
                          "target": "80", "satuan": "%"},
                         {"aspek": "waktu", "indikator": "Diselesaikan dalam satu semester",
                          "target": "6", "satuan": "bulan"}]}
                    for i, (text, status, parent) in enumerate(PMM_TEMPLATES[semester], 1)]}


class LocalClient:
    """The simulator without HTTP, with the registry client's interface: for unit tests and
    benchmarks of what sync does with the data. `down = True` makes every call fail as an outage."""

    def __init__(self, registry: Registry, page_size: int = 500) -> None:
        self.registry, self.page_size = registry, page_size
        self.down = False
        self.calls: list[str] = []

    def _call(self, what: str) -> None:
        self.calls.append(what)
        if self.down:
            raise RegistryUnavailable(f"simulated outage ({what})", 503, what)

    def agencies(self) -> list[dict[str, Any]]:
        self._call("agencies")
        return self.registry.agency_list()

    def units(self, agency_id: str) -> list[dict[str, Any]]:
        self._call("units")
        return self.registry.unit_tree(agency_id)

    def employee(self, nip: str) -> dict[str, Any]:
        self._call("employee")
        doc = self.registry.data_utama(nip)
        if doc is None:
            raise RegistryNotFound(f"no {nip}", 404, nip)
        return doc

    def changed_since(self, agency_id: str, since: str | None):
        cursor = None
        while True:
            self._call("updated")
            body = self.registry.changed(agency_id, since, cursor, self.page_size)
            yield body["data"], body["serverTime"]
            cursor = body["nextCursor"]
            if not cursor:
                return

    def pmm(self, nip: str, year: int, semester: int) -> dict[str, Any]:
        self._call("pmm")
        doc = self.registry.pmm_document(nip, year, semester)
        if doc is None:
            raise RegistryNotFound(f"no PMM SKP for {nip}", 404, nip)
        return doc

    def pmm_teacher(self, nip: str) -> dict[str, Any]:
        self._call("pmm-teacher")
        found = self.registry.pmm_teacher(nip)
        if found is None:
            raise RegistryNotFound(f"PMM does not know {nip}", 404, nip)
        return found


class Handler(BaseHTTPRequestHandler):
    registry: Registry
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if "application/x-www-form-urlencoded" in ctype:
            return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        return json.loads(raw or b"null")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        try:
            if parts[:1] == ["_control"]:
                self._control(method, parts[1:])
                return
            reg = self.registry
            with reg.lock:
                reg.stats["requests"] += 1
            failure = reg.failure_now(is_token=parts == ["oauth2", "token"])
            if failure is not None:
                if failure["mode"] == "timeout":
                    time.sleep(failure["delay"])
                    self._send(504, {"code": 0, "message": "Gateway Timeout"})
                else:
                    self._send(failure["status"], {"code": 0, "message": "Simulated failure"},
                               {"Retry-After": "1"} if failure["status"] in (429, 503) else None)
                return
            if method == "POST" and parts == ["oauth2", "token"]:
                self._token()
                return
            if method != "GET":
                self._send(405, {"code": 0, "message": "Method not allowed"})
                return
            if not reg.token_valid(self.headers.get("Authorization")):
                with reg.lock:
                    reg.stats["unauthorized"] += 1
                self._send(401, {"code": 0, "message": "Invalid or expired token"},
                           {"WWW-Authenticate": 'Bearer error="invalid_token"'})
                return
            self._api(parts, query)
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            self._send(400, {"code": 0, "message": f"Bad request: {exc}"})

    def _token(self) -> None:
        body = self._body() or {}
        client_id, client_secret = body.get("client_id"), body.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        token = self.registry.issue_token(client_id, client_secret, body.get("grant_type"))
        if token is None:
            self._send(401, {"error": "invalid_client"})
        else:
            self._send(200, token)

    def _api(self, parts: list[str], query: dict[str, str]) -> None:
        reg = self.registry
        if parts == ["apisiasn", "1.0", "referensi", "instansi"]:
            self._send(200, {"code": 1, "data": reg.agency_list()})
        elif parts == ["apisiasn", "1.0", "referensi", "ref-unor"]:
            self._send(200, {"code": 1, "data": reg.unit_tree(query["instansiId"])})
        elif parts[:4] == ["apisiasn", "1.0", "pns", "data-utama"] and len(parts) == 5:
            doc = reg.data_utama(parts[4])
            if doc is None:
                self._send(404, {"code": 0, "data": "Data tidak ditemukan"})
            else:
                self._send(200, {"code": 1, "data": doc})
        elif parts == ["apisiasn", "1.0", "pns", "updated"]:
            self._send(200, reg.changed(query["instansiId"], query.get("since"), query.get("cursor"),
                                        max(1, min(5000, int(query.get("limit", "500"))))))
        elif parts[:3] == ["pmm", "1.0", "guru"] and len(parts) == 4:
            found = reg.pmm_teacher(parts[3])
            if found is None:
                self._send(404, {"code": 0, "data": "Guru tidak ditemukan"})
            else:
                self._send(200, {"code": 1, "data": found})
        elif parts[:3] == ["pmm", "1.0", "guru"] and len(parts) == 5 and parts[4] == "skp":
            semester = int(query["semester"])
            if semester not in (1, 2):
                raise ValueError("semester must be 1 or 2")
            doc = reg.pmm_document(parts[3], int(query["tahun"]), semester)
            if doc is None:
                self._send(404, {"code": 0, "data": "SKP PMM tidak ditemukan"})
            else:
                self._send(200, {"code": 1, "data": doc})
        else:
            self._send(404, {"code": 0, "message": "Not found"})

    def _control(self, method: str, parts: list[str]) -> None:
        reg = self.registry
        if method == "GET" and parts == ["state"]:
            self._send(200, reg.state())
        elif method == "POST" and parts == ["fail"]:
            self._send(200, reg.set_fail(self._body() or {}))
        elif method == "POST" and parts == ["recover"]:
            self._send(200, reg.set_fail({"mode": None}))
        elif method == "PATCH" and len(parts) == 2 and parts[0] == "employees":
            try:
                self._send(200, reg.patch_employee(parts[1], self._body() or {}))
            except KeyError:
                self._send(404, {"message": "no such employee"})
        elif method == "PUT" and len(parts) == 2 and parts[0] == "employees":
            self._send(200, reg.put_employee(parts[1], self._body()))
        elif method == "PUT" and len(parts) == 4 and parts[0] == "pmm":
            with reg.lock:
                reg.pmm[(parts[1], int(parts[2]), int(parts[3]))] = self._body()
            self._send(200, {"ok": True})
        elif method == "DELETE" and len(parts) == 4 and parts[0] == "pmm":
            with reg.lock:
                reg.pmm[(parts[1], int(parts[2]), int(parts[3]))] = None
            self._send(200, {"ok": True})
        elif method == "DELETE" and len(parts) == 2 and parts[0] == "pmm":
            with reg.lock:
                reg.pmm_unknown.add(parts[1])
            self._send(200, {"ok": True})
        else:
            self._send(404, {"message": "Not found"})


def make_server(registry: Registry, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"registry": registry})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.registry.simulator",
                                     description="A SIASN-style registry (and PMM) serving an e-Kinerja import file.")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data", default="deploy/demo/masterdata.json", help="an e-Kinerja JSON import file")
    parser.add_argument("--client-id", default="ekinerja")
    # The secret sync signs in with: `make up` exports one made for the install (var/secrets/).
    parser.add_argument("--client-secret",
                        default=os.environ.get("SYNC_REGISTRY_CLIENT_SECRET") or SIMULATOR_CLIENT_SECRET)
    parser.add_argument("--token-ttl", type=int, default=3600, help="seconds a token lives")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s registry %(message)s")
    data = json.loads(Path(args.data).read_text(encoding="utf-8"))
    registry = Registry(data, args.client_id, args.client_secret, args.token_ttl)
    server = make_server(registry, args.port, args.host)
    log.info("registry simulator on http://%s:%d serving %s (%d employees)", args.host, args.port, args.data,
             len(registry.employees))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
