"""`make bench-monitoring`: national monitoring at the size of a country, to show that a page's cost does
not grow with the number of employees: the same national, agency and unit pages measured for a
synthetic country of 10,000 and of 1,000,000 employees (BENCH_MONITORING_SIZES), over the same 520
agencies (BENCH_MONITORING_AGENCIES), one month (October 2026), through the whole path a client uses:
the gateway's Flask app, RPC over a private RabbitMQ node, the harian, skp, tukin and sync services
(real nameko containers) and a private PostgreSQL cluster.

How the country is seeded (the benchmark writes the read models directly, with COPY, in seconds,
instead of replaying a million employees' months through the services):
- every agency gets a unit tree of about 25 employees per unit (4 children per unit): one unit per
  agency at 10,000 employees, 77 units four levels deep at 1,000,000;
- each service's read model (the tree, its closure table, and the counters per node: harian's
  employee-days per date, skp's plans, evaluations and caps per period, tukin's totals per month,
  headcounts) is computed here for every unit and rolled up the tree exactly as the services' deltas
  would leave it (each node holds its subtree's totals), then copied in;
- every employee is in each service's read-copy of master data (3 × N rows), and the runs of every
  agency-month in tukin;
- the source rows a page reads for its own people (day_status and closings, SKPs and evaluations,
  allowance results) are seeded for the measured unit's members only: the national, agency and unit
  figures read none of them.
harian's day closer is not started: nothing of a seeded month is left for it to close, and its pass
over every employee would only compete for the CPU with the pages measured.

Each page is asked BENCH_MONITORING_REQUESTS times (200) after a warm-up, one at a time, for the
whole month (the widest range, 31 days), as a national admin (BKN), the sizes in turn over
BENCH_MONITORING_ROUNDS rounds (2: a machine busy with something else weighs on both sizes alike).
Printed: p50 and p99 per page and size, and p99 at the largest size ÷ p99 at the smallest (goal
≤ 1.5); exit 1 when a ratio misses it.

    python bench/monitoring.py [--sizes 10000,1000000] [--requests 200] [--agencies 520] [--rounds 2]
"""

import eventlet

eventlet.monkey_patch()  # noqa: E402  nameko's containers run on eventlet, in this process

import argparse  # noqa: E402
import copy  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
YEAR, MONTH = 2026, 10
FIRST, LAST = dt.date(YEAR, MONTH, 1), dt.date(YEAR, MONTH, 31)
WORKING = [FIRST + dt.timedelta(days=i) for i in range(31) if (FIRST + dt.timedelta(days=i)).weekday() < 5]
PER_UNIT, BRANCHING = 25, 4
SERVICES = ("harian", "skp", "tukin", "sync")
GOAL = 1.5
NOW = dt.datetime(2026, 11, 3, 1, 0, tzinfo=dt.UTC).isoformat()
PREDIKAT = ("sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")


# --- the synthetic country --------------------------------------------------------------------------

class Country:
    """Agencies, their unit trees (unit i's parent is unit (i-1)//4) and their members."""

    def __init__(self, size: int, agencies: int) -> None:
        self.size, self.agencies = size, [f"ag{a:04d}" for a in range(agencies)]
        self.units: dict[str, list[tuple[str, str | None, int]]] = {}  # agency -> (unit, parent, own members)
        per, extra = divmod(size, agencies)
        for a, agency in enumerate(self.agencies):
            people = per + (1 if a < extra else 0)
            count = max(1, round(people / PER_UNIT))
            base, more = divmod(people, count)
            self.units[agency] = [(f"{agency}-u{i:03d}", f"{agency}-u{(i - 1) // BRANCHING:03d}" if i else None,
                                   base + (1 if i < more else 0)) for i in range(count)]

    def unit_count(self) -> int:
        return sum(len(u) for u in self.units.values())

    def members(self, agency: str, index: int) -> list[str]:
        """The NIPs of the index-th unit of an agency (18 digits, unique in the country)."""
        start = sum(n for _, _, n in self.units[agency][:index])
        a = self.agencies.index(agency)
        return [f"9{a:05d}{start + k:012d}" for k in range(self.units[agency][index][2])]


