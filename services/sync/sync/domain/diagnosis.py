"""Why can't I sign in, or fill in my SKP? The diagnosis rules, in plain Python.

Given a snapshot of facts about one employee (their master-data record or none, their supervisor,
whether the supervisor's SKP is in force, their account's state as identity reports it), each rule
gives one finding: a
stable `check`, its `status`, a `code` (the same code identity's sign-in refusals and skp's
planning refusals use for that problem, so a client can link a refusal to the finding), what is
wrong and why it matters, and who fixes it, in English and Indonesian.

Statuses: `ok`; `problem` (blocks sign-in, the SKP or daily progress: `blocks` says which, and the
service that enforces it refuses with the same code, by the same rule from
kernel/ekinerja_kernel/rules.py); `warning` (nothing is blocked yet, but the data should be
corrected); `skipped` (the check cannot run because an earlier one failed or it does not apply);
`unknown` (this service does not know: see the finding's text); `info`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ekinerja_kernel import rules as kernel_rules

from . import overrides as held_values
from .identifiers import InvalidIdentifier, nik_nip_mismatches, parse_nik, parse_nip
from .overrides import Override

OK, PROBLEM, WARNING, SKIPPED, UNKNOWN, INFO = "ok", "problem", "warning", "skipped", "unknown", "info"

# Who can fix what (docs/domain.md glossary; ../shared/seeds: MyASN "Sinkronisasi ASN", BKD/BKPSDM,
# the kepala sekolah who syncs first, the school's operator in Dapodik / Verval PTK).
EMPLOYEE, SUPERVISOR, KEPALA_SEKOLAH, ADMIN_INSTANSI, OPERATOR_SEKOLAH = (
    "employee", "supervisor", "kepala_sekolah", "admin_instansi", "operator_sekolah")
FIXERS: dict[str, tuple[str, str]] = {
    EMPLOYEE: ("the employee, in MyASN (Edit Profile, then 'Sinkronisasi ASN')",
               "pegawai yang bersangkutan, di MyASN (Edit Profil, lalu 'Sinkronisasi ASN')"),
    SUPERVISOR: ("the supervisor (atasan langsung)", "atasan langsung"),
    KEPALA_SEKOLAH: ("the kepala sekolah, who syncs their own data first",
                     "kepala sekolah, yang menyinkronkan datanya sendiri lebih dulu"),
    OPERATOR_SEKOLAH: ("the school's data operator (Dapodik / Verval PTK)",
                       "operator data sekolah (Dapodik / Verval PTK)"),
    ADMIN_INSTANSI: ("the agency admin (BKD/BKPSDM)", "admin instansi (BKD/BKPSDM)"),
}

# What a problem stands in the way of: signing in, the SKP (planning, submitting, approving,
# publishing), daily progress. The service that enforces each refuses with the same finding.
LOGIN, SKP, DAILY = "login", "skp", "harian"


@dataclass(frozen=True)
class Person:
    """An employee's master-data record, with the names and kinds the rules need."""

    nip: str
    name: str
    status: str
    agency_id: str
    nik: str | None = None
    unit_id: str | None = None
    unit_name: str | None = None
    unit_kind: str | None = None  # "unit" or "sekolah"
    unit_parent_id: str | None = None
    position_id: str | None = None
    position_name: str | None = None
    position_jenjang: str | None = None  # JPT Madya, Administrator, Ahli Muda, ...
    supervisor_nip: str | None = None
    roles: tuple[str, ...] = ()
    updated_at: dt.datetime | None = None
    synced_at: dt.datetime | None = None  # last fetched from the registry (SIASN/MyASN), if ever


@dataclass(frozen=True)
class StandIn:
    """Who approves in place of an inactive supervisor: an acting official (PLT/PLH) in their seat
    today, or, failing that, the next active supervisor up the chain (atasan pejabat penilai)."""

    nip: str
    name: str
    kind: str  # "PLT", "PLH" or "atasan"
    end_date: dt.date | None = None


@dataclass(frozen=True)
class Seat:
    """An acting assignment (PLT/PLH) of a seat: who, which kind, which dates."""

    nip: str
    name: str
    kind: str
    start_date: dt.date
    end_date: dt.date


def find_stand_in(supervisor: Person, on: dt.date, person: Callable[[str], Person | None],
                  acting_in: Callable[[str, str], Iterable[Seat]], owner_nip: str | None = None,
                  limit: int = 50) -> StandIn | None:
    """Who approves for an inactive `supervisor` on day `on`, as skp decides it: a PLT (before a
    PLH) in force in the seat of the supervisor (or, while that seat is empty of any, of the next
    inactive one up), else the first active supervisor above."""
    current: Person | None = supervisor
    for level in range(limit):
        if current is None:
            return None
        if current.unit_id and current.position_id:
            seats = sorted(acting_in(current.unit_id, current.position_id), key=lambda a: a.kind != "PLT")
            for a in seats:
                if a.start_date <= on <= a.end_date and a.nip != owner_nip:
                    return StandIn(a.nip, a.name, a.kind, a.end_date)
        if current.status == "active":
            return StandIn(current.nip, current.name, "atasan") if level and current.nip != owner_nip else None
        if current.supervisor_nip is None:
            return None
        current = person(current.supervisor_nip)
    return None


