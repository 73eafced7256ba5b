"""Planning use cases on a real (SQLite) database, without a broker: an RHK keeps its id across edits
and revisions, a removal that others depend on is refused naming them or moves their links, a
subordinate intervenes only an RHK in force and can list those, the ekspektasi khusus are the
penilai's, and the year must be one the agency has open. Every refusal leaves the database as it was."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from skp import evaluations, handlers, matriks
from skp.tables import OUTBOX, employees, history, outbox_table, proposals, rhk_moves, rhks, skps

YEAR = 2027
AGENCY = "kota"
#: nip -> (supervisor, jenjang)
STAFF = {"kadis": (None, "JPT Pratama"), "kabid": ("kadis", "Administrator"), "sari": ("kabid", "Ahli Pertama"),
         "tono": ("kabid", "Ahli Pertama"), "lain": ("kadis", "Administrator")}


def iki(target: str = "12") -> list[dict]:
    return [{"aspek": "kuantitas", "indikator": "Jumlah laporan", "target": target, "satuan": "laporan"},
            {"aspek": "kualitas", "indikator": "Diterima", "target": "100", "satuan": "%"},
            {"aspek": "waktu", "indikator": "Tepat waktu", "target": "12", "satuan": "bulan"}]


def rhk(text: str, intervenes: str | None = None, **extra) -> dict:
    return {"kind": "utama", "text": text, "intervenes": intervenes, "iki": iki(), **extra}


def ctx(nip: str, roles: tuple[str, ...] = ("pegawai",), agency: str = AGENCY) -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=roles, agency_id=agency))


@pytest.fixture
def factory(skp_db, add_employee):
    for nip, (boss, jenjang) in STAFF.items():
        add_employee(nip, boss, jenjang, name=nip.title(), position_name=nip, agency=AGENCY)
    return skp_db


def approve(factory, nip: str, skp_id: str) -> dict:
    boss = STAFF[nip][0]
    if boss is None:
        return handlers.act(factory, OUTBOX, ctx(nip), skp_id, "publish")
    handlers.act(factory, OUTBOX, ctx(nip), skp_id, "submit")
    return handlers.act(factory, OUTBOX, ctx(boss), skp_id, "approve")


@pytest.fixture
def chain(factory):
    """kadis (published) → kabid (approved, two RHK) → sari (approved, intervening kabid's first)."""
    kadis = approve(factory, "kadis", handlers.create_skp(factory, ctx("kadis"), YEAR, "kuantitatif", [
        rhk("Meningkatnya layanan dinas")])["id"])
    kabid = approve(factory, "kabid", handlers.create_skp(factory, ctx("kabid"), YEAR, "kuantitatif", [
        rhk("Tersusunnya laporan bidang", kadis["rhk"][0]["id"]),
        rhk("Terkelolanya data bidang", kadis["rhk"][0]["id"])])["id"])
    sari = approve(factory, "sari", handlers.create_skp(factory, ctx("sari"), YEAR, "kuantitatif", [
        rhk("Menyusun laporan bulanan", kabid["rhk"][0]["id"])])["id"])
    return {"kadis": kadis, "kabid": kabid, "sari": sari}


def snapshot(factory) -> list:
    with factory() as s:
        return [s.execute(select(t).order_by(*t.primary_key.columns)).all()
                for t in (skps, rhks, rhk_moves, proposals, history, outbox_table)]


def refused(factory, call, *args) -> DomainError:
    before = snapshot(factory)
    with pytest.raises(DomainError) as info:
        call(*args)
    assert snapshot(factory) == before, "a refusal changed the database"
    return info.value


def sent(plan: dict, **changes) -> list[dict]:
    """The plan's RHK as a client sends them back: with their ids."""
    return [{"id": r["id"], "kind": r["kind"], "text": r["text"], "intervenes": r["intervenes"], "iki": r["iki"],
             **changes.get(r["id"], {})} for r in plan["rhk"]]


def approved_events(factory) -> list[dict]:
    with factory() as s:
        bodies = [json.loads(b) for b in s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq)).scalars()]
    return [b["data"] for b in bodies if b["type"] == "ekinerja.skp.approved.v1"]


# --- identity --------------------------------------------------------------------------------------