def rolled(country: Country, own: dict[str, Counter] | None = None,
           own_keyed: dict[tuple[str, tuple], Counter] | None = None) -> dict[tuple[str, tuple], Counter]:
    """Each node's subtree totals from its units' own counters (keyed by unit, or by (unit, key)):
    children before parents (a child's index is above its parent's), then the agency."""
    out: dict[tuple[str, tuple], Counter] = {}
    by_unit: dict[str, list[tuple[tuple, Counter]]] = defaultdict(list)
    for (unit, key), counter in (own_keyed or {}).items():
        by_unit[unit].append((key, counter))
    for agency, units in country.units.items():
        subtree: dict[str, dict[tuple, Counter]] = defaultdict(lambda: defaultdict(Counter))
        for unit, _, _ in units:
            if own is not None:
                subtree[unit][()].update(own.get(unit, Counter()))
            for key, counter in by_unit.get(unit, ()):
                subtree[unit][key].update(counter)
        agency_total: dict[tuple, Counter] = defaultdict(Counter)
        for unit, parent, _ in reversed(units):
            for key, counter in subtree[unit].items():
                out[(f"u:{unit}", key)] = counter
                if parent is not None:
                    subtree[parent][key].update(counter)
                else:
                    agency_total[key].update(counter)
        for key, counter in agency_total.items():
            out[(f"a:{agency}", key)] = counter
    return out


def tree_rows(country: Country) -> tuple[list[list], list[list]]:
    nodes, ancestors = [], []
    for agency, units in country.units.items():
        nodes.append([f"a:{agency}", "agency", "", agency, "", "", f"Instansi Sintetis {agency[2:]}", "t", NOW])
        ancestors.append([f"a:{agency}", f"a:{agency}", 0])
        chain: dict[str, list[str]] = {}
        for unit, parent, _ in units:
            up = [f"u:{unit}"] + (chain[parent] if parent else [])
            chain[unit] = up
            nodes.append([f"u:{unit}", "unit", "unit", agency, unit, f"u:{parent}" if parent else f"a:{agency}",
                          f"Unit {unit}", "t", NOW])
            for depth, ancestor in enumerate(up + [f"a:{agency}"]):
                ancestors.append([f"u:{unit}", ancestor, depth])
    return nodes, ancestors


def employee_rows(country: Country, service: str) -> "list[list]":
    rows = []
    for agency, units in country.units.items():
        heads: dict[str, str] = {}
        for index, (unit, parent, _) in enumerate(units):
            nips = country.members(agency, index)
            if not nips:
                continue
            heads[unit] = nips[0]
            for k, nip in enumerate(nips):
                boss = (heads.get(parent) if parent else None) if k == 0 else nips[0]
                name = f"Pegawai {nip[-6:]}"
                if service == "harian":
                    rows.append([nip, name, "", "active", agency, unit, boss or "", NOW])
                elif service == "skp":
                    rows.append([nip, name, "active", agency, unit, boss or "", f"{agency}-p", "Pengolah Data",
                                 "pelaksana", "", NOW])
                else:
                    rows.append([nip, name, "active", agency, unit, boss or "", 7, NOW])
    return rows


# --- seeding ---------------------------------------------------------------------------------------

def copy_rows(url: str, table: str, columns: list[str], rows: "list[list]", chunk: int = 200_000) -> None:
    """COPY in chunks of CSV; "" is NULL (the seeded text columns are never empty). Blocking, before
    any service runs: eventlet's wait callback (which COPY cannot run under) is lifted meanwhile."""
    import psycopg2.extensions
    from sqlalchemy import create_engine

    waiting = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for start in range(0, len(rows), chunk):
            buf = io.StringIO()
            csv.writer(buf).writerows(rows[start:start + chunk])
            buf.seek(0)
            cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '')", buf)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
        psycopg2.extensions.set_wait_callback(waiting)


def aggregate_rows(totals: dict[tuple[str, tuple], Counter], values: tuple[str, ...]) -> "list[list]":
    return [[node, *key, *[int(c.get(v, 0)) for v in values]] for (node, key), c in totals.items() if any(c.values())]


