"""Writes the demo master data (masterdata.json) and demo logins (accounts.json).

Deterministic: the same files every run. Two agencies, three levels of supervision or more,
a school with its kepala sekolah and teachers (PNS and PPPK), about 40 employees with valid
NIP/NIK, and BKN's national monitoring account. Run: python deploy/demo/make_demo.py
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
rng = random.Random(2026)

FIRST = ["Adi", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hana", "Indra", "Joko", "Kartika",
         "Lestari", "Made", "Nur", "Oki", "Putri", "Rahmat", "Sari", "Taufik", "Umi", "Wahyu", "Yuni",
         "Agus", "Bayu", "Dian", "Endang", "Fajar", "Galih", "Heru", "Intan", "Lina", "Maya", "Rizky",
         "Siti", "Tri", "Wulan", "Yoga", "Zahra", "Arif", "Ratna"]
LAST = ["Santoso", "Wijaya", "Lestari", "Saputra", "Hidayat", "Pratama", "Kusuma", "Nugroho", "Rahayu",
        "Setiawan", "Wibowo", "Purnama", "Siregar", "Nasution", "Harahap", "Simanjuntak"]
FEMALE = {"Citra", "Dewi", "Fitri", "Hana", "Kartika", "Lestari", "Nur", "Putri", "Sari", "Umi", "Yuni",
          "Dian", "Endang", "Intan", "Lina", "Maya", "Siti", "Wulan", "Zahra", "Ratna"}
names = iter(f"{f} {rng.choice(LAST)}" for f in FIRST)
seq = iter(range(1, 1000))


def nip_nik(region: str, female: bool, pppk: bool) -> tuple[str, str]:
    birth = dt.date(rng.randint(1968, 1996), rng.randint(1, 12), rng.randint(1, 28))
    gender = "2" if female else "1"
    if pppk:
        middle = f"{rng.randint(2022, 2024)}2{rng.randint(1, 3)}"  # appointment year, 2, contract count
    else:
        year = rng.randint(max(birth.year + 22, 1992), 2020)
        middle = f"{year}{rng.randint(1, 12):02d}"
    nip = f"{birth:%Y%m%d}{middle}{gender}{next(seq):03d}"
    day = birth.day + (40 if female else 0)
    nik = f"{region}{day:02d}{birth:%m}{birth:%y}{rng.randint(1, 9999):04d}"
    return nip, nik


def employee(agency: str, domain: str, region: str, unit: str, position: str, golongan: str,
             supervisor: str | None, pppk: bool = False, roles: list[str] | None = None) -> dict:
    name = next(names)
    nip, nik = nip_nik(region, name.split()[0] in FEMALE, pppk)
    email = name.lower().replace(" ", ".") + "@" + domain
    return {"nip": nip, "nik": nik, "name": name, "email": email,
            "employment_type": "PPPK" if pppk else "PNS", "status": "active", "golongan": golongan,
            "agency_id": agency, "unit_id": unit, "position_id": position,
            "supervisor_nip": supervisor, "roles": roles or []}


def build() -> dict:
    agencies = [
        {"id": "kemendemo", "name": "Kementerian Pendayagunaan Demo", "kind": "pusat"},
        {"id": "pemkotdemo", "name": "Pemerintah Kota Demo", "kind": "daerah"},
    ]
    U = [  # id, agency, parent, name, kind
        ("kd-setjen", "kemendemo", None, "Sekretariat Jenderal", "unit"),
        ("kd-biro-ren", "kemendemo", "kd-setjen", "Biro Perencanaan", "unit"),
        ("kd-biro-sdm", "kemendemo", "kd-setjen", "Biro Sumber Daya Manusia", "unit"),
        ("kd-bag-prog", "kemendemo", "kd-biro-ren", "Bagian Program dan Anggaran", "unit"),
        ("kd-bag-eval", "kemendemo", "kd-biro-ren", "Bagian Evaluasi Kinerja", "unit"),
        ("kd-bag-mutasi", "kemendemo", "kd-biro-sdm", "Bagian Mutasi dan Kepangkatan", "unit"),
        ("kd-bag-bangkom", "kemendemo", "kd-biro-sdm", "Bagian Pengembangan Kompetensi", "unit"),
        ("pk-setda", "pemkotdemo", None, "Sekretariat Daerah", "unit"),
        ("pk-bkpsdm", "pemkotdemo", "pk-setda", "Badan Kepegawaian dan Pengembangan SDM", "unit"),
        ("pk-disdik", "pemkotdemo", "pk-setda", "Dinas Pendidikan", "unit"),
        ("pk-sdn1", "pemkotdemo", "pk-disdik", "SD Negeri 1 Kota Demo", "sekolah"),
    ]
    units = [{"id": i, "agency_id": a, "parent_id": p, "name": n, "kind": k} for i, a, p, n, k in U]
    P = [  # id, agency, name, kind, jenjang, kelas
        ("kd-sekjen", "kemendemo", "Sekretaris Jenderal", "struktural", "JPT Madya", 17),
        ("kd-karo", "kemendemo", "Kepala Biro", "struktural", "JPT Pratama", 14),
        ("kd-kabag", "kemendemo", "Kepala Bagian", "struktural", "Administrator", 12),
        ("kd-analis-sdm", "kemendemo", "Analis SDM Aparatur Ahli Muda", "fungsional", "Ahli Muda", 9),
        ("kd-perencana", "kemendemo", "Perencana Ahli Pertama", "fungsional", "Ahli Pertama", 8),
        ("kd-prakom", "kemendemo", "Pranata Komputer Terampil", "fungsional", "Terampil", 6),
        ("kd-pengadm", "kemendemo", "Pengadministrasi Perkantoran", "pelaksana", None, 5),
        ("pk-sekda", "pemkotdemo", "Sekretaris Daerah", "struktural", "JPT Pratama", 15),
        ("pk-kaban", "pemkotdemo", "Kepala Badan Kepegawaian", "struktural", "JPT Pratama", 14),
        ("pk-kadis", "pemkotdemo", "Kepala Dinas Pendidikan", "struktural", "JPT Pratama", 14),
        ("pk-analis", "pemkotdemo", "Analis SDM Aparatur Ahli Pertama", "fungsional", "Ahli Pertama", 8),
        ("pk-pengadm", "pemkotdemo", "Pengadministrasi Perkantoran", "pelaksana", None, 5),
        ("pk-kepsek", "pemkotdemo", "Guru Ahli Madya (Kepala Sekolah)", "fungsional", "Ahli Madya", 11),
        ("pk-guru-muda", "pemkotdemo", "Guru Ahli Muda", "fungsional", "Ahli Muda", 9),
        ("pk-guru-pertama", "pemkotdemo", "Guru Ahli Pertama", "fungsional", "Ahli Pertama", 8),
        ("pk-operator", "pemkotdemo", "Operator Layanan Operasional", "pelaksana", None, 5),
    ]
    positions = [{"id": i, "agency_id": a, "name": n, "kind": k, "jenjang": j, "kelas_jabatan": c}
                 for i, a, n, k, j, c in P]

    emps: list[dict] = []
    K = ("kemendemo", "kemendemo.go.id", "317101")
    sekjen = employee(*K, "kd-setjen", "kd-sekjen", "IV/e", None)
    emps.append(sekjen)
    for biro, bagians in (("kd-biro-ren", ("kd-bag-prog", "kd-bag-eval")),
                          ("kd-biro-sdm", ("kd-bag-mutasi", "kd-bag-bangkom"))):
        karo = employee(*K, biro, "kd-karo", "IV/d", sekjen["nip"])
        emps.append(karo)
        for bagian in bagians:
            kabag = employee(*K, bagian, "kd-kabag", "IV/a", karo["nip"])
            emps.append(kabag)
            staff = ["kd-analis-sdm" if biro == "kd-biro-sdm" else "kd-perencana", "kd-prakom", "kd-pengadm"]
            for pos, gol in zip(staff, ("III/c", "III/a", "II/c"), strict=True):
                roles = ["admin_instansi"] if bagian == "kd-bag-mutasi" and pos == "kd-analis-sdm" else []
                emps.append(employee(*K, bagian, pos, gol, kabag["nip"], roles=roles))

    R = ("pemkotdemo", "kotademo.go.id", "327301")
    sekda = employee(*R, "pk-setda", "pk-sekda", "IV/c", None)
    emps.append(sekda)
    kaban = employee(*R, "pk-bkpsdm", "pk-kaban", "IV/b", sekda["nip"])
    emps.append(kaban)
    emps.append(employee(*R, "pk-bkpsdm", "pk-analis", "III/b", kaban["nip"], roles=["admin_instansi"]))
    emps.append(employee(*R, "pk-bkpsdm", "pk-analis", "III/a", kaban["nip"]))
    emps.append(employee(*R, "pk-bkpsdm", "pk-pengadm", "II/b", kaban["nip"], pppk=False))
    kadis = employee(*R, "pk-disdik", "pk-kadis", "IV/b", sekda["nip"])
    emps.append(kadis)
    emps.append(employee(*R, "pk-disdik", "pk-analis", "III/b", kadis["nip"]))
    kepsek = employee(*R, "pk-sdn1", "pk-kepsek", "IV/a", kadis["nip"], roles=["kepala_sekolah"])
    emps.append(kepsek)
    for pos, gol in (("pk-guru-muda", "III/c"), ("pk-guru-muda", "III/d"), ("pk-guru-pertama", "III/a"),
                     ("pk-guru-pertama", "III/b"), ("pk-guru-pertama", "III/a"), ("pk-guru-muda", "III/c")):
        emps.append(employee(*R, "pk-sdn1", pos, gol, kepsek["nip"]))
    for _ in range(4):
        emps.append(employee(*R, "pk-sdn1", "pk-guru-pertama", "IX", kepsek["nip"], pppk=True))
    emps.append(employee(*R, "pk-sdn1", "pk-operator", "V", kepsek["nip"], pppk=True))
    national(agencies, units, positions, emps)
    return {"agencies": agencies, "units": units, "positions": positions, "employees": emps}


def national(agencies: list[dict], units: list[dict], positions: list[dict], emps: list[dict]) -> None:
    """BKN's national monitoring account (admin_nasional: sees every agency). Last, and from a random
    generator of its own, so every other record and login stays what it was before it was added."""
    own = random.Random("bkn-national-monitoring")
    agencies.append({"id": "bkn", "name": "Badan Kepegawaian Negara", "kind": "pusat"})
    units.append({"id": "bkn-wasdal", "agency_id": "bkn", "parent_id": None,
                  "name": "Kedeputian Bidang Pengawasan dan Pengendalian", "kind": "unit"})
    positions.append({"id": "bkn-analis", "agency_id": "bkn", "name": "Analis Kebijakan Ahli Madya",
                      "kind": "fungsional", "jenjang": "Ahli Madya", "kelas_jabatan": 11})
    birth = dt.date(1979, 4, 17)
    nip = f"{birth:%Y%m%d}200501{1}{next(seq):03d}"
    nik = f"317403{birth.day:02d}{birth:%m}{birth:%y}{own.randint(1, 9999):04d}"
    emps.append({"nip": nip, "nik": nik, "name": "Bambang Setiadi", "email": "bambang.setiadi@bkn.go.id",
                 "employment_type": "PNS", "status": "active", "golongan": "IV/b", "agency_id": "bkn",
                 "unit_id": "bkn-wasdal", "position_id": "bkn-analis", "supervisor_nip": None,
                 "roles": ["admin_nasional"]})


def accounts(data: dict) -> dict:
    """Demo logins: every employee gets a password; admins and heads also have TOTP enrolled."""
    supervisors = {e["supervisor_nip"] for e in data["employees"] if e["supervisor_nip"]}
    out = []
    for e in data["employees"]:
        roles = ["pegawai"] + (["atasan"] if e["nip"] in supervisors else []) + e["roles"]
        account = {"nip": e["nip"], "name": e["name"], "agency_id": e["agency_id"],
                   "password": f"Demo-{e['nip'][-4:]}-Kinerja!", "roles": roles}
        if "admin_instansi" in roles or e["supervisor_nip"] is None:
            account["totp_secret"] = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))
        out.append(account)
    return {"note": "Demo data only. Passwords and TOTP secrets here are public: never use them elsewhere.",
            "accounts": out}


if __name__ == "__main__":
    data = build()
    (HERE / "masterdata.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    (HERE / "accounts.json").write_text(json.dumps(accounts(data), indent=2) + "\n")
    print(f"{len(data['employees'])} employees written")
