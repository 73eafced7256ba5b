"""PMM-agreed RHK (sync's `pmm.rhk_agreed`) become proposals in the teacher's SKP: proposed by the
principal, cascading from the principal's RHK they name, accepted like a Matriks Peran Hasil cell
(naming the principal's RHK when the PMM text matches none); a repeated event changes nothing and a
newer one replaces what is still open."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from skp import handlers, matriks, pmm
from skp.tables import OUTBOX, history, proposals, rhks, skps

YEAR = 2027
AGENCY = "kota"
KADIS, KEPSEK, GURU = "197501012000031002", "197210102010071027", "198404132006021028"
PARENT_TEXT = "Meningkatnya kualitas pembelajaran di satuan pendidikan"


def iki(target: str = "2") -> list[dict]:
    return [{"aspek": "kuantitas", "indikator": "Jumlah rombel", "target": target, "satuan": "rombel"},
            {"aspek": "kualitas", "indikator": "Capaian", "target": "80", "satuan": "%"},
            {"aspek": "waktu", "indikator": "Satu semester", "target": "6", "satuan": "bulan"}]


def ctx(nip: str) -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=("pegawai",), agency_id=AGENCY))


@pytest.fixture
def factory(skp_db, add_employee):
    factory = skp_db
    add_employee(KADIS, None, "JPT Pratama", "struktural", agency=AGENCY)
    add_employee(KEPSEK, KADIS, "Ahli Madya", agency=AGENCY)
    add_employee(GURU, KEPSEK, "Ahli Pertama", agency=AGENCY)
    kadis = handlers.create_skp(factory, ctx(KADIS), YEAR, "kuantitatif",
                                [{"kind": "utama", "text": "Meningkatnya mutu pendidikan kota", "iki": iki()}])
    handlers.act(factory, OUTBOX, ctx(KADIS), kadis["id"], "publish")
    kepsek = handlers.create_skp(factory, ctx(KEPSEK), YEAR, "kuantitatif", [
        {"kind": "utama", "text": PARENT_TEXT, "intervenes": kadis["rhk"][0]["id"], "iki": iki()},
        {"kind": "utama", "text": "Meningkatnya karakter murid", "intervenes": kadis["rhk"][0]["id"], "iki": iki()}])
    # In force: a teacher's RHK intervenes only an RHK of the principal's approved plan.
    handlers.act(factory, OUTBOX, ctx(KEPSEK), kepsek["id"], "submit")
    handlers.act(factory, OUTBOX, ctx(KADIS), kepsek["id"], "approve")
    return factory


def event(semester: int, texts: list[str], parent: str | None = PARENT_TEXT, target: str = "2") -> dict:
    return {"id": str(uuid.uuid4()), "type": "ekinerja.pmm.rhk_agreed.v1", "subject": GURU,
            "data": {"nip": GURU, "agency_id": AGENCY, "principal_nip": KEPSEK, "year": YEAR, "semester": semester,
                     "period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-06-30",
                     "rhk": [{"pmm_id": f"p{i}", "text": t, "intervenes_text": parent, "iki": iki(target)}
                             for i, t in enumerate(texts)]}}


def rows(factory) -> list:
    with factory() as s:
        return s.execute(select(proposals).order_by(proposals.c.seq)).all()


def test_agreed_rhk_become_proposals_of_the_principal_cascading_from_the_named_rhk(factory):
    pmm.on_pmm_event(factory, event(1, ["Terlaksananya pembelajaran", "Tersusunnya modul ajar"]))

    got = rows(factory)
    assert [(p.source, p.proposer_nip, p.nip, p.year, p.seq, p.state) for p in got] == [
        ("pmm", KEPSEK, GURU, YEAR, 1000, "diusulkan"), ("pmm", KEPSEK, GURU, YEAR, 1001, "diusulkan")]
    kepsek_skp = handlers.my_skps(factory, ctx(KEPSEK))["skps"][0]
    parent_id = next(r["id"] for r in handlers.get_skp(factory, ctx(KEPSEK), kepsek_skp["id"])["rhk"]
                     if r["text"] == PARENT_TEXT)
    assert {p.parent_rhk_id for p in got} == {parent_id}

    mine = matriks.my_proposals(factory, ctx(GURU), YEAR)["proposals"]
    accepted = matriks.accept(factory, ctx(GURU), mine[0]["id"])
    assert accepted["proposal"]["state"] == "diterima"
    assert accepted["skp"]["rhk"][0]["intervenes"] == parent_id and accepted["skp"]["state"] == "draft"


def test_the_same_event_twice_changes_nothing(factory):
    e = event(1, ["Terlaksananya pembelajaran"])
    pmm.on_pmm_event(factory, e)
    pmm.on_pmm_event(factory, e)
    assert len(rows(factory)) == 1


def test_a_newer_import_replaces_the_open_proposals_of_its_semester_only(factory):
    pmm.on_pmm_event(factory, event(1, ["A", "B", "C"]))
    pmm.on_pmm_event(factory, event(2, ["Semester dua"]))
    first = {p.text: p for p in rows(factory)}
    matriks.decline(factory, ctx(GURU), first["C"].id, "Tidak relevan")

    pmm.on_pmm_event(factory, event(1, ["B", "D"], target="3"))

    after = {p.text: p for p in rows(factory)}
    assert set(after) == {"B", "C", "D", "Semester dua"}  # A withdrawn in PMM; C stays as declined history
    assert after["B"].id == first["B"].id and after["B"].iki[0]["target"] == "3" and after["B"].seq == 1000
    assert after["C"].state == "ditolak" and after["Semester dua"].seq == 2000


def test_an_unknown_parent_text_falls_back_to_none_unless_the_principal_has_one_rhk(factory):
    pmm.on_pmm_event(factory, event(1, ["X"], parent="Tidak ada di SKP kepala sekolah"))
    assert rows(factory)[0].parent_rhk_id is None


def test_other_pmm_event_types_are_ignored():
    assert pmm.is_pmm({"type": "ekinerja.pmm.something_else.v1"})
    assert not pmm.is_pmm({"type": "ekinerja.employee.upserted.v1"})
    pmm.on_pmm_event(None, {"type": "ekinerja.pmm.something_else.v1", "data": {}})


def _kepsek_rhk(factory) -> dict[str, str]:
    kepsek_skp = handlers.my_skps(factory, ctx(KEPSEK))["skps"][0]
    return {r["text"]: r["id"] for r in handlers.get_skp(factory, ctx(KEPSEK), kepsek_skp["id"])["rhk"]}


def _state(factory) -> list:
    with factory() as s:
        return [s.execute(select(t)).all() for t in (proposals, skps, rhks, history)]


def test_an_unmatched_pmm_rhk_is_accepted_with_the_principal_rhk_the_teacher_names(factory):
    pmm.on_pmm_event(factory, event(1, ["Terlaksananya projek P5"], parent="Tidak ada di SKP kepala sekolah"))
    [proposal] = matriks.my_proposals(factory, ctx(GURU), YEAR)["proposals"]
    principal = _kepsek_rhk(factory)
    before = _state(factory)

    with pytest.raises(DomainError) as missing:
        matriks.accept(factory, ctx(GURU), proposal["id"])
    with pytest.raises(DomainError) as wrong:
        matriks.accept(factory, ctx(GURU), proposal["id"], intervenes=str(uuid.uuid4()))

    assert _state(factory) == before  # nothing changed by either refusal
    for error, rule in ((missing.value, "required"), (wrong.value, "supervisor-rhk")):
        problem = error.to_problem()
        assert (problem["status"], problem["code"]) == (422, "validation")
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("intervenes", rule)]
        assert problem["detail"] == problem["errors"][0]["detail"] and problem["detail_id"]
        assert {c["id"]: c["text"] for c in problem["choices"]} == {v: k for k, v in principal.items()}

    chosen = principal["Meningkatnya karakter murid"]
    accepted = matriks.accept(factory, ctx(GURU), proposal["id"], intervenes=chosen)

    assert accepted["proposal"]["state"] == "diterima" and accepted["proposal"]["parent_rhk_id"] == chosen
    assert [(r["text"], r["intervenes"]) for r in accepted["skp"]["rhk"]] == [("Terlaksananya projek P5", chosen)]


def test_intervenes_overrides_a_match_and_one_answer_names_every_missing_field(factory):
    pmm.on_pmm_event(factory, event(1, ["Terlaksananya pembelajaran"]))
    [proposal] = matriks.my_proposals(factory, ctx(GURU), YEAR)["proposals"]
    principal = _kepsek_rhk(factory)
    with factory.begin() as s:  # a proposal without IKI, to see both problems in one answer
        s.execute(update(proposals).values(iki=[]))

    with pytest.raises(DomainError) as both:
        matriks.accept(factory, ctx(GURU), proposal["id"], intervenes="bukan-rhk")
    assert [(e.field, e.rule) for e in both.value.errors] == [("iki", "required"), ("intervenes", "supervisor-rhk")]
    assert len(both.value.extra["choices"]) == 2

    other = principal["Meningkatnya karakter murid"]
    accepted = matriks.accept(factory, ctx(GURU), proposal["id"], iki=iki("3"), intervenes=other)
    assert accepted["skp"]["rhk"][0]["intervenes"] == other
    assert accepted["proposal"]["parent_rhk_id"] == principal[PARENT_TEXT]  # the cell stays in its matrix
