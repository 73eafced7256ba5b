"""A synthetic, national-shaped master-data set of any size, for benchmarks and load tests.

    python -m sync.synthetic --size 100000 [--seed 2026] --out var/synthetic-100000.json
    (`make data SIZE=100000`)

Shape (roughly Indonesia's civil service, scaled): about one agency per 6,000 employees (at most
620); ~23 % of employees in central agencies (ministries and institutions: eselon I units,
directorates/bureaus, sections), ~77 % in regional governments (provinces, regencies, cities:
the regional secretariat, offices with divisions, the education office with its schools, the
health office with its puskesmas). Every unit has a head; heads report to the head of the unit
above, staff to their unit's head, teachers to their kepala sekolah (who reports to the head of the
education office); heads of top units have no supervisor. Structural positions are PNS; about a
fifth of other staff, and nearly half of teachers, are PPPK. Each agency has one admin instansi.

Identifiers are valid and consistent: a PNS NIP is birth date · CPNS month · gender · sequence,
a PPPK NI is birth date · appointment year · 2 · contract count · gender · sequence; the NIK has
the agency's region, the same birth date (day + 40 for women) and gender. NIP and NIK are unique.

Deterministic: the same size and seed give the same file. Written as a stream, agency by agency,
so memory stays bounded by the largest agency, not by the data set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

AGENCIES_PER_EMPLOYEE = 1 / 6000
MAX_AGENCIES = 620
CENTRAL_SHARE = 0.23  # of employees
MIN_SIZE = 50

PROVINCES = [
    ("11", "Aceh"), ("12", "Sumatera Utara"), ("13", "Sumatera Barat"), ("14", "Riau"), ("15", "Jambi"),
    ("16", "Sumatera Selatan"), ("17", "Bengkulu"), ("18", "Lampung"), ("19", "Kepulauan Bangka Belitung"),
    ("21", "Kepulauan Riau"), ("31", "DKI Jakarta"), ("32", "Jawa Barat"), ("33", "Jawa Tengah"),
    ("34", "DI Yogyakarta"), ("35", "Jawa Timur"), ("36", "Banten"), ("51", "Bali"), ("52", "Nusa Tenggara Barat"),
    ("53", "Nusa Tenggara Timur"), ("61", "Kalimantan Barat"), ("62", "Kalimantan Tengah"),
    ("63", "Kalimantan Selatan"), ("64", "Kalimantan Timur"), ("65", "Kalimantan Utara"), ("71", "Sulawesi Utara"),
    ("72", "Sulawesi Tengah"), ("73", "Sulawesi Selatan"), ("74", "Sulawesi Tenggara"), ("75", "Gorontalo"),
    ("76", "Sulawesi Barat"), ("81", "Maluku"), ("82", "Maluku Utara"), ("91", "Papua"), ("92", "Papua Barat"),
    ("93", "Papua Selatan"), ("94", "Papua Tengah"), ("95", "Papua Pegunungan"), ("96", "Papua Barat Daya"),
]
CENTRAL = [
    "Kementerian Dalam Negeri", "Kementerian Keuangan", "Kementerian Agama", "Kementerian Kesehatan",
    "Kementerian Pendidikan Dasar dan Menengah", "Kementerian Hukum", "Kementerian Pertanian",
    "Kementerian Perhubungan", "Kementerian Pekerjaan Umum", "Kementerian Sosial", "Kementerian Ketenagakerjaan",
    "Kementerian Perindustrian", "Kementerian Perdagangan", "Kementerian Lingkungan Hidup",
    "Kementerian Kelautan dan Perikanan", "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
    "Kementerian Luar Negeri", "Kementerian Pertahanan", "Kementerian Energi dan Sumber Daya Mineral",
    "Kementerian Agraria dan Tata Ruang", "Badan Kepegawaian Negara", "Badan Pusat Statistik",
    "Badan Pengawasan Keuangan dan Pembangunan", "Badan Meteorologi, Klimatologi, dan Geofisika",
    "Badan Pengawas Obat dan Makanan", "Badan Riset dan Inovasi Nasional", "Badan Nasional Penanggulangan Bencana",
    "Badan Siber dan Sandi Negara", "Lembaga Administrasi Negara", "Arsip Nasional Republik Indonesia",
    "Perpustakaan Nasional", "Badan Informasi Geospasial", "Badan Standardisasi Nasional",
    "Komisi Aparatur Sipil Negara", "Badan Pengawas Pemilihan Umum", "Mahkamah Agung", "Kejaksaan Agung",
    "Sekretariat Negara", "Kementerian Koordinator Bidang Perekonomian", "Kementerian Pemuda dan Olahraga",
]
PLACE_A = ["Suka", "Tanjung", "Muara", "Batu", "Sungai", "Teluk", "Bukit", "Pulau", "Air", "Padang", "Ranah",
           "Lubuk", "Gunung", "Rawa", "Sri", "Mekar", "Karang", "Kuala"]
PLACE_B = ["Maju", "Jaya", "Raya", "Baru", "Indah", "Makmur", "Sari", "Mulya", "Asri", "Permai", "Agung",
           "Lestari", "Damai", "Harapan"]
PLACE_C = ["", " Timur", " Barat", " Selatan", " Utara", " Tengah"]
MALE = ["Agus", "Budi", "Eko", "Gilang", "Indra", "Joko", "Made", "Oki", "Rahmat", "Taufik", "Wahyu", "Bayu",
        "Fajar", "Galih", "Heru", "Rizky", "Yoga", "Arif", "Dimas", "Hendra", "Irfan", "Kurniawan", "Slamet",
        "Teguh", "Yusuf", "Andi", "Bambang", "Dedi", "Hadi", "Iwan", "Nyoman", "Ketut", "Wayan", "Ahmad", "Fauzi"]
FEMALE = ["Citra", "Dewi", "Fitri", "Hana", "Kartika", "Lestari", "Nur", "Putri", "Sari", "Umi", "Yuni", "Dian",
          "Endang", "Intan", "Lina", "Maya", "Siti", "Wulan", "Zahra", "Ratna", "Ayu", "Desi", "Eka", "Indah",
          "Nurul", "Rina", "Sri", "Tuti", "Wati", "Yanti", "Anisa", "Mega", "Novi", "Ika", "Reni"]
LAST = ["Santoso", "Wijaya", "Saputra", "Hidayat", "Pratama", "Kusuma", "Nugroho", "Rahayu", "Setiawan", "Wibowo",
        "Purnama", "Siregar", "Nasution", "Harahap", "Simanjuntak", "Lubis", "Sitompul", "Gunawan", "Hakim",
        "Firmansyah", "Susanto", "Halim", "Rahman", "Syahputra", "Utami", "Permana", "Suryadi", "Tanjung",
        "Manurung", "Pangaribuan", "Wenas", "Lumban", "Daulay", "Ginting", "Tarigan", "Sembiring", "Batubara"]

# id suffix: (name, kind, jenjang, kelas, PNS golongan choices, PPPK golongan)
POSITIONS: dict[str, tuple[str, str, str | None, int, tuple[str, ...], str | None]] = {
    "jpt-madya": ("Pimpinan Tinggi Madya", "struktural", "JPT Madya", 17, ("IV/d", "IV/e"), None),
    "jpt-pratama": ("Pimpinan Tinggi Pratama", "struktural", "JPT Pratama", 14, ("IV/c", "IV/d"), None),
    "administrator": ("Administrator", "struktural", "Administrator", 12, ("IV/a", "IV/b"), None),
    "analis-sdm-pertama": ("Analis SDM Aparatur Ahli Pertama", "fungsional", "Ahli Pertama", 8, ("III/a", "III/b"),
                           "IX"),
    "analis-sdm-muda": ("Analis SDM Aparatur Ahli Muda", "fungsional", "Ahli Muda", 9, ("III/c", "III/d"), "X"),
    "perencana-pertama": ("Perencana Ahli Pertama", "fungsional", "Ahli Pertama", 8, ("III/a", "III/b"), "IX"),
    "perencana-muda": ("Perencana Ahli Muda", "fungsional", "Ahli Muda", 9, ("III/c", "III/d"), "X"),
    "analis-keuangan": ("Analis Pengelolaan Keuangan APBN Ahli Pertama", "fungsional", "Ahli Pertama", 8,
                        ("III/a", "III/b"), "IX"),
    "auditor-pertama": ("Auditor Ahli Pertama", "fungsional", "Ahli Pertama", 8, ("III/a", "III/b"), "IX"),
    "prakom-terampil": ("Pranata Komputer Terampil", "fungsional", "Terampil", 6, ("II/c", "II/d", "III/a"), "VII"),
    "arsiparis-terampil": ("Arsiparis Terampil", "fungsional", "Terampil", 6, ("II/c", "II/d"), "VII"),
    "guru-pertama": ("Guru Ahli Pertama", "fungsional", "Ahli Pertama", 8, ("III/a", "III/b"), "IX"),
    "guru-muda": ("Guru Ahli Muda", "fungsional", "Ahli Muda", 9, ("III/c", "III/d"), "X"),
    "guru-madya": ("Guru Ahli Madya", "fungsional", "Ahli Madya", 11, ("IV/a", "IV/b"), None),
    "dokter-pertama": ("Dokter Ahli Pertama", "fungsional", "Ahli Pertama", 9, ("III/b", "III/c"), "X"),
    "dokter-madya": ("Dokter Ahli Madya", "fungsional", "Ahli Madya", 11, ("IV/a", "IV/b"), None),
    "perawat-terampil": ("Perawat Terampil", "fungsional", "Terampil", 7, ("II/c", "II/d", "III/a"), "VII"),
    "bidan-terampil": ("Bidan Terampil", "fungsional", "Terampil", 7, ("II/c", "II/d", "III/a"), "VII"),
    "pengadministrasi": ("Pengadministrasi Perkantoran", "pelaksana", None, 5, ("II/a", "II/b", "II/c"), "V"),
    "penata-layanan": ("Penata Layanan Operasional", "pelaksana", None, 7, ("III/a", "III/b"), "VII"),
    "operator": ("Operator Layanan Operasional", "pelaksana", None, 5, ("II/a", "II/b"), "V"),
}
OFFICE_STAFF = ("analis-sdm-pertama", "analis-sdm-muda", "perencana-pertama", "perencana-muda", "analis-keuangan",
                "prakom-terampil", "arsiparis-terampil", "pengadministrasi", "pengadministrasi", "penata-layanan")
TEACHERS = ("guru-pertama", "guru-pertama", "guru-muda")
HEALTH = ("dokter-pertama", "perawat-terampil", "perawat-terampil", "bidan-terampil", "pengadministrasi")
CENTRAL_UNITS_I = ["Sekretariat Jenderal", "Inspektorat Jenderal"]
TOPICS = ["Perencanaan", "Keuangan", "Sumber Daya Manusia", "Hukum", "Umum", "Kerja Sama", "Data dan Informasi",
          "Kebijakan", "Pelayanan", "Pengawasan", "Pembinaan", "Pengembangan", "Evaluasi", "Program",
          "Sarana dan Prasarana", "Hubungan Masyarakat", "Organisasi dan Tata Laksana", "Teknologi Informasi"]
OFFICES = ["Dinas Pendidikan", "Dinas Kesehatan", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
           "Badan Perencanaan Pembangunan Daerah", "Badan Keuangan dan Aset Daerah", "Inspektorat Daerah",
           "Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas Sosial", "Dinas Perhubungan",
           "Dinas Kependudukan dan Pencatatan Sipil", "Satuan Polisi Pamong Praja", "Dinas Pertanian",
           "Dinas Lingkungan Hidup", "Dinas Komunikasi dan Informatika", "Dinas Koperasi dan Usaha Mikro",
           "Dinas Perumahan dan Kawasan Permukiman", "Dinas Pariwisata", "Dinas Tenaga Kerja"]


@dataclass
class AgencyPlan:
    id: str
    name: str
    kind: str  # pusat, daerah
    level: str  # kementerian, provinsi, kabupaten, kota
    region: str  # 4 digits: province and regency, for NIKs
    domain: str
    headcount: int
    place: str = ""


@dataclass
class UnitPlan:
    id: str
    parent: str | None
    name: str
    kind: str  # unit, sekolah
    head: str  # position suffix of its head
    staff_pool: tuple[str, ...] = ()
    weight: float = 0.0  # share of the agency's staff
    pppk_share: float = 0.2
    female_share: float = 0.5
    admin: bool = False  # its first analis SDM is the agency's admin instansi


@dataclass
class Identifiers:
    """NIPs and NIKs already given (both must be unique nationally)."""

    nips: set[str] = field(default_factory=set)
    niks: set[str] = field(default_factory=set)


def _place_name(i: int) -> str:
    a, b, c = i % len(PLACE_A), (i // len(PLACE_A)) % len(PLACE_B), i // (len(PLACE_A) * len(PLACE_B))
    base = f"{PLACE_A[a]}{PLACE_B[b].lower()}" if a % 2 == 0 else f"{PLACE_A[a]} {PLACE_B[b]}"
    suffix = PLACE_C[c % len(PLACE_C)] + ("" if c < len(PLACE_C) else f" {c // len(PLACE_C) + 1}")
    return base + suffix


def _split(total: int, parts: int, rng: random.Random, minimum: int) -> list[int]:
    """`total` in `parts` of lognormal sizes, each at least `minimum`, summing exactly to `total`."""
    if parts <= 0:
        return []
    weights = [rng.lognormvariate(0, 0.6) for _ in range(parts)]
    spare = total - minimum * parts
    sizes = [minimum + int(spare * w / sum(weights)) for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    return sizes


def plan_agencies(size: int, seed: int) -> list[AgencyPlan]:
    if size < MIN_SIZE:
        raise ValueError(f"size must be at least {MIN_SIZE}")
    rng = random.Random(f"{seed}:agencies")
    n = max(2, min(MAX_AGENCIES, round(size * AGENCIES_PER_EMPLOYEE)))
    n_central = max(1, round(n * 0.13))
    n_regional = n - n_central
    central_total = max(20 * n_central, round(size * CENTRAL_SHARE))
    plans: list[AgencyPlan] = []
    for i, headcount in enumerate(_split(central_total, n_central, rng, 20)):
        name = CENTRAL[i] if i < len(CENTRAL) else f"Badan Nasional {TOPICS[i % len(TOPICS)]} {i // len(TOPICS) + 1}"
        plans.append(AgencyPlan(f"pusat-{i + 1:03d}", name, "pusat", "kementerian", "3171", f"k{i + 1:03d}.go.id",
                                headcount))
    n_prov = min(len(PROVINCES), round(n_regional * 38 / 546)) if n_regional > 2 else 0
    regency_seq: dict[str, int] = {}
    for i, headcount in enumerate(_split(size - central_total, n_regional, rng, 20)):
        if i < n_prov:
            code, name = PROVINCES[i]
            plans.append(AgencyPlan(f"prov-{code}", f"Pemerintah Provinsi {name}", "daerah", "provinsi", code + "71",
                                    f"{code}.prov.go.id", headcount, name))
            continue
        code, _ = PROVINCES[(i - n_prov) % len(PROVINCES)]
        seq = regency_seq[code] = regency_seq.get(code, 0) + 1
        city = seq % 5 == 0
        regency = f"{code}{(70 + seq // 5) if city else seq:02d}"
        place = _place_name(i - n_prov)
        level = "kota" if city else "kabupaten"
        plans.append(AgencyPlan(f"{'kota' if city else 'kab'}-{regency}", f"Pemerintah {level.capitalize()} {place}",
                                "daerah", level, regency, f"{regency}.go.id", headcount, place))
    return plans


def _units(plan: AgencyPlan, rng: random.Random) -> list[UnitPlan]:
    """The agency's unit tree, sized to its headcount (about 1 head per 12 employees in offices)."""
    units: list[UnitPlan] = []
    counter = iter(range(1, 1_000_000))

    def add(parent: str | None, name: str, head: str, kind: str = "unit", **kw: Any) -> UnitPlan:
        unit = UnitPlan(f"{plan.id}-u{next(counter):05d}", parent, name, kind, head, **kw)
        units.append(unit)
        return unit

    h = plan.headcount
    if plan.kind == "pusat":
        n1 = max(1, min(12, round(h / 4000)))
        names = CENTRAL_UNITS_I + [f"Direktorat Jenderal {TOPICS[(j * 5) % len(TOPICS)]}" for j in range(12)]
        for j in range(n1):
            top = add(None, names[j], "jpt-madya")
            n2 = max(1, min(8, round(h / n1 / 500)))
            for k in range(n2):
                topic = TOPICS[(j * 3 + k) % len(TOPICS)]
                second = add(top.id, f"{'Biro' if j == 0 else 'Direktorat'} {topic}", "jpt-pratama")
                n3 = max(1, min(10, round(h / n1 / n2 / 40)))
                for m in range(n3):
                    add(second.id, f"{'Bagian' if j == 0 else 'Subdirektorat'} {TOPICS[(k + m * 7) % len(TOPICS)]}",
                        "administrator", staff_pool=OFFICE_STAFF, weight=1.0,
                        admin=(j == 0 and k == 0 and m == 0))
        return units

    top_position = "jpt-madya" if plan.level == "provinsi" else "jpt-pratama"
    setda = add(None, "Sekretariat Daerah", top_position)
    office_share = 0.40 if h >= 100 else 1.0
    n_offices = max(1, min(len(OFFICES) - 2, round(h * office_share / 300)))
    offices = OFFICES[2:2 + n_offices]
    for j, office in enumerate(["Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"] +
                               [o for o in offices if not o.startswith("Badan Kepegawaian")][:max(0, n_offices - 1)]):
        unit = add(setda.id, office, "jpt-pratama")
        n_bidang = max(1, min(5, round(h * office_share / n_offices / 40)))
        for m in range(n_bidang):
            label = "Sekretariat" if m == 0 else f"Bidang {TOPICS[(j + m * 5) % len(TOPICS)]}"
            add(unit.id, f"{label} {office}", "administrator", staff_pool=OFFICE_STAFF,
                weight=office_share / n_offices / n_bidang, admin=(j == 0 and m == 0))
    if h >= 100:
        school_level = ("SMA Negeri", "SMK Negeri") if plan.level == "provinsi" else ("SD Negeri", "SMP Negeri")
        disdik = add(setda.id, "Dinas Pendidikan", "jpt-pratama")
        n_schools = max(1, round(h * 0.45 / 18))
        for s in range(n_schools):
            add(disdik.id, f"{school_level[s % 2]} {s // 2 + 1} {plan.place or plan.name}", "guru-madya", "sekolah",
                staff_pool=TEACHERS + ("operator",) * (1 if s % 3 == 0 else 0), weight=0.45 / n_schools,
                pppk_share=0.45, female_share=0.65)
        dinkes = add(setda.id, "Dinas Kesehatan", "jpt-pratama")
        n_pkm = max(1, round(h * 0.15 / 25))
        for s in range(n_pkm):
            add(dinkes.id, f"UPTD Puskesmas {_place_name(s + 7)}", "dokter-madya", staff_pool=HEALTH,
                weight=0.15 / n_pkm, pppk_share=0.35, female_share=0.7)
    return units


