"""Perilaku kerja: the 7 BerAKHLAK values (docs/domain.md "SKP structure")."""

from skp.domain.berakhlak import perilaku_sheet

DOMAIN_VALUES = ["Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Loyal", "Adaptif", "Kolaboratif"]


def test_sheet_has_the_seven_values_in_domain_order():
    assert [row["name"] for row in perilaku_sheet()] == DOMAIN_VALUES


def test_each_value_has_three_distinct_non_empty_guidelines():
    for row in perilaku_sheet():
        guidelines = row["guidelines"]
        assert len(guidelines) == 3, row["name"]
        assert len(set(guidelines)) == 3, row["name"]
        assert all(isinstance(g, str) and g.strip() for g in guidelines), row["name"]


def test_keys_are_unique():
    keys = [row["key"] for row in perilaku_sheet()]
    assert len(set(keys)) == 7


def test_without_special_expectations_none_is_carried():
    for sheet in (perilaku_sheet(), perilaku_sheet(None), perilaku_sheet({})):
        assert [row["ekspektasi_khusus"] for row in sheet] == [None] * 7


def test_special_expectation_is_carried_only_where_given():
    sheet = perilaku_sheet({"akuntabel": "Laporan keuangan tepat waktu", "kolaboratif": "Aktif di tim lintas unit"})
    by_name = {row["name"]: row["ekspektasi_khusus"] for row in sheet}
    assert by_name == {
        "Berorientasi Pelayanan": None, "Akuntabel": "Laporan keuangan tepat waktu", "Kompeten": None,
        "Harmonis": None, "Loyal": None, "Adaptif": None, "Kolaboratif": "Aktif di tim lintas unit",
    }


def test_empty_special_expectation_counts_as_none():
    sheet = perilaku_sheet({"loyal": ""})
    assert all(row["ekspektasi_khusus"] is None for row in sheet)


def test_unknown_special_expectation_key_adds_no_row():
    sheet = perilaku_sheet({"integritas": "x"})
    assert [row["name"] for row in sheet] == DOMAIN_VALUES
    assert all(row["ekspektasi_khusus"] is None for row in sheet)


def test_sheet_is_a_fresh_copy_each_time():
    first = perilaku_sheet()
    first[0]["guidelines"].append("extra")
    first.pop()
    second = perilaku_sheet()
    assert len(second) == 7
    assert len(second[0]["guidelines"]) == 3


# --- ekspektasi khusus, written by the penilai ------------------------------------------------------

def test_ekspektasi_khusus_are_parsed_per_value_and_blank_ones_clear():
    from skp.domain.berakhlak import parse_ekspektasi

    assert parse_ekspektasi({"akuntabel": "  Laporan tepat waktu ", "loyal": "", "adaptif": None}) == {
        "akuntabel": "Laporan tepat waktu"}


def test_an_unknown_value_key_or_a_text_too_long_is_refused_not_dropped():
    import pytest

    from ekinerja_kernel.errors import DomainError
    from skp.domain.berakhlak import EKSPEKTASI_MAX, parse_ekspektasi

    with pytest.raises(DomainError) as info:
        parse_ekspektasi({"integritas": "x", "kompeten": "k" * (EKSPEKTASI_MAX + 1), "harmonis": 3})
    error = info.value
    assert (error.status, error.code) == (422, "validation")
    assert {(e.field, e.rule) for e in error.errors} == {
        ("ekspektasi_khusus.integritas", "berakhlak-value"), ("ekspektasi_khusus.kompeten", "max-length"),
        ("ekspektasi_khusus.harmonis", "text")}
    assert "berorientasi_pelayanan" in error.errors[0].detail
    for not_an_object in ("x", ["akuntabel"]):
        with pytest.raises(DomainError) as info:
            parse_ekspektasi(not_an_object)
        assert info.value.errors[0].field == "ekspektasi_khusus"