def test_an_rhk_keeps_its_id_across_edits_and_a_new_one_gets_its_own(factory, chain):
    parent = chain["kabid"]["rhk"][0]["id"]
    draft = handlers.create_skp(factory, ctx("tono"), YEAR, "kuantitatif", [rhk("Mengolah data", parent)])
    same = handlers.update_skp(factory, ctx("tono"), draft["id"], "kuantitatif", sent(draft))
    assert [r["id"] for r in same["rhk"]] == [r["id"] for r in draft["rhk"]]  # the identical body

    kept = draft["rhk"][0]["id"]
    edited = handlers.update_skp(factory, ctx("tono"), draft["id"], "kuantitatif",
                                 sent(draft, **{kept: {"text": "Mengolah data bidang", "iki": iki("24")}})
                                 + [rhk("Menyusun basis data", parent)])
    assert edited["rhk"][0]["id"] == kept and edited["rhk"][0]["text"] == "Mengolah data bidang"
    assert edited["rhk"][0]["iki"][0]["target"] == "24"
    assert edited["rhk"][1]["id"] not in {kept, parent}

    foreign = refused(factory, handlers.update_skp, factory, ctx("tono"), draft["id"], "kuantitatif",
                      [rhk("Mengolah data", parent, id=chain["sari"]["rhk"][0]["id"])])
    assert [(e.field, e.rule) for e in foreign.errors] == [("rhk[0].id", "own-rhk")]


def test_a_revision_carries_the_ids_over(factory, chain):
    sari = chain["sari"]
    revision = handlers.act(factory, OUTBOX, ctx("sari"), sari["id"], "revise")
    assert revision["version"] == 2 and [r["id"] for r in revision["rhk"]] == [r["id"] for r in sari["rhk"]]
    edited = handlers.update_skp(factory, ctx("sari"), sari["id"], "kuantitatif",
                                 sent(revision, **{sari["rhk"][0]["id"]: {"text": "Menyusun laporan triwulan"}}))
    approved = approve(factory, "sari", edited["id"])
    assert approved["rhk"][0]["id"] == sari["rhk"][0]["id"] and approved["approved_version"] == 2
    assert approved_events(factory)[-1]["rhk"][0]["id"] == sari["rhk"][0]["id"]  # daily entries stay linked


# --- removals ----------------------------------------------------------------------------------

def test_removing_an_rhk_in_force_is_refused_naming_who_depends_on_it(factory, chain):
    kabid = chain["kabid"]
    first, second = kabid["rhk"][0]["id"], kabid["rhk"][1]["id"]
    matriks.lay_out(factory, ctx("kabid"), kabid["id"], first, [{"nip": "tono", "text": "Mengolah data laporan"}])
    revision = handlers.act(factory, OUTBOX, ctx("kabid"), kabid["id"], "revise")
    without_first = [r for r in sent(revision) if r["id"] != first]

    error = refused(factory, handlers.update_skp, factory, ctx("kabid"), kabid["id"], "kuantitatif", without_first)

    assert (error.status, error.code) == (409, "rhk-has-dependents")
    [dependents] = error.extra["dependents"]
    assert dependents["rhk_id"] == first and dependents["text"] == "Tersusunnya laporan bidang"
    assert dependents["intervened_by"] == [{"nip": "sari", "name": "Sari", "rhk_id": chain["sari"]["rhk"][0]["id"],
                                            "text": "Menyusun laporan bulanan"}]
    assert dependents["matriks"] == [{"nip": "tono", "name": "Tono", "text": "Mengolah data laporan"}]
    assert dependents["daily_entries"] is True  # an RHK in force: daily progress offers it
    # An RHK in force that nobody else uses still carries the owner's daily entries.
    alone = refused(factory, handlers.update_skp, factory, ctx("kabid"), kabid["id"], "kuantitatif",
                    [r for r in sent(revision) if r["id"] != second])
    assert alone.extra["dependents"][0]["daily_entries"] is True and alone.extra["dependents"][0]["intervened_by"] == []