def seed(country: Country, urls: dict[str, str], measured: tuple[str, int], rng: random.Random) -> dict:
    counts: dict[str, int] = {}
    nodes, ancestors = tree_rows(country)
    for service in ("harian", "skp", "tukin"):
        copy_rows(urls[service], "mon_nodes", ["node", "level", "kind", "agency_id", "unit_id", "parent", "name",
                                               "known", "updated_at"], nodes)
        copy_rows(urls[service], "mon_node_ancestors", ["node", "ancestor", "depth"], ancestors)
    counts["nodes"] = len(nodes)
    counts["closure_rows"] = len(ancestors)
    copy_rows(urls["harian"], "employees", ["nip", "name", "email", "status", "agency_id", "unit_id",
                                            "supervisor_nip", "updated_at"], employee_rows(country, "harian"))
    copy_rows(urls["skp"], "employees", ["nip", "name", "status", "agency_id", "unit_id", "supervisor_nip",
                                         "position_id", "position_name", "position_kind", "jenjang", "updated_at"],
              employee_rows(country, "skp"))
    copy_rows(urls["tukin"], "employees", ["nip", "name", "status", "agency_id", "unit_id", "supervisor_nip",
                                           "kelas_jabatan", "updated_at"], employee_rows(country, "tukin"))
    counts["employee_copies"] = 3 * country.size
    copy_rows(urls["sync"], "agencies", ["id", "name", "kind", "updated_at"],
              [[a, f"Instansi Sintetis {a[2:]}", "pusat", NOW] for a in country.agencies])

    members = {u: Counter(members=n) for units in country.units.values() for u, _, n in units}
    days: dict[tuple[str, tuple], Counter] = {}
    plans: dict[tuple[str, tuple], Counter] = {}
    evals: dict[tuple[str, tuple], Counter] = {}
    own_evals: dict[tuple[str, tuple], Counter] = {}
    caps: dict[tuple[str, tuple], Counter] = {}
    months: dict[tuple[str, tuple], Counter] = {}
    for units in country.units.values():
        for unit, _, m in units:
            for day in WORKING:
                approved, submitted = round(m * rng.uniform(.6, .8)), round(m * .08)
                returned, draft, justified = round(m * .03), round(m * .02), round(m * .05)
                blank = max(m - approved - submitted - returned - draft - justified, 0)
                days[(unit, (day,))] = Counter(disetujui=approved, diajukan=submitted, dikembalikan=returned,
                                               draft=draft, justified=justified, blank=blank,
                                               late=round((approved + submitted + returned) * .06))
            plans[(unit, (YEAR,))] = Counter(disetujui=round(m * .86), diajukan=round(m * .05), draft=round(m * .04))
            for seq in range(1, 10):
                rated = round(m * .9)
                split = [round(rated * p) for p in (.1, .7, .12, .06)]
                predikat = dict(zip(PREDIKAT, [*split, max(rated - sum(split), 0)], strict=True))
                key = (YEAR, "monthly", seq)
                evals[(unit, key)] = Counter(realisasi=round(m * .05), dinilai=rated - round(rated * .5),
                                             final=round(rated * .5), **predikat)
                own_evals[(unit, key)] = Counter(predikat)
                with_predikat = int(rng.random() < .6)
                caps[(unit, key)] = Counter(units_with_predikat=with_predikat,
                                            units_outside_caps=int(with_predikat and rng.random() < .15))
            gross = m * rng.randint(4_000_000, 6_000_000) * 100
            cut = gross // 25
            months[(unit, (f"{YEAR}-{MONTH:02d}",))] = Counter(employees=m, gross_sen=gross, deductions_sen=cut,
                                                                 net_sen=gross - cut)
    tables = {
        ("harian", "mon_harian_days", ("date",), ("blank", "justified", "draft", "diajukan", "disetujui",
                                                    "dikembalikan", "late")): rolled(country, own_keyed=days),
        ("harian", "mon_harian_members", (), ("members",)): rolled(country, own=members),
        ("skp", "mon_skp_members", (), ("members",)): rolled(country, own=members),
        ("skp", "mon_skp_plans", ("year",), ("draft", "diajukan", "disetujui")): rolled(country, own_keyed=plans),
        ("skp", "mon_skp_evaluations", ("year", "kind", "seq"), ("realisasi", "dinilai", "final", *PREDIKAT)):
            rolled(country, own_keyed=evals),
        ("skp", "mon_skp_evaluations_own", ("year", "kind", "seq"), PREDIKAT):
            {(f"u:{u}", k): c for (u, k), c in own_evals.items()},
        ("skp", "mon_skp_caps", ("year", "kind", "seq"), ("units_with_predikat", "units_outside_caps")):
            rolled(country, own_keyed=caps),
        ("tukin", "mon_tukin_months", ("month",), ("employees", "skipped", "gross_sen", "deductions_sen", "net_sen")):
            rolled(country, own_keyed=months),
    }
    for (service, table, keys, values), totals in tables.items():
        rows = aggregate_rows(totals, values)
        copy_rows(urls[service], table, ["node", *keys, *values], rows)
        counts[table] = len(rows)
    runs = [[str(uuid.uuid5(uuid.NAMESPACE_URL, a)), a, f"{YEAR}-{MONTH:02d}", 1, 1, 0, "0", "0", "0", 0, "f",
             "bench", NOW] for a in country.agencies]
    copy_rows(urls["tukin"], "runs", ["id", "agency_id", "month", "revision", "policy_id", "employees", "gross",
                                      "deductions", "net", "changed", "preview", "computed_by", "computed_at"], runs)
    counts["source_rows_for_measured_unit"] = seed_sources(country, urls, measured, runs)
    for url in urls.values():
        analyze(url)
    return counts