@dataclass(frozen=True)
class Refusal:
    """The registry's latest record of the NIP, refused by the import: when, and each field's error
    ({field, rule, detail, detail_id}) as the sync run reported it."""

    at: dt.datetime
    errors: tuple[dict[str, Any], ...]
    agency_id: str | None = None  # as the refused record gives it (someone never stored has no other)

    def said(self) -> tuple[str, str]:
        return ("; ".join(f"{e['field']}: {e['detail']}" for e in self.errors),
                "; ".join(f"{e['field']}: {e['detail_id']}" for e in self.errors))

    def extra(self) -> dict[str, Any]:
        return {"refused_at": self.at.astimezone(dt.UTC).isoformat(), "errors": [dict(e) for e in self.errors]}


@dataclass(frozen=True)
class SignIn:
    """The account as identity reports it at the time of the request (identity owns credentials;
    the gateway asks it and hands the answer on). Never kept nor announced by sync."""

    known: bool  # identity has the NIP (it follows master data within moments)
    activated: bool = False  # a password was set (activation)
    mfa_enabled: bool = False
    mfa_required: bool = False  # by the agency's policy or the account's roles
    password_locked_until: dt.datetime | None = None
    mfa_locked_until: dt.datetime | None = None


def sign_in_from(data: Any) -> SignIn | None:
    """identity's `sign_in_state` answer, or None when it is missing or not of that shape."""
    if not isinstance(data, dict) or not isinstance(data.get("known"), bool):
        return None
    try:
        until: dict[str, Any] = {k: dt.datetime.fromisoformat(data[k]) if data.get(k) else None
                 for k in ("password_locked_until", "mfa_locked_until")}
    except (TypeError, ValueError):
        return None
    flags: dict[str, Any] = {k: data.get(k) is True for k in ("activated", "mfa_enabled", "mfa_required")}
    return SignIn(data["known"], **flags, **until)


@dataclass(frozen=True)
class Facts:
    """Everything the rules look at, gathered by the caller of `diagnose` (no I/O here)."""

    nip: str
    year: int
    now: dt.datetime
    employee: Person | None
    supervisor: Person | None = None  # None when the employee has none (or it is not recorded)
    supervisor_skp_in_force: bool = False  # for `year`, by kernel rules.skp_in_force (as skp plans)
    stand_in: StandIn | None = None  # only looked up when the supervisor is not active
    mfa_used: bool | None = None  # this sign-in used an authenticator code; None = not known here
    sign_in: SignIn | None = None  # None: identity was not asked or did not answer
    refusal: Refusal | None = None  # the registry's latest record of the NIP was refused by the import
    overrides: tuple[Override, ...] = ()  # the admin's repairs holding against the registry
    unit_chain: tuple[str, ...] = ()  # the employee's unit and every unit above it, nearest first
    principal_synced: bool | None = None  # a teacher's principal synced from the registry; None: no PMM here


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    code: str
    detail: str
    detail_id: str
    why: str = ""
    why_id: str = ""
    fixers: tuple[str, ...] = ()
    blocks: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    fix: tuple[str, str] | None = None  # how the fixers fix it, when not FIXERS' general words

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"check": self.check, "status": self.status, "code": self.code,
                                "detail": self.detail, "detail_id": self.detail_id}
        if self.why:
            body["why"], body["why_id"] = self.why, self.why_id
        if self.fixers:
            body["fixed_by"], body["fixed_by_id"] = self.fix or (
                "; ".join(FIXERS[f][0] for f in self.fixers), "; ".join(FIXERS[f][1] for f in self.fixers))
            body["fixers"] = list(self.fixers)
        if self.blocks:
            body["blocks"] = list(self.blocks)
        body.update(self.extra)
        return body


def _school(person: Person | None) -> bool:
    return person is not None and person.unit_kind == "sekolah"


def _data_fixers(person: Person, first: tuple[str, ...] = (EMPLOYEE,)) -> tuple[str, ...]:
    """Master data comes from the registry: the employee syncs it; a school's data goes through its
    operator; the agency admin corrects what is still wrong."""
    return (*first, *((OPERATOR_SEKOLAH,) if _school(person) else ()), ADMIN_INSTANSI)


def _skipped(check: str, en: str, id_: str) -> Finding:
    return Finding(check, SKIPPED, f"{check}-skipped", en, id_)


# --- the rules, most fundamental first ------------------------------------------------------------

NO_RECORD = ("Without a master-data record nobody can activate the account, sign in or make an SKP.",
             "Tanpa data induk, akun tidak dapat diaktivasi, tidak dapat masuk, dan SKP tidak dapat dibuat.")


