"""Evaluation use cases on a real (SQLite) database, without a broker: periods by the agency admin,
realisasi by the owner, ratings by the penilai with the skp.evaluated event in the outbox, and
finalising a unit in "warn" and "block" mode. Every refusal leaves the database as it was."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from skp import evaluations as uc
from skp import handlers
from skp.tables import OUTBOX, agency_settings, evaluations, outbox_table, periods

YEAR = 2027
AGENCY = "kota"
#: nip -> (unit, supervisor, position kind, jenjang)
STAFF = {
    "kadis": ("u-dinas", None, "struktural", "JPT Pratama"),
    "kepsek": ("u-sekolah", "kadis", "fungsional", "Ahli Madya"),
    "guru1": ("u-sekolah", "kepsek", "fungsional", "Ahli Pertama"),
    "guru2": ("u-sekolah", "kepsek", "fungsional", "Ahli Pertama"),
    "guru3": ("u-sekolah", "kepsek", "fungsional", "Ahli Muda"),
    "operator": ("u-sekolah", "kepsek", "pelaksana", None),
    "admin": ("u-bkd", "kadis", "fungsional", "Ahli Pertama"),
}
ADMIN_ROLES = ("pegawai", "admin_instansi")
ATAS, SESUAI, BAWAH = "di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"


def iki():
    return [{"aspek": "kuantitas", "indikator": "Jumlah laporan", "target": "12", "satuan": "laporan"},
            {"aspek": "kualitas", "indikator": "Diterima", "target": "100", "satuan": "%"},
            {"aspek": "waktu", "indikator": "Tepat waktu", "target": "12", "satuan": "bulan"}]


def ctx(nip: str, roles: tuple[str, ...] = ("pegawai",), agency: str = AGENCY) -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=roles, agency_id=agency))


class World:
    """The school's staff planned for YEAR; recording realisasi happens on a period's last day and
    rating the day after it (the clock moves), as the calendar requires."""

    def __init__(self, factory, clock) -> None:
        self.factory = factory
        self.clock = clock
        self.skp: dict[str, dict] = {}

    def _end(self, period_id: str) -> dt.date:
        with self.factory() as s:
            return s.execute(select(periods.c.end_date).where(periods.c.id == period_id)).scalar()

    def plan(self, nip: str, year: int = YEAR) -> dict:
        boss = STAFF[nip][1]
        parent = self.skp.get((boss, year)) if boss else None
        rhk = [{"kind": "utama", "text": f"Hasil kerja {nip}", "intervenes": parent["rhk"][0]["id"] if parent else None,
                "iki": iki()}]
        made = handlers.create_skp(self.factory, ctx(nip), year, "kuantitatif", rhk)
        if boss is None:
            made = handlers.act(self.factory, OUTBOX, ctx(nip), made["id"], "publish")
        else:
            handlers.act(self.factory, OUTBOX, ctx(nip), made["id"], "submit")
            made = handlers.act(self.factory, OUTBOX, ctx(boss), made["id"], "approve")
        self.skp[(nip, year)] = made
        return made

    def periods(self, year: int = YEAR, frequency: str = "monthly", mode: str | None = None) -> dict:
        return uc.define_periods(self.factory, ctx("admin", ADMIN_ROLES), year, frequency, None, mode)

    def realisasi(self, nip: str, period_id: str, text: str = "12 laporan selesai") -> dict:
        skp = self.skp[(nip, YEAR)]
        self.clock.set(self._end(period_id))
        return uc.record_realisasi(self.factory, ctx(nip), skp["id"], period_id, [
            {"rhk_id": skp["rhk"][0]["id"], "realisasi": text, "evidence": ["https://drive.kota.go.id/bukti/1"]}])

    def rate(self, nip: str, period_id: str, hasil: str = ATAS, perilaku: str = SESUAI, by: str | None = None,
             ends_position: str | None = None) -> dict:
        skp = self.skp[(nip, YEAR)]
        self.clock.set(self._end(period_id) + dt.timedelta(days=1))
        return uc.evaluate(self.factory, OUTBOX, ctx(by or STAFF[nip][1]), skp["id"], period_id, hasil, perilaku,
                           {skp["rhk"][0]["id"]: "Sesuai target"}, {"akuntabel": "Disiplin"}, ends_position)

    def finalise(self, period_id: str, unit_predikat: str, by: str = "kepsek", set_by: str = "kadis") -> dict:
        """The kadis (the kepala sekolah's penilai) sets the school's predikat; the kepala sekolah finalises."""
        self.clock.set(self._end(period_id) + dt.timedelta(days=1))
        uc.set_unit_predikat(self.factory, ctx(set_by), "u-sekolah", period_id, unit_predikat)
        return uc.finalise_unit(self.factory, ctx(by), "u-sekolah", period_id)

    def snapshot(self) -> list:
        """Everything evaluation-related, to show that a refusal changed nothing."""
        with self.factory() as s:
            return [s.execute(select(t).order_by(*t.primary_key.columns)).all()
                    for t in (agency_settings, periods, evaluations, outbox_table)]

    def outbox(self, type_: str) -> list[dict]:
        with self.factory() as s:
            bodies = [json.loads(b) for b in s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq))
                      .scalars()]
        return [b for b in bodies if b["type"] == type_]


@pytest.fixture
def world(skp_db, add_employee, clock):
    for nip, (unit, boss, kind, jenjang) in STAFF.items():
        add_employee(nip, boss, jenjang, kind, name=nip.title(), unit=unit, position_name=nip, agency=AGENCY)
    w = World(skp_db, clock)
    for nip in ("kadis", "kepsek", "guru1", "guru2", "guru3", "operator"):
        w.plan(nip)
    return w


def month(year_view: dict, seq: int) -> str:
    return next(p["id"] for p in year_view["periods"] if p["kind"] == "monthly" and p["seq"] == seq)


def refused(world: World, call, *args, **kwargs) -> DomainError:
    before = world.snapshot()
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    assert world.snapshot() == before, "a refusal changed the database"
    return info.value


# --- periods -----------------------------------------------------------------------------------

def test_only_an_admin_of_the_agency_defines_periods(world):
    for who in (ctx("kepsek"), ctx("kadis", ("pegawai", "atasan"))):
        error = refused(world, uc.define_periods, world.factory, who, YEAR, "monthly")
        assert (error.status, error.code) == (403, "forbidden")
    elsewhere = uc.define_periods(world.factory, ctx("x", ADMIN_ROLES, agency="other"), YEAR, "quarterly")
    assert elsewhere["agency_id"] == "other"  # an admin defines their own agency's periods only
    assert uc.list_periods(world.factory, ctx("guru1"), YEAR)["periods"] == []

    made = world.periods(frequency="monthly", mode="block")

    assert [p["kind"] for p in made["periods"]] == ["annual"] + ["monthly"] * 12
    assert made["frequency"] == "monthly"
    assert made["settings"] == {"evaluation_frequency": "monthly", "distribution_mode": "block",
                                "rating_opens_days": 0}
    seen_by_staff = uc.list_periods(world.factory, ctx("guru1"), YEAR)
    assert seen_by_staff == made  # anyone in the agency reads them
    assert uc.list_periods(world.factory, ctx("guru1"), 2030)["periods"] == []


def test_periods_are_remade_for_a_new_frequency_until_an_evaluation_uses_them(world):
    monthly = world.periods(frequency="monthly")
    again = world.periods(frequency="monthly")
    assert [p["id"] for p in again["periods"]] == [p["id"] for p in monthly["periods"]]  # nothing new

    quarterly = world.periods(frequency="quarterly")
    assert [p["kind"] for p in quarterly["periods"]] == ["annual"] + ["quarterly"] * 4
    assert quarterly["periods"][0]["id"] == monthly["periods"][0]["id"]  # the annual period is kept
    first_quarter = quarterly["periods"][1]
    assert (first_quarter["start"], first_quarter["end"], first_quarter["deadline"], first_quarter["months"]) == \
        ("2027-01-01", "2027-03-31", "2027-04-10", 3)

    world.realisasi("guru1", first_quarter["id"])
    error = refused(world, world.periods, frequency="monthly", mode="block")
    assert (error.status, error.code, error.extra["field"]) == (409, "periods-in-use", "frequency")


def test_nobody_outside_the_agency_reads_its_periods_and_no_agency_means_none(world):
    world.periods()
    assert uc.list_periods(world.factory, ctx("x", agency="other"), YEAR)["periods"] == []
    with pytest.raises(DomainError) as info:
        uc.list_periods(world.factory, RequestContext(caller=Caller(nip="x")), YEAR)
    assert info.value.status == 403


# --- realisasi ---------------------------------------------------------------------------------

def test_realisasi_by_the_owner_on_the_approved_plan(world):
    period = month(world.periods(), 1)

    recorded = world.realisasi("guru1", period)

    assert recorded["state"] == "draft" and recorded["period"]["kind"] == "monthly"
    assert recorded["realisasi"][0]["evidence"] == ["https://drive.kota.go.id/bukti/1"]
    assert recorded["skp_version"] == 1 and recorded["predikat"] is None
    replaced = world.realisasi("guru1", period, text="13 laporan selesai")
    assert replaced["id"] == recorded["id"] and replaced["realisasi"][0]["realisasi"] == "13 laporan selesai"


def test_realisasi_refusals_change_nothing(world):
    year_view = world.periods()
    other_year = month(world.periods(year=2028), 1)
    period = month(year_view, 1)
    guru1 = world.skp[("guru1", YEAR)]
    item = [{"rhk_id": guru1["rhk"][0]["id"], "realisasi": "x"}]

    wrong_year = refused(world, uc.record_realisasi, world.factory, ctx("guru1"), guru1["id"], other_year, item)
    assert (wrong_year.status, wrong_year.code) == (409, "period-outside-skp-year")
    assert (wrong_year.extra["period_year"], wrong_year.extra["skp_year"]) == (2028, 2027)

    by_penilai = refused(world, uc.record_realisasi, world.factory, ctx("kepsek"), guru1["id"], period, item)
    assert (by_penilai.status, by_penilai.code) == (403, "wrong-actor")
    stranger = refused(world, uc.record_realisasi, world.factory, ctx("guru2"), guru1["id"], period, item)
    assert (stranger.status, stranger.code) == (403, "forbidden")

    foreign_rhk = [{"rhk_id": world.skp[("kepsek", YEAR)]["rhk"][0]["id"], "realisasi": "x",
                    "evidence": ["mailto:a@b.c"]}]
    bad = refused(world, uc.record_realisasi, world.factory, ctx("guru1"), guru1["id"], period, foreign_rhk)
    assert bad.status == 422
    assert {(e.field, e.rule) for e in bad.errors} == {("items[0].rhk_id", "approved-rhk"),
                                                       ("items[0].evidence[0]", "http-url")}

    missing = refused(world, uc.record_realisasi, world.factory, ctx("guru1"), guru1["id"], "no-such-period", item)
    assert missing.status == 404


def test_a_plan_never_approved_is_not_evaluated(world):
    period = month(world.periods(), 1)
    # The admin has no 2027 SKP yet: make one and leave it in draft.
    made = handlers.create_skp(world.factory, ctx("admin"), YEAR, "kuantitatif", [
        {"kind": "utama", "text": "Administrasi kepegawaian", "intervenes": world.skp[("kadis", YEAR)]["rhk"][0]["id"],
         "iki": iki()}])

    error = refused(world, uc.record_realisasi, world.factory, ctx("admin"), made["id"], period,
                    [{"rhk_id": made["rhk"][0]["id"], "realisasi": "x"}])
    assert (error.status, error.code) == (409, "skp-not-approved")


# --- rating ------------------------------------------------------------------------------------

def test_the_penilai_rates_and_the_event_carries_predikat_and_credit_points(world):
    period_view = world.periods()
    period = month(period_view, 2)
    world.realisasi("guru1", period)

    rated = world.rate("guru1", period, ATAS, SESUAI)

    assert rated["state"] == "dinilai" and rated["predikat"] == "baik"
    # A month that ends no position counts no credit points: the annual evaluation counts the year.
    assert (rated["angka_kredit"], rated["ak_months"], rated["ak_jenjang"]) == (None, 0, "Ahli Pertama")
    assert rated["penilai_nip"] == "kepsek" and rated["feedback_perilaku"] == {"akuntabel": "Disiplin"}
    (event,) = world.outbox("ekinerja.skp.evaluated.v1")
    guru1 = world.skp[("guru1", YEAR)]
    assert event["subject"] == "guru1"
    assert event["data"] == {
        "skp_id": guru1["id"], "nip": "guru1", "agency_id": AGENCY, "year": YEAR,
        "period": {"id": period, "kind": "monthly", "seq": 2, "start": "2027-02-01", "end": "2027-02-28"},
        "rating_hasil_kerja": ATAS, "rating_perilaku": SESUAI, "predikat": "baik", "angka_kredit": None,
        "ends_position": None, "ak_months": 0, "penilai_nip": "kepsek"}

    annual = period_view["periods"][0]["id"]
    world.realisasi("guru3", annual)
    assert world.rate("guru3", annual, ATAS, ATAS)["angka_kredit"] == str(Decimal("37.50"))  # Ahli Muda, 12 × 150%
    world.realisasi("operator", period)
    assert world.rate("operator", period, SESUAI, SESUAI)["angka_kredit"] is None  # not a functional position


def test_rating_refusals_change_nothing(world):
    period = month(world.periods(), 1)
    guru1 = world.skp[("guru1", YEAR)]
    not_yet = refused(world, world.rate, "guru1", period)
    assert (not_yet.status, not_yet.code) == (409, "no-realisasi")
    world.realisasi("guru1", period)

    for who, code in (("guru1", "wrong-actor"), ("kadis", "wrong-actor"), ("guru2", "forbidden")):
        error = refused(world, world.rate, "guru1", period, by=who)
        assert (error.status, error.code) == (403, code), who
    bad = refused(world, uc.evaluate, world.factory, OUTBOX, ctx("kepsek"), guru1["id"], period, "bagus", SESUAI,
                  {"someone-elses-rhk": "x"}, None)
    assert {(e.field, e.rule) for e in bad.errors} == {("rating_hasil_kerja", "one-of"),
                                                       ("feedback_rhk.someone-elses-rhk", "approved-rhk")}
    assert world.outbox("ekinerja.skp.evaluated.v1") == []


def test_evaluations_of_an_skp_are_read_by_owner_chain_and_admin(world):
    period = month(world.periods(), 1)
    world.realisasi("guru1", period)
    skp_id = world.skp[("guru1", YEAR)]["id"]

    for who in (ctx("guru1"), ctx("kepsek"), ctx("kadis"), ctx("admin", ADMIN_ROLES)):
        listed = uc.skp_evaluations(world.factory, who, skp_id)
        assert [e["period"]["id"] for e in listed["evaluations"]] == [period]
    with pytest.raises(DomainError) as info:
        uc.skp_evaluations(world.factory, ctx("guru2"), skp_id)
    assert info.value.status == 403


# --- finalising ----------------------------------------------------------------------------------

def rate_all_baik(world: World, period: str) -> None:
    for nip in ("guru1", "guru2", "guru3"):
        world.realisasi(nip, period)
        world.rate(nip, period, ATAS, SESUAI)


def test_block_mode_refuses_a_broken_distribution_and_changes_nothing(world):
    period = month(world.periods(mode="block"), 3)
    rate_all_baik(world, period)  # 100% Baik and no Butuh Perbaikan/Kurang: breaks a unit rated Baik
    uc.set_unit_predikat(world.factory, ctx("kadis"), "u-sekolah", period, "baik")

    error = refused(world, uc.finalise_unit, world.factory, ctx("kepsek"), "u-sekolah", period)

    assert (error.status, error.code) == (409, "distribution-violated")
    assert {v["rule"] for v in error.extra["violations"]} == {"max-baik", "min-butuh_perbaikan-kurang"}
    assert all(v["detail"] and v["detail_id"] for v in error.extra["violations"])
    states = {e["nip"]: e["state"] for nip in ("guru1", "guru2", "guru3")
              for e in uc.skp_evaluations(world.factory, ctx(nip), world.skp[(nip, YEAR)]["id"])["evaluations"]}
    assert states == {"guru1": "dinilai", "guru2": "dinilai", "guru3": "dinilai"}

    # The kepala sekolah corrects one rating: 2 of 3 Baik (67%) and one Butuh Perbaikan fit "baik".
    assert world.rate("guru3", period, BAWAH, SESUAI)["predikat"] == "butuh_perbaikan"
    done = world.finalise(period, "baik")
    assert done["finalised"] == ["guru1", "guru2", "guru3"] and done["warnings"] == []
    assert done["distribution_mode"] == "block" and done["not_rated"] == ["operator"]
    assert len(world.outbox("ekinerja.skp.evaluated.v1")) == 4  # each rating announced, the correction too


def test_warn_mode_finalises_and_returns_the_warnings(world):
    period = month(world.periods(mode="warn"), 4)
    world.realisasi("guru1", period)
    world.rate("guru1", period, ATAS, SESUAI)
    world.realisasi("guru2", period)  # recorded, not rated: stays a draft

    done = world.finalise(period, "baik")

    assert done["finalised"] == ["guru1"] and done["counted"] == 1
    assert {w["rule"] for w in done["warnings"]} == {"max-baik", "min-butuh_perbaikan-kurang"}
    assert done["not_rated"] == ["guru2", "guru3", "operator"]
    final = uc.skp_evaluations(world.factory, ctx("guru1"), world.skp[("guru1", YEAR)]["id"])["evaluations"][0]
    assert (final["state"], final["unit_predikat"], final["finalised_by"]) == ("final", "baik", "kepsek")

    again = refused(world, world.rate, "guru1", period)  # final: no more changes
    assert (again.status, again.code) == (409, "wrong-state")
    rewrite = refused(world, world.realisasi, "guru1", period)
    assert (rewrite.status, rewrite.code) == (409, "wrong-state")
    world.clock.set(dt.date(2027, 5, 1))
    nothing = refused(world, uc.finalise_unit, world.factory, ctx("kepsek"), "u-sekolah", period)
    assert (nothing.status, nothing.code) == (409, "nothing-to-finalise")


def test_only_the_unit_head_or_an_admin_finalises(world):
    period = month(world.periods(), 5)
    world.realisasi("guru1", period)
    world.rate("guru1", period)

    for who in (ctx("guru2"), ctx("kadis"), ctx("admin", ADMIN_ROLES, agency="other")):
        error = refused(world, uc.finalise_unit, world.factory, who, "u-sekolah", period)
        assert (error.status, error.code) == (403, "forbidden")
    assert refused(world, uc.finalise_unit, world.factory, ctx("kepsek"), "u-nowhere", period).status == 404
    unset = refused(world, uc.finalise_unit, world.factory, ctx("kepsek"), "u-sekolah", period)
    assert (unset.status, unset.code) == (409, "unit-predikat-missing")
    assert unset.extra["penilai"] == [{"nip": "kadis", "name": "Kadis"}] and "Kadis" in unset.detail_id

    uc.set_unit_predikat(world.factory, ctx("admin", ADMIN_ROLES), "u-sekolah", period, "istimewa")
    done = uc.finalise_unit(world.factory, ctx("admin", ADMIN_ROLES), "u-sekolah", period)
    assert done["finalised"] == ["guru1"] and done["warnings"] == []  # 1 Baik fits Istimewa
    assert done["unit_predikat_set"]["set_by"] == {"nip": "admin", "name": "Admin", "as": "admin"}


def test_the_unit_heads_own_evaluation_is_not_in_the_staff_distribution(world):
    period = month(world.periods(mode="block"), 6)
    for nip, hasil in (("kepsek", ATAS), ("guru1", BAWAH), ("guru2", ATAS), ("guru3", ATAS)):
        world.realisasi(nip, period)
        world.rate(nip, period, hasil, SESUAI)  # the kepala sekolah by the kadis, the teachers by the kepsek

    # Staff: 2 of 3 Baik (67%) and one Butuh Perbaikan fit a unit rated Baik; with the head's Baik
    # counted it would be 3 of 4 (75%) and "block" would refuse.
    done = world.finalise(period, "baik")

    assert done["finalised"] == ["guru1", "guru2", "guru3"] and done["counted"] == 3 and done["warnings"] == []
    head = uc.skp_evaluations(world.factory, ctx("kepsek"), world.skp[("kepsek", YEAR)]["id"])["evaluations"][0]
    assert head["state"] == "dinilai" and head["penilai_nip"] == "kadis"


def test_announce_sends_every_approved_skp_again_with_its_approved_rhk(world):
    from skp.cli import announce

    def approved_events():
        with world.factory() as s:
            bodies = [json.loads(b) for b in s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq))
                      .scalars()]
        return [e for e in bodies if e["type"] == "ekinerja.skp.approved.v1"]

    first = approved_events()
    assert announce(world.factory) == 0
    again = approved_events()[len(first):]
    assert sorted(e["data"]["nip"] for e in again) == sorted({e["data"]["nip"] for e in first}) != []
    by_nip = {e["data"]["nip"]: e["data"] for e in first}
    assert all(e["data"]["rhk"] == by_nip[e["data"]["nip"]]["rhk"] for e in again)
    assert all(e["data"]["version"] == by_nip[e["data"]["nip"]]["version"] for e in again)


# --- the unit's predikat: set by the head's penilai or the agency admin, not by the head -----------

def test_the_unit_predikat_is_set_by_the_heads_penilai_with_who_set_it_not_by_the_head(world):
    period = month(world.periods(), 7)
    world.realisasi("guru1", period)
    world.rate("guru1", period)

    head = refused(world, uc.set_unit_predikat, world.factory, ctx("kepsek"), "u-sekolah", period, "istimewa")
    assert (head.status, head.code) == (403, "forbidden") and "penilai" in head.detail
    staff_member = refused(world, uc.set_unit_predikat, world.factory, ctx("guru2"), "u-sekolah", period, "baik")
    assert staff_member.status == 403 and "Kadis" in staff_member.detail
    bad = refused(world, uc.set_unit_predikat, world.factory, ctx("kadis"), "u-sekolah", period, "sangat_baik")
    assert bad.status == 422 and bad.errors[0].field == "unit_predikat"

    recorded = uc.set_unit_predikat(world.factory, ctx("kadis"), "u-sekolah", period, "istimewa")

    assert recorded["unit_predikat"] == "istimewa"
    assert recorded["set_by"] == {"nip": "kadis", "name": "Kadis", "as": "penilai"} and recorded["set_at"]
    done = uc.finalise_unit(world.factory, ctx("kepsek"), "u-sekolah", period)
    assert done["unit_predikat"] == "istimewa" and done["unit_predikat_set"]["set_by"]["nip"] == "kadis"
    late = refused(world, uc.set_unit_predikat, world.factory, ctx("kadis"), "u-sekolah", period, "baik")
    assert (late.status, late.code) == (409, "unit-finalised")


# --- the calendar ----------------------------------------------------------------------------------

def test_a_period_is_rated_and_finalised_only_once_it_has_ended_or_within_the_agencys_days(world, clock):
    period = month(world.periods(), 3)
    world.realisasi("guru1", period)  # on 31 March, its last day
    guru1 = world.skp[("guru1", YEAR)]

    early = refused(world, uc.evaluate, world.factory, OUTBOX, ctx("kepsek"), guru1["id"], period, ATAS, SESUAI)
    assert (early.status, early.code) == (409, "period-not-ended") and early.extra["opens_on"] == "2027-04-01"
    assert "2027-04-01" in early.detail_id
    predikat = refused(world, uc.set_unit_predikat, world.factory, ctx("kadis"), "u-sekolah", period, "baik")
    assert predikat.code == "period-not-ended"

    # The agency lets its penilai rate from 3 days before a period's end.
    assert uc.define_periods(world.factory, ctx("admin", ADMIN_ROLES), YEAR, None, None, None,
                             3)["settings"]["rating_opens_days"] == 3
    clock.set(dt.date(2027, 3, 29))
    assert uc.evaluate(world.factory, OUTBOX, ctx("kepsek"), guru1["id"], period, ATAS, SESUAI)["state"] == "dinilai"
    uc.set_unit_predikat(world.factory, ctx("kadis"), "u-sekolah", period, "istimewa")
    assert uc.finalise_unit(world.factory, ctx("kepsek"), "u-sekolah", period)["finalised"] == ["guru1"]
    clock.set(dt.date(2027, 3, 28))
    april = month(world.periods(), 4)
    world.realisasi("guru2", april)
    clock.set(dt.date(2027, 4, 27))
    too_soon = refused(world, uc.evaluate, world.factory, OUTBOX, ctx("kepsek"), world.skp[("guru2", YEAR)]["id"],
                       april, ATAS, SESUAI)
    assert too_soon.extra["opens_on"] == "2027-04-28"


# --- credit points, counted once per year ----------------------------------------------------------

def test_credit_points_come_from_the_annual_evaluation_and_a_conversion_where_a_position_ends(world):
    view = world.periods()
    annual, june = view["periods"][0]["id"], month(view, 6)
    world.realisasi("guru1", annual)
    assert world.rate("guru1", annual, ATAS, SESUAI)["angka_kredit"] == "12.50"  # the whole year, Baik
    world.realisasi("guru1", june)

    # Promoted at the end of June: January–June converted now, so the annual counts July–December.
    converted = world.rate("guru1", june, ATAS, ATAS, ends_position="promoted")

    assert (converted["angka_kredit"], converted["ak_months"], converted["ends_position"]) == ("9.38", 6, "promoted")
    events = world.outbox("ekinerja.skp.evaluated.v1")
    assert [(e["data"]["period"]["kind"], e["data"]["angka_kredit"]) for e in events] == [
        ("annual", "12.50"), ("monthly", "9.38"), ("annual", "6.25")]  # the annual announced again
    points = uc.credit_points(world.factory, ctx("guru1"))
    assert points["total"] == "15.63" and [y["year"] for y in points["years"]] == [YEAR]
    assert [(p["source"], p["months"], p["angka_kredit"], p["ends_position"]) for p in points["years"][0]["sources"]] \
        == [("conversion", 6, "9.38", "promoted"), ("annual", 6, "6.25", None)]
    assert uc.credit_points(world.factory, ctx("kadis"), "guru1")["total"] == "15.63"  # above in the chain
    stranger = refused(world, uc.credit_points, world.factory, ctx("guru2"), "guru1")
    assert stranger.status == 403
    world.clock.set(dt.date(YEAR + 1, 1, 4))
    bad = refused(world, uc.evaluate, world.factory, OUTBOX, ctx("kepsek"), world.skp[("guru1", YEAR)]["id"], annual,
                  ATAS, SESUAI, None, None, "left")
    assert bad.status == 422 and bad.errors[0].rule == "periodic-only"


def test_a_conversion_after_the_annual_evaluation_was_final_is_refused(world):
    view = world.periods(mode="warn")
    annual, june = view["periods"][0]["id"], month(view, 6)
    world.realisasi("guru1", annual)
    world.rate("guru1", annual)
    world.finalise(annual, "istimewa")
    world.realisasi("guru1", june)

    error = refused(world, world.rate, "guru1", june, ATAS, SESUAI, None, "moved")

    assert (error.status, error.code) == (409, "credit-points-final") and error.extra["field"] == "ends_position"