def seed_sources(country: Country, urls: dict[str, str], measured: tuple[str, int], runs: list[list]) -> int:
    """The rows the measured unit's own people are read from: their days, plans, evaluations, results."""
    agency, index = measured
    unit = country.units[agency][index][0]
    nips = country.members(agency, index)
    day_rows, closed = [], []
    for k, nip in enumerate(nips):
        for day in WORKING:
            if (k + day.day) % 10 == 0:
                closed.append([nip, day.isoformat(), agency, unit, "belum_diisi", 0, "f", "", NOW])
            else:
                day_rows.append([nip, day.isoformat(), agency, unit, "disetujui", 1, NOW, "f", NOW])
    copy_rows(urls["harian"], "day_status", ["nip", "date", "agency_id", "unit_id", "status", "entries",
                                             "first_submitted_at", "late", "updated_at"], day_rows)
    copy_rows(urls["harian"], "day_closures", ["nip", "date", "agency_id", "unit_id", "status", "entries", "late",
                                               "absence", "closed_at"], closed)
    skps = [[str(uuid.uuid5(uuid.NAMESPACE_URL, nip)), nip, YEAR, agency, "kuantitatif", "disetujui", 1, 1, "f", "[]",
             NOW, NOW] for nip in nips]
    copy_rows(urls["skp"], "skps", ["id", "nip", "year", "agency_id", "approach", "state", "version",
                                    "approved_version", "top_official", "perilaku", "created_at", "updated_at"], skps)
    run_id = next(r[0] for r in runs if r[1] == agency)
    body = json.dumps({"gross": "5000000", "total_deduction": "200000", "net": "4800000"})
    copy_rows(urls["tukin"], "results", ["run_id", "nip", "unit_id", "supervisor_nip", "net", "body"],
              [[run_id, nip, unit, "", "4800000", body] for nip in nips])
    return len(day_rows) + len(closed) + len(skps) + len(nips)


def analyze(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


# --- measuring --------------------------------------------------------------------------------------

def start_services(amqp_uri: str, urls: dict[str, str]) -> list:
    from nameko.containers import ServiceContainer

    from harian.service import HarianService
    from skp.service import SkpService
    from sync.service import SyncService
    from tukin.service import TukinService

    class BenchHarian(HarianService):  # no day closer: see the module's docstring
        day_closer = None

    for service, url in urls.items():
        os.environ[f"{service.upper()}_DATABASE_URL"] = url
    config = {"AMQP_URI": amqp_uri, "serializer": "json", "HEARTBEAT": 15, "max_workers": 10}
    containers = []
    for cls in (BenchHarian, SkpService, TukinService, SyncService):
        container = ServiceContainer(cls, copy.deepcopy(config))
        container.start()
        containers.append(container)
    return containers


def token_and_keys() -> tuple[str, dict]:
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "bench", "use": "sig", "alg": "RS256"}, private=True)
    now = int(time.time())
    claims = {"iss": "http://127.0.0.1:8000", "aud": "ekinerja-api", "sub": "196501012000011001", "iat": now,
              "exp": now + 3600, "auth_time": now, "sid": uuid.uuid4().hex, "amr": ["pwd", "otp"],
              "roles": ["pegawai", "admin_nasional"], "agency_id": "bkn", "unit_id": None, "name": "BKN"}
    return jwt.encode({"alg": "RS256", "kid": "bench"}, claims, key), {"keys": [key.as_dict(private=False)]}


def measure(amqp_uri: str, pages: dict[str, str], requests: int) -> dict[str, list[float]]:
    """Milliseconds of each answer, per page, after a warm-up."""
    from ekinerja_gateway.app import create_app

    token, jwks = token_and_keys()
    app = create_app({"AMQP_URI": amqp_uri, "RPC_TIMEOUT": 30.0, "JWKS_LOADER": lambda: jwks})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    found = {}
    for name, path in pages.items():
        url = f"{path}?from={FIRST.isoformat()}&to={LAST.isoformat()}"
        for _ in range(10):  # warm-up: connections, caches, the planner
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status_code, response.get_json())
        took = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            took.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
        found[name] = took
    return found