def test_a_replacement_takes_over_the_links_when_the_revision_comes_into_force(factory, chain):
    kabid = chain["kabid"]
    first = kabid["rhk"][0]["id"]
    matriks.lay_out(factory, ctx("kabid"), kabid["id"], first, [{"nip": "tono", "text": "Mengolah data laporan"}])
    revision = handlers.act(factory, OUTBOX, ctx("kabid"), kabid["id"], "revise")
    replacement = rhk("Tersusunnya laporan kinerja bidang", chain["kadis"]["rhk"][0]["id"], replaces=[first])
    edited = handlers.update_skp(factory, ctx("kabid"), kabid["id"], "kuantitatif",
                                 [r for r in sent(revision) if r["id"] != first] + [replacement])
    new_id = edited["rhk"][1]["id"]
    assert edited["moves"] == [{"from": first, "to": new_id}]
    # Until the revision is approved, the RHK in force keeps its links.
    assert handlers.get_skp(factory, ctx("sari"), chain["sari"]["id"])["rhk"][0]["intervenes"] == first
    again = handlers.update_skp(factory, ctx("kabid"), kabid["id"], "kuantitatif", sent(edited))
    assert again["moves"] == [{"from": first, "to": new_id}]  # kept by a later edit of the same draft

    approve(factory, "kabid", kabid["id"])

    sari = handlers.get_skp(factory, ctx("sari"), chain["sari"]["id"])
    assert sari["rhk"][0]["intervenes"] == new_id
    assert sari["rhk"][0]["intervenes_text"] == "Tersusunnya laporan kinerja bidang"
    last = sari["history"][-1]
    assert last["action"] == "relink" and "Tersusunnya laporan kinerja bidang" in last["note"]
    [cell] = matriks.my_proposals(factory, ctx("tono"), YEAR)["proposals"]
    assert cell["parent_rhk_id"] == new_id
    assert approved_events(factory)[-1]["moved"] == [{"from": first, "to": new_id}]
    cascade = handlers.cascade(factory, ctx("kabid"), kabid["id"])["rhk"]
    assert [c["nip"] for c in next(r for r in cascade if r["rhk_id"] == new_id)["intervened_by"]] == ["sari"]


def test_replaces_must_name_a_removed_rhk(factory, chain):
    kabid = chain["kabid"]
    revision = handlers.act(factory, OUTBOX, ctx("kabid"), kabid["id"], "revise")
    error = refused(factory, handlers.update_skp, factory, ctx("kabid"), kabid["id"], "kuantitatif",
                    sent(revision) + [rhk("Baru", chain["kadis"]["rhk"][0]["id"], replaces=[kabid["rhk"][0]["id"]])])
    assert [(e.field, e.rule) for e in error.errors] == [("rhk[2].replaces[0]", "removed-rhk")]


# --- intervening only what is in force -------------------------------------------------------------

def test_a_subordinate_intervenes_only_an_rhk_in_force_and_the_refusal_says_so(factory, chain):
    draft = handlers.create_skp(factory, ctx("lain"), YEAR, "kuantitatif", [
        rhk("Terkelolanya arsip", chain["kadis"]["rhk"][0]["id"])])
    with factory.begin() as s:
        s.execute(insert(employees).values(nip="staf", name="Staf", status="active", agency_id=AGENCY, unit_id="u1",
                                           supervisor_nip="lain", position_id="p-staf", position_name="staf",
                                           position_kind="pelaksana", jenjang=None, updated_at=utcnow()))

    error = refused(factory, handlers.create_skp, factory, ctx("staf"), YEAR, "kuantitatif",
                    [rhk("Mengarsip surat", draft["rhk"][0]["id"])])

    assert (error.status, error.code) == (409, "supervisor-skp-missing")
    assert error.extra["supervisor_skp_state"] == "draft" and "approved or published" in error.detail
    approve(factory, "lain", draft["id"])
    made = handlers.create_skp(factory, ctx("staf"), YEAR, "kuantitatif",
                               [rhk("Mengarsip surat", draft["rhk"][0]["id"])])
    assert made["rhk"][0]["intervenes_text"] == "Terkelolanya arsip"


def test_a_wrong_intervenes_answers_with_the_choices(factory, chain):
    error = refused(factory, handlers.create_skp, factory, ctx("tono"), YEAR, "kuantitatif",
                    [rhk("Mengolah data", chain["kadis"]["rhk"][0]["id"])])
    assert [(e.field, e.rule) for e in error.errors] == [("rhk[0].intervenes", "supervisor-rhk")]
    assert error.extra["choices"] == [{"id": r["id"], "text": r["text"]} for r in chain["kabid"]["rhk"]]