def agency_units(plan: AgencyPlan, seed: int) -> list[UnitPlan]:
    units = _units(plan, random.Random(f"{seed}:{plan.id}:units"))
    if len(units) > plan.headcount // 2:  # a very small agency: fewer units, each with staff
        keep = {u.id for u in units[: max(1, plan.headcount // 2)]}
        units = [u for u in units if u.id in keep]
        for u in units:
            if not u.staff_pool:
                u.staff_pool, u.weight = OFFICE_STAFF, 1.0
    return units


def agency_record(plan: AgencyPlan) -> dict[str, Any]:
    return {"id": plan.id, "name": plan.name, "kind": plan.kind}


def unit_records(plan: AgencyPlan, units: list[UnitPlan]) -> list[dict[str, Any]]:
    return [{"id": u.id, "agency_id": plan.id, "parent_id": u.parent, "name": u.name, "kind": u.kind} for u in units]


def position_records(plan: AgencyPlan, units: list[UnitPlan]) -> list[dict[str, Any]]:
    used = sorted({u.head for u in units} | {p for u in units for p in u.staff_pool})
    out = []
    for suffix in used:
        name, kind, jenjang, kelas, _, _ = POSITIONS[suffix]
        if suffix in ("jpt-madya", "jpt-pratama", "administrator"):
            name = {"jpt-madya": "Sekretaris Daerah" if plan.level == "provinsi" else "Kepala Unit Eselon I",
                    "jpt-pratama": "Kepala Dinas/Badan" if plan.kind == "daerah" else "Direktur/Kepala Biro",
                    "administrator": "Kepala Bidang/Bagian"}[suffix]
        out.append({"id": f"{plan.id}-{suffix}", "agency_id": plan.id, "name": name, "kind": kind,
                    "jenjang": jenjang, "kelas_jabatan": kelas})
    return out


def _birth(rng: random.Random, position: str) -> dt.date:
    low, high = {"jpt-madya": (1965, 1975), "jpt-pratama": (1966, 1980), "administrator": (1968, 1985),
                 "guru-madya": (1966, 1982), "dokter-madya": (1968, 1982)}.get(position, (1966, 2001))
    return dt.date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))


def identifiers(rng: random.Random, ids: Identifiers, region: str, position: str, pppk: bool,
                female: bool) -> tuple[str, str, dt.date]:
    """A valid, unique NIP (PNS or PPPK) and a NIK that agrees with it."""
    gender = "2" if female else "1"
    while True:
        birth = _birth(rng, position)
        if pppk:
            middle = f"{rng.randint(max(2019, birth.year + 20), 2025)}2{rng.randint(1, 3)}"
        else:
            year = rng.randint(birth.year + 21, min(birth.year + 35, 2024))
            middle = f"{year}{rng.randint(1, 12):02d}"
        nip = f"{birth:%Y%m%d}{middle}{gender}{rng.randint(1, 999):03d}"
        if nip not in ids.nips:
            break
    ids.nips.add(nip)
    day = birth.day + (40 if female else 0)
    while True:
        nik = f"{region}{rng.randint(1, 30):02d}{day:02d}{birth:%m%y}{rng.randint(1, 9999):04d}"
        if nik not in ids.niks:
            break
    ids.niks.add(nik)
    return nip, nik, birth


def agency_employees(plan: AgencyPlan, units: list[UnitPlan], seed: int, ids: Identifiers) -> Iterator[dict]:
    """Heads first (top-down), then staff: a supervisor always comes before their team."""
    rng = random.Random(f"{seed}:{plan.id}:employees")
    heads: dict[str, str] = {}
    by_id = {u.id: u for u in units}
    taken = 0

    def person(unit: UnitPlan, position: str, supervisor: str | None, roles: list[str]) -> dict[str, Any]:
        nonlocal taken
        taken += 1
        _, _, _, _, pns_golongan, pppk_golongan = POSITIONS[position]
        pppk = pppk_golongan is not None and rng.random() < unit.pppk_share and not roles
        female = rng.random() < unit.female_share
        nip, nik, _ = identifiers(rng, ids, plan.region, position, pppk, female)
        first = rng.choice(FEMALE if female else MALE)
        last = rng.choice(LAST)
        return {"nip": nip, "nik": nik, "name": f"{first} {last}",
                "email": f"{first}.{last}.{nip[-4:]}@{plan.domain}".lower(),
                "employment_type": "PPPK" if pppk else "PNS", "status": "active",
                "golongan": pppk_golongan if pppk else rng.choice(pns_golongan), "agency_id": plan.id,
                "unit_id": unit.id, "position_id": f"{plan.id}-{position}", "supervisor_nip": supervisor,
                "roles": roles}

    for unit in units:  # parents are listed before their children
        boss = heads.get(unit.parent) if unit.parent else None
        roles = ["kepala_sekolah"] if unit.kind == "sekolah" else []
        row = person(unit, unit.head, boss, roles)
        heads[unit.id] = row["nip"]
        yield row
    staff_total = max(0, plan.headcount - taken)
    staffed = [u for u in units if u.staff_pool]
    weight = sum(u.weight for u in staffed) or 1.0
    counts = [int(staff_total * u.weight / weight) for u in staffed]
    for i in range(staff_total - sum(counts)):
        counts[i % len(counts)] += 1
    admin_given = False
    for unit, count in zip(staffed, counts, strict=True):
        for k in range(count):
            position = unit.staff_pool[k % len(unit.staff_pool)]
            roles = []
            if unit.admin and not admin_given and position.startswith("analis-sdm"):
                roles, admin_given = ["admin_instansi"], True
            yield person(by_id[unit.id], position, heads[unit.id], roles)


def generate(size: int, seed: int = 2026) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, row) in import order: agencies, units, positions, then employees agency by agency."""
    plans = plan_agencies(size, seed)
    for plan in plans:
        yield "agencies", agency_record(plan)
    for plan in plans:
        for row in unit_records(plan, agency_units(plan, seed)):
            yield "units", row
    for plan in plans:
        for row in position_records(plan, agency_units(plan, seed)):
            yield "positions", row
    ids = Identifiers()
    for plan in plans:
        yield from (("employees", row) for row in agency_employees(plan, agency_units(plan, seed), seed, ids))


def write_json(out: TextIO, size: int, seed: int = 2026) -> dict[str, int]:
    """The data set as an import file (the shape of deploy/demo/masterdata.json), streamed."""
    counts: dict[str, int] = {}
    current = None
    out.write("{")
    for kind, row in generate(size, seed):
        if kind != current:
            out.write("]" if current else "")
            out.write(f"{',' if current else ''}\n\"{kind}\": [\n")
            current = kind
        elif counts.get(kind):
            out.write(",\n")
        out.write(json.dumps(row, ensure_ascii=False))
        counts[kind] = counts.get(kind, 0) + 1
    out.write("]\n}\n")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="employees (at least 50)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.size < MIN_SIZE:
        parser.error(f"--size must be at least {MIN_SIZE}")
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            counts = write_json(f, args.size, args.seed)
        tmp.replace(path)
        print(f"{path}: " + ", ".join(f"{n} {k}" for k, n in counts.items()), file=sys.stderr)
    else:
        write_json(sys.stdout, args.size, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