def check_nip(f: Facts) -> Finding:
    try:
        kind = parse_nip(f.nip, today=f.now.date()).kind
    except InvalidIdentifier as exc:
        return Finding("nip", PROBLEM, "nip-invalid", f"{f.nip} is not a valid NIP: {exc.detail}",
                       f"{f.nip} bukan NIP yang valid: {exc.detail_id}",
                       "Sign-in and every record in e-Kinerja are keyed by the 18-digit NIP.",
                       "Masuk dan semua data di e-Kinerja memakai NIP 18 digit sebagai kunci.",
                       (EMPLOYEE,), (LOGIN, SKP, DAILY))
    if f.employee is None and f.refusal is not None:
        en, id_ = f.refusal.said()
        at = _clock(f.refusal.at)
        return Finding("nip", PROBLEM, "nip-record-refused",
                       f"The civil-service registry (SIASN/MyASN) delivered NIP {f.nip} at {at}, but e-Kinerja "
                       f"refused the record: {en}.",
                       f"Data kepegawaian (SIASN/MyASN) mengirim NIP {f.nip} pada {at}, tetapi e-Kinerja menolak "
                       f"datanya: {id_}.",
                       *NO_RECORD,
                       (EMPLOYEE, ADMIN_INSTANSI), (LOGIN, SKP, DAILY), extra=f.refusal.extra())
    if f.employee is None:
        return Finding("nip", PROBLEM, "nip-not-found",
                       f"NIP {f.nip} is not in e-Kinerja's master data: the civil-service registry (SIASN) "
                       "has not delivered it yet.",
                       f"NIP {f.nip} belum ada di data induk e-Kinerja: data kepegawaian (SIASN) belum "
                       "mengirimkannya.",
                       *NO_RECORD,
                       (EMPLOYEE, ADMIN_INSTANSI), (LOGIN, SKP, DAILY))
    return Finding("nip", OK, "nip-known", f"NIP {f.nip} ({kind}) is in the master data.",
                   f"NIP {f.nip} ({kind}) ada di data induk.", extra={"employment_type": kind})


def check_nik(f: Facts) -> Finding:
    e = f.employee
    if e is None:
        return _skipped("nik", "No master-data record.", "Tidak ada data induk.")
    try:
        nik = parse_nik(e.nik or "", today=f.now.date())
    except InvalidIdentifier as exc:
        what = "missing" if not e.nik else f"not valid ({exc.detail})"
        what_id = "kosong" if not e.nik else f"tidak valid ({exc.detail_id})"
        return Finding("nik", PROBLEM, "nik-not-matched",
                       f"Not an Active Civil Servant: the NIK in the civil-service registry is {what}, so it "
                       "cannot match the population registry (Dukcapil).",
                       f"Bukan ASN Aktif: NIK di data kepegawaian {what_id}, sehingga tidak dapat cocok dengan "
                       "data kependudukan (Dukcapil).",
                       "Activation checks the NIK, and sign-in through ASN Digital needs it to match.",
                       "Aktivasi memeriksa NIK, dan masuk melalui ASN Digital mensyaratkan NIK yang cocok.",
                       _data_fixers(e), (LOGIN,))
    try:
        nip = parse_nip(e.nip, today=f.now.date())
    except InvalidIdentifier:
        nip = None
    flags = nik_nip_mismatches(nik, nip) if nip else []
    if flags:
        return Finding("nik", WARNING, "nik-nip-mismatch",
                       " ".join(x.detail for x in flags) + " One of the two numbers is recorded wrongly.",
                       " ".join(x.detail_id for x in flags) + " Salah satu dari kedua nomor tercatat keliru.",
                       "Nothing is blocked yet, but a NIK that disagrees with the NIP is a sign of a data error "
                       "that can fail the check against the population registry.",
                       "Belum ada yang terhambat, tetapi NIK yang tidak sesuai dengan NIP menandakan kesalahan "
                       "data yang dapat menggagalkan pemeriksaan ke data kependudukan.",
                       _data_fixers(e), extra={"rules": [x.rule for x in flags]})
    return Finding("nik", OK, "nik-matched", "The NIK is recorded and agrees with the NIP.",
                   "NIK tercatat dan sesuai dengan NIP.")


def _override_of(f: Facts, field: str) -> Override | None:
    return next((o for o in f.overrides if o.field == field), None)


def check_status(f: Facts) -> Finding:
    e = f.employee
    if e is None:
        return _skipped("status", "No master-data record.", "Tidak ada data induk.")
    if not kernel_rules.is_active(e.status):
        held = _override_of(f, held_values.STATUS)
        by_en, by_id = (f" ({x})" for x in held_values.set_by(held)) if held else ("", "")
        return Finding("status", PROBLEM, "account-inactive",
                       f"The employment status in the master data is '{e.status}', not active{by_en}.",
                       f"Status kepegawaian di data induk '{e.status}', bukan aktif{by_id}.",
                       "An inactive employee cannot sign in, the SKP menu stays closed and daily progress is "
                       "not accepted; nor can a sync they start themselves change their status.",
                       "Pegawai yang tidak aktif tidak dapat masuk, menu SKP tetap tertutup, dan progres harian "
                       "tidak diterima; sinkronisasi yang dimulai pegawai itu sendiri pun tidak dapat mengubah "
                       "statusnya.",
                       (ADMIN_INSTANSI,), (LOGIN, SKP, DAILY),
                       fix=("the agency admin (BKD/BKPSDM): corrects the status in SIASN and syncs the employee's "
                            "record, or reactivates them in e-Kinerja",
                            "admin instansi (BKD/BKPSDM): membetulkan status di SIASN lalu menyinkronkan data "
                            "pegawai, atau mengaktifkannya kembali di e-Kinerja"),
                       extra={"override": held_values.to_json(held)} if held else {})
    return Finding("status", OK, "status-active", "The employment status is active.",
                   "Status kepegawaian aktif.")


