from datetime import date

from skp.domain.penilai import Assignment, Basis, Person, resolve

DAY = date(2026, 5, 4)

# staff -> kasubag -> kabag -> sekjen (top)
PEOPLE = {
    "staff": Person("staff", "active", "u", "p-staff", "kasubag"),
    "kasubag": Person("kasubag", "active", "u", "p-kasubag", "kabag"),
    "kabag": Person("kabag", "active", "u", "p-kabag", "sekjen"),
    "sekjen": Person("sekjen", "active", "u", "p-sekjen", None),
}


def _resolve(owner, people=PEOPLE, acting=(), on=DAY):
    return resolve(owner, on, people.get,
                   lambda unit, pos: [a for a in acting if (a.unit_id, a.position_id) == (unit, pos)])


def _with(nip, **changes):
    return {**PEOPLE, nip: Person(**{**vars(PEOPLE[nip]), **changes})}


def test_the_active_supervisor_is_the_definitive_penilai_and_the_only_one():
    p = _resolve("staff")
    assert (p.nip, p.basis, p.allowed) == ("kasubag", Basis.DEFINITIVE, {"kasubag": Basis.DEFINITIVE})
    assert not p.may_act("kabag")


def test_the_head_of_the_chain_has_no_penilai():
    p = _resolve("sekjen")
    assert (p.nip, p.basis, p.allowed) == (None, None, {})


def test_a_plh_acts_beside_the_definitive_penilai_only_for_their_dates():
    plh = Assignment("kabag2", "u", "p-kasubag", "PLH", date(2026, 5, 1), date(2026, 5, 10))
    inside = _resolve("staff", acting=[plh])
    assert inside.nip == "kasubag"  # the holder is still shown
    assert inside.allowed == {"kasubag": Basis.DEFINITIVE, "kabag2": Basis.PLH}
    assert not _resolve("staff", acting=[plh], on=date(2026, 5, 11)).may_act("kabag2")
    assert not _resolve("staff", acting=[plh], on=date(2026, 4, 30)).may_act("kabag2")


def test_a_plt_in_the_vacant_position_is_the_penilai_and_the_atasan_is_not():
    people = _with("kasubag", status="inactive")
    plt = Assignment("other", "u", "p-kasubag", "PLT", date(2026, 1, 1), date(2026, 12, 31))
    p = _resolve("staff", people, [plt])
    assert (p.nip, p.basis) == ("other", Basis.PLT)
    assert not p.may_act("kabag")


def test_when_the_penilai_is_missing_the_atasan_pejabat_penilai_acts():
    p = _resolve("staff", _with("kasubag", status="inactive"))
    assert (p.nip, p.basis, p.allowed) == ("kabag", Basis.ATASAN, {"kabag": Basis.ATASAN})
    assert p.supervisor_nip == "kasubag"


def test_an_expired_plt_leaves_the_penilai_missing_so_the_atasan_acts():
    people = _with("kasubag", status="inactive")
    plt = Assignment("other", "u", "p-kasubag", "PLT", date(2026, 1, 1), date(2026, 3, 31))
    assert _resolve("staff", people, [plt]).allowed == {"kabag": Basis.ATASAN}


def test_the_walk_goes_up_past_several_inactive_officials():
    people = {**_with("kasubag", status="inactive"), "kabag": Person("kabag", "inactive", "u", "p-kabag", "sekjen")}
    p = _resolve("staff", people)
    assert (p.nip, p.basis) == ("sekjen", Basis.ATASAN)


def test_nobody_active_above_leaves_no_penilai_but_keeps_the_supervisor_named():
    people = {"staff": PEOPLE["staff"], "kasubag": Person("kasubag", "inactive", None, None, None)}
    p = _resolve("staff", people)
    assert (p.nip, p.allowed, p.supervisor_nip) == (None, {}, "kasubag")


def test_nobody_is_their_own_penilai_even_as_plh_of_their_supervisor():
    plh = Assignment("staff", "u", "p-kasubag", "PLH", date(2026, 5, 1), date(2026, 5, 10))
    p = _resolve("staff", acting=[plh])
    assert p.allowed == {"kasubag": Basis.DEFINITIVE}


def test_a_plt_is_preferred_to_a_plh_as_the_one_shown():
    people = _with("kasubag", status="inactive")
    acting = [Assignment("h", "u", "p-kasubag", "PLH", DAY, DAY), Assignment("t", "u", "p-kasubag", "PLT", DAY, DAY)]
    p = _resolve("staff", people, acting)
    assert (p.nip, p.allowed) == ("t", {"t": Basis.PLT, "h": Basis.PLH})


def test_an_acting_official_of_the_same_position_in_another_unit_cannot_act():
    plh = Assignment("elsewhere", "other-unit", "p-kasubag", "PLH", DAY, DAY)
    assert not _resolve("staff", acting=[plh]).may_act("elsewhere")