def summary(took: list[float]) -> dict[str, float]:
    ordered = sorted(took)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * .99))], 1), "requests": len(ordered)}


class Size:
    """One country: its databases seeded once, measured in rounds (services started for each)."""

    def __init__(self, size: int, agencies: int, cluster) -> None:
        from ekinerja_kernel.migrations import upgrade

        self.size, self.country = size, Country(size, agencies)
        self.urls = {service: cluster.create_database(f"{service}_s{size}") for service in SERVICES}
        for service, url in self.urls.items():
            upgrade(ROOT / "services" / service, url)
        agency = self.country.agencies[0]
        started = time.perf_counter()
        self.counts = seed(self.country, self.urls, (agency, 0), random.Random(size))
        self.seconds = time.perf_counter() - started
        self.pages = {"national": "/api/v1/monitoring/nation", "agency": f"/api/v1/monitoring/agencies/{agency}",
                      "unit": f"/api/v1/monitoring/units/{self.country.units[agency][0][0]}"}
        self.took: dict[str, list[float]] = defaultdict(list)
        print(f"  {size:>9,} employees, {len(self.country.agencies)} agencies, {self.country.unit_count():,} units: "
              f"seeded in {self.seconds:.1f} s ({json.dumps(self.counts)})", flush=True)

    def round(self, amqp_uri: str, requests: int) -> None:
        containers = start_services(amqp_uri, self.urls)
        try:
            for name, took in measure(amqp_uri, self.pages, requests).items():
                self.took[name] += took
        finally:
            for container in containers:
                container.stop()

    def result(self) -> dict:
        return {"size": self.size, "units": self.country.unit_count(), "seed_seconds": round(self.seconds, 1),
                "seeded": self.counts, "pages": {name: summary(took) for name, took in self.took.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_MONITORING_SIZES", "10000,1000000"))
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_MONITORING_REQUESTS", "200")))
    parser.add_argument("--agencies", type=int, default=int(os.environ.get("BENCH_MONITORING_AGENCIES", "520")))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_MONITORING_ROUNDS", "2")),
                        help="the sizes measured in turn this many times (a busy machine weighs on both alike)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    os.environ.update({"HARIAN_REMINDERS": "off", "OUTBOX_POLL_SECONDS": "5", "HARIAN_METRICS_PORT": "0",
                       "SKP_METRICS_PORT": "0", "TUKIN_METRICS_PORT": "0", "SYNC_METRICS_PORT": "0"})
    from ekinerja_kernel.localservers import PostgresCluster, RabbitNode

    work = Path(tempfile.mkdtemp(prefix="ekinerja-bench-monitoring-"))
    print(f"national monitoring: {len(sizes)} sizes, {args.agencies} agencies, {args.requests} requests a page, "
          f"{FIRST:%B %Y} ({len(WORKING)} working days), the whole month asked", flush=True)
    rabbit = RabbitNode(work / "rabbit").start()
    cluster = PostgresCluster(work / "pg").start()
    results = []
    try:
        countries = [Size(size, args.agencies, cluster) for size in sizes]
        for turn in range(args.rounds):
            for country in countries:
                country.round(rabbit.amqp_uri, max(1, args.requests // args.rounds))
            print(f"  round {turn + 1} of {args.rounds} measured", flush=True)
        results = [c.result() for c in countries]
        for r in results:
            for name, page in r["pages"].items():
                print(f"  {r['size']:>9,} {name:<9} p50 {page['p50_ms']:>7.1f} ms   p99 {page['p99_ms']:>7.1f} ms   "
                      f"({page['requests']} requests)", flush=True)
    finally:
        cluster.stop()
        rabbit.stop()
        shutil.rmtree(work, ignore_errors=True)
    status = 0
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(f"\n  p99 at {large['size']:,} ÷ p99 at {small['size']:,} (goal ≤ {GOAL}):")
        for name in small["pages"]:
            ratio = large["pages"][name]["p99_ms"] / small["pages"][name]["p99_ms"]
            verdict = "ok" if ratio <= GOAL else "ABOVE THE GOAL"
            status = status if ratio <= GOAL else 1
            print(f"    {name:<9} {ratio:5.2f}   ({small['pages'][name]['p99_ms']} ms → "
                  f"{large['pages'][name]['p99_ms']} ms)  {verdict}")
    print(json.dumps({"benchmark": "monitoring", "results": results}))
    return status


if __name__ == "__main__":
    sys.exit(main())