def check_unit_position(f: Facts) -> Finding:
    e = f.employee
    if e is None:
        return _skipped("unit-position", "No master-data record.", "Tidak ada data induk.")
    words = {"unit": ("unit (unor)", "unit organisasi (unor)"), "position": ("position (jabatan)", "jabatan")}
    missing = kernel_rules.missing_unit_position(e.unit_id, e.position_id)
    if missing:
        return Finding("unit-position", PROBLEM, "no-unit-position",
                       f"No {' and no '.join(words[m][0] for m in missing)} is recorded.",
                       f"{' dan '.join(words[m][1] for m in missing).capitalize()} belum tercatat.",
                       "The SKP is made for a position in a unit: until both are recorded no SKP can be made, "
                       "submitted, approved or published. Daily progress on an SKP approved before goes on.",
                       "SKP dibuat untuk jabatan pada suatu unit: sampai keduanya tercatat, SKP tidak dapat dibuat, "
                       "diajukan, disetujui, maupun diterbitkan. Progres harian pada SKP yang sudah disetujui "
                       "sebelumnya tetap berjalan.",
                       _data_fixers(e), (SKP,), extra={"missing": list(missing)},
                       fix=("the agency admin (BKD/BKPSDM) records the unit and position in SIASN (peremajaan "
                            "data); then the employee syncs in MyASN (Edit Profile, 'Sinkronisasi ASN')",
                            "admin instansi (BKD/BKPSDM) mencatat unit dan jabatan di SIASN (peremajaan data); "
                            "lalu pegawai menyinkronkan di MyASN (Edit Profil, 'Sinkronisasi ASN')"))
    return Finding("unit-position", OK, "unit-position-set",
                   f"Unit: {e.unit_name}; position: {e.position_name}.",
                   f"Unit: {e.unit_name}; jabatan: {e.position_name}.",
                   extra={"unit_id": e.unit_id, "position_id": e.position_id})


def registry_supervisor(f: Facts) -> str | None:
    """The supervisor SIASN names when e-Kinerja has none: in its latest record, refused because that
    supervisor is not in e-Kinerja yet, or against an admin's reset that still holds."""
    for error in f.refusal.errors if f.refusal else ():
        if error.get("field") == "supervisor_nip" and error.get("supervisor_nip"):
            return str(error["supervisor_nip"])
    held = _override_of(f, held_values.SUPERVISOR)
    return held.registry_value if held and held.disputed else None


def check_supervisor(f: Facts) -> Finding:
    e = f.employee
    if e is None:
        return _skipped("supervisor", "No master-data record.", "Tidak ada data induk.")
    if e.supervisor_nip is None:
        if not kernel_rules.lacks_supervisor(e.supervisor_nip, e.position_jenjang):
            return Finding("supervisor", OK, "top-official",
                           "No supervisor: as head of the organisation, the SKP is published, not approved.",
                           "Tanpa atasan: sebagai pimpinan organisasi, SKP diterbitkan sendiri, tidak disetujui.")
        fixers = (KEPALA_SEKOLAH, OPERATOR_SEKOLAH, ADMIN_INSTANSI) if _school(e) else (ADMIN_INSTANSI,)
        named = registry_supervisor(f)
        en = id_ = ""
        if named:
            en = (f" SIASN names NIP {named} as the supervisor: the agency admin pulls NIP {named} from the registry "
                  "(or that supervisor syncs their own data), then this record is synced again.")
            id_ = (f" SIASN mencatat NIP {named} sebagai atasan: admin instansi menarik NIP {named} dari registri "
                   "(atau atasan tersebut menyinkronkan datanya sendiri), lalu data ini disinkronkan lagi.")
        return Finding("supervisor", PROBLEM, "no-supervisor",
                       "No supervisor (pejabat penilai) is recorded, and only the head of an organisation (a JPT "
                       "with nobody above) publishes the SKP without one." + en,
                       "Atasan langsung (pejabat penilai) belum tercatat, dan hanya pimpinan organisasi (JPT tanpa "
                       "atasan) yang menerbitkan SKP tanpa atasan." + id_,
                       "Nobody can approve the SKP or the daily progress, and the RHK have nothing to cascade from.",
                       "Tidak ada yang dapat menyetujui SKP maupun progres harian, dan RHK tidak memiliki "
                       "RHK atasan untuk diintervensi.",
                       fixers, (SKP,), extra={"registry_supervisor_nip": named} if named else {})
    s = f.supervisor
    name = s.name if s else e.supervisor_nip
    return Finding("supervisor", OK, "supervisor-set", f"Supervisor: {name} (NIP {e.supervisor_nip}).",
                   f"Atasan: {name} (NIP {e.supervisor_nip}).", extra={"supervisor_nip": e.supervisor_nip})