def test_the_rhk_i_may_intervene_are_listed_with_targets_and_who_else_intervenes_them(factory, chain):
    listed = handlers.intervenable_choices(factory, ctx("tono"), YEAR)

    assert listed["supervisor"] == {"nip": "kabid", "name": "Kabid"} and listed["required"] is True
    assert listed["skp_id"] == chain["kabid"]["id"]
    assert [(r["id"], r["text"]) for r in listed["rhk"]] == [(r["id"], r["text"]) for r in chain["kabid"]["rhk"]]
    assert listed["rhk"][0]["iki"][0]["target"] == "12"
    assert listed["rhk"][0]["intervened_by"] == [{"nip": "sari", "name": "Sari",
                                                   "rhk_id": chain["sari"]["rhk"][0]["id"],
                                                   "text": "Menyusun laporan bulanan"}]
    assert listed["rhk"][1]["intervened_by"] == []
    head = handlers.intervenable_choices(factory, ctx("kadis"), YEAR)
    assert (head["supervisor"], head["required"], head["rhk"]) == (None, False, [])
    nothing = refused(factory, handlers.intervenable_choices, factory, ctx("tono"), YEAR + 1)
    assert nothing.code == "supervisor-skp-missing"


def test_reading_the_supervisors_skp_is_refused_with_the_true_reason(factory, chain):
    error = refused(factory, handlers.get_skp, factory, ctx("sari"), chain["kabid"]["id"])
    assert (error.status, error.code) == (403, "forbidden")
    assert "bukan di instansi Anda" not in error.detail_id and "Ini SKP Kabid, atasan Anda" in error.detail_id
    assert "/api/v1/skp/intervenable" in error.detail
    peer = refused(factory, handlers.get_skp, factory, ctx("tono"), chain["sari"]["id"])
    assert "Sari" in peer.detail and "bukan atasannya" in peer.detail_id
    other_agency = refused(factory, handlers.get_skp, factory, ctx("x", agency="lain"), chain["sari"]["id"])
    assert "instansi lain" in other_agency.detail_id


# --- ekspektasi khusus -------------------------------------------------------------------------

def test_the_penilai_writes_the_ekspektasi_khusus_while_the_skp_is_draft_or_submitted(factory, chain):
    draft = handlers.create_skp(factory, ctx("tono"), YEAR, "kuantitatif",
                                [rhk("Mengolah data", chain["kabid"]["rhk"][0]["id"])])
    by_owner = refused(factory, handlers.set_ekspektasi, factory, ctx("tono"), draft["id"], {"akuntabel": "x"})
    assert (by_owner.status, by_owner.code) == (403, "wrong-actor")
    unknown = refused(factory, handlers.set_ekspektasi, factory, ctx("kabid"), draft["id"], {"integritas": "x"})
    assert (unknown.status, unknown.errors[0].field) == (422, "ekspektasi_khusus.integritas")

    written = handlers.set_ekspektasi(factory, ctx("kabid"), draft["id"], {"akuntabel": "Data tepat waktu"})
    assert next(p for p in written["perilaku"] if p["key"] == "akuntabel")["ekspektasi_khusus"] == "Data tepat waktu"
    handlers.act(factory, OUTBOX, ctx("tono"), draft["id"], "submit")
    submitted = handlers.set_ekspektasi(factory, ctx("kabid"), draft["id"], {"kolaboratif": "Aktif di tim"})
    assert {p["key"]: p["ekspektasi_khusus"] for p in submitted["perilaku"] if p["ekspektasi_khusus"]} == {
        "kolaboratif": "Aktif di tim"}  # a PUT replaces the earlier ones
    handlers.act(factory, OUTBOX, ctx("kabid"), draft["id"], "approve")
    late = refused(factory, handlers.set_ekspektasi, factory, ctx("kabid"), draft["id"], {"loyal": "x"})
    assert (late.status, late.code) == (409, "wrong-state")


# --- the year ------------------------------------------------------------------------------------

def test_an_skp_is_made_for_a_year_the_agency_has_open(factory, clock):
    error = refused(factory, handlers.create_skp, factory, ctx("kadis"), 2030, "kuantitatif", [rhk("Layanan")])
    assert [(e.field, e.rule) for e in error.errors] == [("year", "year-open")]
    evaluations.define_periods(factory, ctx("admin", ("pegawai", "admin_instansi")), 2030)
    assert handlers.create_skp(factory, ctx("kadis"), 2030, "kuantitatif", [rhk("Layanan")])["year"] == 2030