def check_supervisor_active(f: Facts) -> Finding:
    e, s = f.employee, f.supervisor
    if e is None or e.supervisor_nip is None or s is None:
        return _skipped("supervisor-active", "No supervisor to check.", "Tidak ada atasan untuk diperiksa.")
    if s.status == "active":
        return Finding("supervisor-active", OK, "supervisor-active", f"The supervisor {s.name} is active.",
                       f"Atasan {s.name} aktif.")
    fixers = (OPERATOR_SEKOLAH, ADMIN_INSTANSI) if _school(e) else (ADMIN_INSTANSI,)
    base_en = f"The supervisor {s.name} (NIP {s.nip}) is no longer active."
    base_id = f"Atasan {s.name} (NIP {s.nip}) sudah tidak aktif."
    stand = f.stand_in
    if stand is not None:
        if stand.kind in ("PLT", "PLH"):
            until = f" until {stand.end_date.isoformat()}" if stand.end_date else ""
            until_id = f" sampai {stand.end_date.isoformat()}" if stand.end_date else ""
            en = f"{base_en} {stand.name} acts in their position as {stand.kind}{until} and approves meanwhile."
            id_ = f"{base_id} {stand.name} menjabat sebagai {stand.kind}{until_id} dan menyetujui sementara."
        else:
            en = f"{base_en} Meanwhile the next supervisor up, {stand.name}, approves (atasan pejabat penilai)."
            id_ = f"{base_id} Sementara itu atasan berikutnya, {stand.name}, yang menyetujui (atasan pejabat penilai)."
        return Finding("supervisor-active", WARNING, "supervisor-inactive", en, id_,
                       "Nothing is blocked today, but the supervisor should be replaced in the master data.",
                       "Hari ini belum ada yang terhambat, tetapi atasan perlu diganti di data induk.",
                       fixers, extra={"stand_in": {"nip": stand.nip, "name": stand.name, "kind": stand.kind}})
    return Finding("supervisor-active", PROBLEM, "penilai-missing",
                   f"{base_en} Nobody acts in their position (PLT/PLH) and nobody active is above them.",
                   f"{base_id} Tidak ada PLT/PLH pada jabatannya dan tidak ada atasan aktif di atasnya.",
                   "Nobody can approve the SKP or the daily progress.",
                   "Tidak ada yang dapat menyetujui SKP maupun progres harian.",
                   fixers, (SKP,))


def check_supervisor_branch(f: Facts) -> Finding:
    """The supervisor sits in the employee's unit or one above it, in the same agency (a supervisor
    claimed by mistake, in another branch of the tree, is the "salah klaim pimpinan" of the seeds)."""
    e, s = f.employee, f.supervisor
    if e is None or s is None or not e.unit_id:
        return _skipped("supervisor-branch", "No supervisor or no unit to compare.",
                        "Tidak ada atasan atau unit untuk dibandingkan.")
    other_agency = s.agency_id != e.agency_id
    if not other_agency and (not s.unit_id or s.unit_id in f.unit_chain):
        return Finding("supervisor-branch", OK, "supervisor-in-branch",
                       f"The supervisor {s.name} works in the employee's unit or one above it.",
                       f"Atasan {s.name} bekerja di unit pegawai atau unit di atasnya.")
    where_en = f"in another agency ({s.agency_id})" if other_agency else \
        f"in {s.unit_name or s.unit_id}, which is not the unit {e.unit_name or e.unit_id} nor one above it"
    where_id = f"di instansi lain ({s.agency_id})" if other_agency else \
        f"di {s.unit_name or s.unit_id}, yang bukan unit {e.unit_name or e.unit_id} maupun unit di atasnya"
    held = _override_of(f, held_values.SUPERVISOR)
    set_en, set_id = (f" The link was set by an admin ({x})." for x in held_values.set_by(held)) if held else ("", "")
    return Finding("supervisor-branch", WARNING, "supervisor-outside-branch",
                   f"The supervisor {s.name} (NIP {s.nip}) works {where_en}.{set_en}",
                   f"Atasan {s.name} (NIP {s.nip}) bekerja {where_id}.{set_id}",
                   "Nothing is blocked: the supervisor approves as recorded. If the link is a mistake (a wrong "
                   "claim), the agency admin resets it (Reset Struktur) or sets the right supervisor.",
                   "Tidak ada yang terhambat: atasan menyetujui sesuai data. Jika keliru (salah klaim pimpinan), "
                   "admin instansi mengatur ulang (Reset Struktur) atau menetapkan atasan yang benar.",
                   (ADMIN_INSTANSI,), extra={"supervisor_nip": s.nip, "supervisor_unit_id": s.unit_id,
                                             "supervisor_agency_id": s.agency_id})


def check_supervisor_skp(f: Facts) -> Finding:
    e, s = f.employee, f.supervisor
    if e is None or e.supervisor_nip is None or s is None:
        return _skipped("supervisor-skp", "No supervisor whose SKP could be checked.",
                        "Tidak ada atasan yang SKP-nya dapat diperiksa.")
    if f.supervisor_skp_in_force:
        return Finding("supervisor-skp", OK, "supervisor-skp-in-force",
                       f"The supervisor {s.name} has an approved or published SKP for {f.year}.",
                       f"Atasan {s.name} sudah memiliki SKP tahun {f.year} yang disetujui atau diterbitkan.")
    fixers = (KEPALA_SEKOLAH,) if _school(s) else (SUPERVISOR,)
    return Finding("supervisor-skp", PROBLEM, "supervisor-skp-missing",
                   f"The supervisor {s.name} (NIP {s.nip}) has no approved or published SKP for {f.year} yet.",
                   f"Atasan {s.name} (NIP {s.nip}) belum memiliki SKP tahun {f.year} yang disetujui atau "
                   "diterbitkan.",
                   "Each RHK must intervene (cascade from) one of the supervisor's RHK: the supervisor makes "
                   "and gets approval for their SKP first.",
                   "Setiap RHK harus mengintervensi RHK atasan: atasan membuat dan menyelesaikan persetujuan "
                   "SKP-nya lebih dulu.",
                   fixers, (SKP,), extra={"supervisor_nip": s.nip, "year": f.year})


def check_pmm(f: Facts) -> Finding:
    """A teacher's PMM RHK come into e-Kinerja only after their kepala sekolah synced their own data
    from the registry: said here before the teacher presses "Sinkron PMM" (pmm.check_principal
    refuses with the same code)."""
    e, s = f.employee, f.supervisor
    if e is None or not _school(e):
        return _skipped("pmm", "Not in a school: PMM (Platform Merdeka Mengajar) is for teachers.",
                        "Bukan di sekolah: PMM (Platform Merdeka Mengajar) untuk guru.")
    if "kepala_sekolah" in e.roles or s is None or f.principal_synced is None:
        return _skipped("pmm", "No PMM import to check for (a kepala sekolah, no supervisor, or no PMM connection).",
                        "Tidak ada impor PMM untuk diperiksa (kepala sekolah, tanpa atasan, atau tanpa koneksi PMM).")
    if f.principal_synced:
        return Finding("pmm", OK, "principal-synced",
                       f"The kepala sekolah {s.name} has synced their data: PMM RHK can be imported.",
                       f"Kepala sekolah {s.name} sudah menyinkronkan datanya: RHK PMM dapat diimpor.")
    return Finding("pmm", WARNING, "principal-not-synced",
                   f"The kepala sekolah {s.name} (NIP {s.nip}) has not synced their own data from SIASN yet "
                   "(Sinkronisasi ASN).",
                   f"Kepala sekolah {s.name} (NIP {s.nip}) belum menyinkronkan datanya sendiri dari SIASN "
                   "(Sinkronisasi ASN).",
                   "Importing the RHK agreed in PMM (Sinkron PMM) is refused until then; an SKP made in e-Kinerja "
                   "itself is not held back.",
                   "Impor RHK yang disepakati di PMM (Sinkron PMM) ditolak sampai saat itu; SKP yang dibuat "
                   "langsung di e-Kinerja tidak terhambat.",
                   (KEPALA_SEKOLAH,), extra={"principal_nip": s.nip},
                   fix=("the kepala sekolah: checks their unit, position and rank, then Sinkronisasi ASN; then the "
                        "teacher imports again",
                        "kepala sekolah: memeriksa unit kerja, jabatan, dan golongannya, lalu Sinkronisasi ASN; "
                        "setelah itu guru mengimpor ulang"))


def check_override(f: Facts) -> Finding:
    """An admin's repairs that hold against the registry: where SIASN still disagrees, say so, so it
    is corrected at the source (every sync keeps e-Kinerja's value until then)."""
    if f.employee is None or not f.overrides:
        return Finding("override", OK, "no-override", "No admin repair holds against the registry (SIASN).",
                       "Tidak ada perbaikan admin yang dipertahankan terhadap registri (SIASN).")
    said = [held_values.describe(o) for o in f.overrides]
    extra = {"overrides": [held_values.to_json(o) for o in f.overrides]}
    if not any(o.disputed for o in f.overrides):
        return Finding("override", INFO, "override-held", " ".join(x[0] for x in said),
                       " ".join(x[1] for x in said), extra=extra)
    return Finding("override", WARNING, "registry-differs",
                   " ".join(x[0] for x in said) + " Correct it in SIASN.",
                   " ".join(x[1] for x in said) + " Perbaiki di SIASN.",
                   "Nothing is blocked: e-Kinerja keeps the admin's value at every sync until SIASN says the "
                   "same, then the repair ends by itself.",
                   "Tidak ada yang terhambat: e-Kinerja mempertahankan nilai dari admin pada setiap sinkronisasi "
                   "sampai SIASN mencatat hal yang sama, lalu perbaikan itu berakhir dengan sendirinya.",
                   (ADMIN_INSTANSI,), extra=extra,
                   fix=("the agency admin (BKD/BKPSDM), in SIASN (peremajaan data)",
                        "admin instansi (BKD/BKPSDM), di SIASN (peremajaan data)"))


def _clock(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_account(f: Facts) -> Finding:
    a = f.sign_in
    if f.employee is None:
        return _skipped("account", "No master-data record, so no account.",
                        "Tidak ada data induk, jadi belum ada akun.")
    if a is None:
        return Finding("account", UNKNOWN, "account-unknown",
                       "The sign-in service did not answer, so the account's state (activation, lockout) is not "
                       "shown. Ask again in a moment.",
                       "Layanan masuk tidak menjawab, jadi status akun (aktivasi, penguncian) tidak ditampilkan. "
                       "Coba lagi sebentar lagi.")
    if not a.known:
        return Finding("account", PROBLEM, "account-pending",
                       "The sign-in service has not received this NIP from the master data yet; it normally "
                       "follows within a minute of a change.",
                       "Layanan masuk belum menerima NIP ini dari data induk; biasanya menyusul dalam satu menit "
                       "setelah perubahan.",
                       "Until then activation and sign-in answer as for an unknown NIP.",
                       "Sampai saat itu aktivasi dan masuk menjawab seperti untuk NIP yang tidak dikenal.",
                       (ADMIN_INSTANSI,), (LOGIN,),
                       fix=("the agency admin (BKD/BKPSDM), if it lasts: the master data must be sent again "
                            "(ekinerja-sync announce)",
                            "admin instansi (BKD/BKPSDM), jika berlanjut: data induk perlu dikirim ulang "
                            "(ekinerja-sync announce)"))
    if not a.activated:
        return Finding("account", PROBLEM, "account-not-activated",
                       "The account has not been activated: no password has been set yet.",
                       "Akun belum diaktivasi: kata sandi belum pernah dibuat.",
                       "Signing in needs the password chosen at activation.",
                       "Masuk memerlukan kata sandi yang dibuat saat aktivasi.",
                       (EMPLOYEE, ADMIN_INSTANSI), (LOGIN,),
                       fix=("the employee: Aktivasi Akun with NIP, NIK and the email in the master data, then "
                            "the link in that email; the agency admin (BKD/BKPSDM) corrects a wrong email",
                            "pegawai yang bersangkutan: Aktivasi Akun dengan NIP, NIK, dan email di data induk, "
                            "lalu tautan di email tersebut; admin instansi (BKD/BKPSDM) membetulkan email yang "
                            "salah"))
    if a.password_locked_until and a.password_locked_until > f.now:
        at = _clock(a.password_locked_until)
        return Finding("account", PROBLEM, "login-locked",
                       f"Sign-in is paused until {at} after repeated wrong passwords.",
                       f"Masuk ditangguhkan sampai {at} setelah kata sandi salah berulang kali.",
                       "This protects the account from password guessing.",
                       "Ini melindungi akun dari penebakan kata sandi.",
                       (EMPLOYEE,), (LOGIN,), extra={"until": a.password_locked_until.isoformat()},
                       fix=("the employee: wait until then, or reset the password (Lupa Kata Sandi) through the "
                            "email in the master data, which also lifts the pause",
                            "pegawai yang bersangkutan: tunggu sampai saat itu, atau atur ulang kata sandi (Lupa "
                            "Kata Sandi) melalui email di data induk, yang juga mencabut penangguhan"))
    return Finding("account", OK, "account-active", "The account is activated: sign-in with NIP and password works.",
                   "Akun sudah diaktivasi: masuk dengan NIP dan kata sandi dapat dilakukan.")


LOST_AUTHENTICATOR = ("A lost authenticator: sign in with one of the recovery codes, or the agency admin resets MFA.",
                      "Autentikator hilang: masuk dengan salah satu kode pemulihan, atau admin instansi mengatur "
                      "ulang MFA.")


def check_mfa(f: Facts) -> Finding:
    a = f.sign_in
    if a is None or not a.known:
        if f.mfa_used:
            return Finding("mfa", OK, "mfa-used", "This sign-in used an authenticator code (MFA).",
                           "Proses masuk ini memakai kode autentikator (MFA).")
        return Finding("mfa", UNKNOWN, "mfa-unknown",
                       "The sign-in service did not report the MFA state (see the account check).",
                       "Layanan masuk tidak melaporkan status MFA (lihat pemeriksaan akun).")
    if a.mfa_locked_until and a.mfa_locked_until > f.now:
        at = _clock(a.mfa_locked_until)
        return Finding("mfa", PROBLEM, "mfa-locked",
                       f"Authenticator codes are refused until {at} after repeated wrong codes.",
                       f"Kode autentikator ditolak sampai {at} setelah kode salah berulang kali.",
                       "This protects the account from code guessing. Wrong codes often come from a phone "
                       "whose clock is not set automatically.",
                       "Ini melindungi akun dari penebakan kode. Kode salah sering berasal dari ponsel yang jamnya "
                       "tidak diatur otomatis.",
                       (EMPLOYEE, ADMIN_INSTANSI), (LOGIN,), extra={"until": a.mfa_locked_until.isoformat()},
                       fix=("the employee: wait, set the phone's clock to automatic, or use a recovery code; the "
                            "agency admin (BKD/BKPSDM) resets MFA when the authenticator is lost",
                            "pegawai yang bersangkutan: tunggu, atur jam ponsel ke otomatis, atau pakai kode "
                            "pemulihan; admin instansi (BKD/BKPSDM) mengatur ulang MFA bila autentikator hilang"))
    if a.mfa_enabled:
        used = " This sign-in used it." if f.mfa_used else ""
        used_id = " Proses masuk ini memakainya." if f.mfa_used else ""
        return Finding("mfa", OK, "mfa-enabled",
                       f"MFA is on: sign-in asks for an authenticator code.{used} {LOST_AUTHENTICATOR[0]}",
                       f"MFA aktif: masuk meminta kode autentikator.{used_id} {LOST_AUTHENTICATOR[1]}")
    if a.mfa_required:
        return Finding("mfa", WARNING, "mfa-enrollment-required",
                       "The agency (or the account's role) requires MFA and no authenticator is set up: the next "
                       "sign-in asks to set one up.",
                       "Instansi (atau peran akun) mewajibkan MFA dan belum ada autentikator: proses masuk "
                       "berikutnya meminta untuk memasangnya.",
                       "Sign-in stops at that step until a code from the authenticator app is confirmed.",
                       "Proses masuk berhenti di langkah itu sampai kode dari aplikasi autentikator dikonfirmasi.",
                       (EMPLOYEE,),
                       fix=("the employee: an authenticator app (e.g. Google Authenticator) on their phone, at the "
                            "next sign-in",
                            "pegawai yang bersangkutan: aplikasi autentikator (mis. Google Authenticator) di "
                            "ponselnya, saat masuk berikutnya"))
    return Finding("mfa", INFO, "mfa-off",
                   "MFA is off: sign-in asks only for the password. Turning it on in the account settings "
                   "protects the account.",
                   "MFA tidak aktif: masuk hanya meminta kata sandi. Mengaktifkannya di pengaturan akun "
                   "melindungi akun.")


def check_last_sync(f: Facts) -> Finding:
    e = f.employee
    if e is None or e.updated_at is None:
        return _skipped("last-sync", "No master-data record.", "Tidak ada data induk.")
    at = e.updated_at if e.updated_at.tzinfo else e.updated_at.replace(tzinfo=dt.UTC)
    stamp = at.astimezone(dt.UTC).isoformat()
    if f.refusal is not None:
        en, id_ = f.refusal.said()
        when = _clock(f.refusal.at)
        return Finding("last-sync", WARNING, "registry-record-refused",
                       f"The latest record from the civil-service registry (SIASN/MyASN), at {when}, was refused: "
                       f"{en}. e-Kinerja keeps the record it has (last changed at {stamp}).",
                       f"Data terbaru dari data kepegawaian (SIASN/MyASN), pada {when}, ditolak: {id_}. e-Kinerja "
                       f"tetap memakai data yang ada (terakhir berubah pada {stamp}).",
                       "Changes made in SIASN/MyASN do not reach e-Kinerja until the record is accepted.",
                       "Perubahan di SIASN/MyASN tidak sampai ke e-Kinerja sampai datanya diterima.",
                       _data_fixers(e), extra={"at": stamp, **f.refusal.extra()})
    if e.synced_at is not None:
        synced = (e.synced_at if e.synced_at.tzinfo else e.synced_at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        return Finding("last-sync", INFO, "last-sync",
                       f"Last synced from the registry (SIASN/MyASN) at {synced.isoformat()}; the record last "
                       f"changed at {stamp}. If the registry shows newer data, sync again (Sinkronisasi ASN).",
                       f"Terakhir disinkronkan dari SIASN/MyASN pada {synced.isoformat()}; data induk terakhir "
                       f"berubah pada {stamp}. Jika SIASN/MyASN lebih baru, lakukan Sinkronisasi ASN.",
                       extra={"at": stamp, "synced_at": synced.isoformat()})
    return Finding("last-sync", INFO, "last-sync",
                   f"The master-data record last changed at {stamp}. If the registry (SIASN/MyASN) shows newer "
                   "data, sync again.",
                   f"Data induk terakhir berubah pada {stamp}. Jika data kepegawaian (SIASN/MyASN) lebih baru, "
                   "lakukan sinkronisasi ulang.", extra={"at": stamp})


RULES = (check_nip, check_nik, check_status, check_account, check_unit_position, check_supervisor,
         check_supervisor_branch, check_supervisor_active, check_supervisor_skp, check_pmm, check_override,
         check_mfa, check_last_sync)


def diagnose(facts: Facts) -> list[Finding]:
    return [rule(facts) for rule in RULES]


def report(facts: Facts) -> dict[str, Any]:
    findings = diagnose(facts)
    problems = [x for x in findings if x.status == PROBLEM]
    return {
        "nip": facts.nip,
        "name": facts.employee.name if facts.employee else None,
        "year": facts.year,
        "checked_at": facts.now.astimezone(dt.UTC).isoformat(),
        "blocked": sorted({b for x in problems for b in x.blocks}),
        "problems": len(problems),
        "warnings": sum(1 for x in findings if x.status == WARNING),
        "findings": [x.to_dict() for x in findings],
    }


def announced(facts: Facts) -> dict[str, Any] | None:
    """The data of `employee.diagnosed`: the problems and warnings, exactly as the diagnosis shows
    them, for identity's sign-in refusals and skp's planning refusals. None without a record, but
    for someone the registry delivered and the import refused (with the agency their record gives)."""
    agency_id = facts.employee.agency_id if facts.employee else facts.refusal.agency_id if facts.refusal else None
    if agency_id is None:
        return None
    # Master data only: how someone signs in (lockouts, MFA) stays between them, their admin and identity.
    facts = replace(facts, sign_in=None, mfa_used=None)
    findings = [x for x in diagnose(facts) if x.status in (PROBLEM, WARNING)]
    return {
        "nip": facts.nip,
        "agency_id": agency_id,
        "year": facts.year,
        "checked_at": facts.now.astimezone(dt.UTC).isoformat(),
        "blocked": sorted({b for x in findings if x.status == PROBLEM for b in x.blocks}),
        "findings": [x.to_dict() for x in findings],
    }


def digest(data: dict[str, Any]) -> str:
    """What makes two announcements the same: everything but the time of the check."""
    same = {k: v for k, v in data.items() if k != "checked_at"}
    return hashlib.sha256(json.dumps(same, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
