"""NIP / NI PPPK / NIK structure rules (docs/domain.md "Identifiers")."""

import datetime as dt

import pytest

from ekinerja_kernel.errors import DomainError
from sync.domain.identifiers import (
    PNS,
    PPPK,
    InvalidIdentifier,
    nik_nip_mismatches,
    parse_nik,
    parse_nip,
    require_nip,
)

PNS_NIP = "198609262015051001"  # born 1986-09-26, CPNS 2015-05, male, seq 001
PPPK_NIP = "199001012022211001"  # born 1990-01-01, 2022, "2", contract 1, male, seq 001
MALE_NIK = "3171012609860001"  # region 317101, 26-09-86, male
FEMALE_NIK = "3171016609860001"  # day 26 + 40 = 66: female, 26-09-86


def rule_of(value: str) -> str:
    with pytest.raises(InvalidIdentifier) as info:
        parse_nip(value)
    return info.value.rule


# --- parse_nip -------------------------------------------------------------------------------

def test_valid_pns_nip_is_parsed_into_its_parts():
    nip = parse_nip(PNS_NIP)
    assert nip.value == PNS_NIP
    assert nip.kind == PNS
    assert nip.birth_date == dt.date(1986, 9, 26)
    assert nip.start_year == 2015
    assert nip.start_month == 5
    assert nip.gender == "L"


def test_valid_pns_nip_with_female_digit():
    nip = parse_nip("198002142005042002")
    assert (nip.kind, nip.gender, nip.birth_date, nip.start_month) == (PNS, "P", dt.date(1980, 2, 14), 4)


def test_valid_pppk_number_is_told_apart_from_pns():
    nip = parse_nip(PPPK_NIP)
    assert nip.kind == PPPK
    assert nip.birth_date == dt.date(1990, 1, 1)
    assert nip.start_year == 2022
    assert nip.start_month is None
    assert nip.gender == "L"


def test_pppk_gender_is_the_digit_after_the_contract_count():
    # 199001012022 · 2 · contract 3 · gender 2 · 007
    nip = parse_nip("199001012022232007")
    assert (nip.kind, nip.gender) == (PPPK, "P")


@pytest.mark.parametrize("value", [
    "19860926201505100",  # 17 digits
    "1986092620150510011",  # 19 digits
    "",
    "19860926201505100A",
    "1986-09-2620150510",
    " 98609262015051001",
])
def test_nip_must_be_exactly_18_digits(value):
    assert rule_of(value) == "nip-18-digits"


def test_nip_that_is_not_a_string_is_rejected_as_malformed():
    assert rule_of(198609262015051001) == "nip-18-digits"


@pytest.mark.parametrize("value", [
    "198602302015051001",  # 30 February
    "198613012015051001",  # month 13
    "198609002015051001",  # day 0
    "199002292015051001",  # 1990 is not a leap year
])
def test_birth_date_must_be_a_real_date(value):
    assert rule_of(value) == "date"


def test_leap_day_birth_is_accepted():
    assert parse_nip("198802292015051001").birth_date == dt.date(1988, 2, 29)


@pytest.mark.parametrize("value", [
    "198609262015131001",  # start month 13
    "198609262015001001",  # start month 0
])
def test_pns_start_month_must_be_a_real_month(value):
    assert rule_of(value) == "date"


@pytest.mark.parametrize("value", [
    "198609262015053001",  # PNS, gender digit 3
    "198609262015050001",  # PNS, gender digit 0
    "199001012022213001",  # PPPK, gender digit 3
])
def test_gender_digit_must_be_1_or_2(value):
    assert rule_of(value) == "gender-digit"


@pytest.mark.parametrize("value", [
    "198609261986051001",  # started the year they were born
    "198609261980051001",  # started before birth
    "199001011990211001",  # PPPK appointed the year they were born
])
def test_start_year_must_come_after_birth_year(value):
    assert rule_of(value) == "start-after-birth"


def test_invalid_identifier_carries_both_languages_and_becomes_a_field_error():
    with pytest.raises(InvalidIdentifier) as info:
        parse_nip("123")
    error = info.value.field_error("nip")
    assert error.field == "nip"
    assert error.rule == "nip-18-digits"
    assert error.detail and error.detail_id and error.detail != error.detail_id


def test_superscript_digit_in_nip_is_rejected_as_invalid_identifier():
    assert rule_of("²98609262015051001") == "nip-18-digits"


@pytest.mark.parametrize("value", [
    "１９８６０９２６２０１５０５1００１",  # full-width digits, ASCII gender digit
    "١٩٨٦٠٩٢٦٢٠١٥٠٥1٠٠١",  # Arabic-Indic digits
    "1986092620150510²1",  # superscript in the sequence
])
def test_non_ascii_digits_are_not_a_valid_nip(value):
    assert rule_of(value) == "nip-18-digits"


# --- parse_nik -------------------------------------------------------------------------------

def test_valid_male_nik():
    nik = parse_nik(MALE_NIK, today=dt.date(2025, 1, 1))
    assert nik.region == "317101"
    assert nik.birth_date == dt.date(1986, 9, 26)
    assert nik.gender == "L"


def test_valid_female_nik_has_forty_added_to_the_day():
    nik = parse_nik(FEMALE_NIK, today=dt.date(2025, 1, 1))
    assert nik.birth_date == dt.date(1986, 9, 26)
    assert nik.gender == "P"


def test_nik_two_digit_year_is_placed_in_the_past():
    assert parse_nik("3171010101050001", today=dt.date(2025, 6, 1)).birth_date == dt.date(2005, 1, 1)
    assert parse_nik("3171010101300001", today=dt.date(2025, 6, 1)).birth_date == dt.date(1930, 1, 1)


@pytest.mark.parametrize("value", [
    "3171013002860001",  # 30 February
    "3171017002860001",  # female 30 February (70 - 40)
    "3171012613860001",  # month 13
    "3171010009860001",  # day 0
    "3171014009860001",  # day 40: neither a male day nor a female one
])
def test_nik_birth_date_must_be_a_real_date(value):
    with pytest.raises(InvalidIdentifier) as info:
        parse_nik(value, today=dt.date(2025, 1, 1))
    assert info.value.rule == "date"


@pytest.mark.parametrize("value", ["317101260986001", "31710126098600011", "31710126098600AB", ""])
def test_nik_must_be_exactly_16_digits(value):
    with pytest.raises(InvalidIdentifier) as info:
        parse_nik(value)
    assert info.value.rule == "nik-16-digits"


@pytest.mark.parametrize("value", ["31710126098６0001", "３１７１０１２６０９８６０００１", "²171012609860001"])
def test_non_ascii_digits_are_not_a_valid_nik(value):
    with pytest.raises(InvalidIdentifier) as info:
        parse_nik(value, today=dt.date(2025, 1, 1))
    assert info.value.rule == "nik-16-digits"


# --- nik_nip_mismatches ----------------------------------------------------------------------

def test_agreeing_nik_and_nip_have_no_mismatch():
    assert nik_nip_mismatches(parse_nik(MALE_NIK), parse_nip(PNS_NIP)) == []


def test_female_nik_agrees_with_female_nip():
    nip = parse_nip("198002142005042002")
    nik = parse_nik("3171015402800002")  # 14 + 40
    assert nik_nip_mismatches(nik, nip) == []


def test_different_birth_date_is_flagged():
    flags = nik_nip_mismatches(parse_nik("3171012709860001"), parse_nip(PNS_NIP))
    assert [(f.field, f.rule) for f in flags] == [("nik", "nik-nip-birth-date")]


def test_different_gender_is_flagged():
    flags = nik_nip_mismatches(parse_nik(FEMALE_NIK), parse_nip(PNS_NIP))
    assert [(f.field, f.rule) for f in flags] == [("nik", "nik-nip-gender")]


def test_both_disagreements_are_flagged_together():
    flags = nik_nip_mismatches(parse_nik("3171016709860001"), parse_nip(PNS_NIP))
    assert {f.rule for f in flags} == {"nik-nip-birth-date", "nik-nip-gender"}


# --- require_nip -----------------------------------------------------------------------------

def test_require_nip_returns_the_parsed_nip():
    assert require_nip(PNS_NIP).birth_date == dt.date(1986, 9, 26)


@pytest.mark.parametrize(("value", "rule"), [
    ("12345", "nip-18-digits"),
    ("198602302015051001", "date"),
    ("198609262015131001", "date"),
    ("198609262015053001", "gender-digit"),
    ("198609261980051001", "start-after-birth"),
])
def test_require_nip_raises_422_naming_the_broken_rule(value, rule):
    with pytest.raises(DomainError) as info:
        require_nip(value)
    exc = info.value
    assert exc.status == 422
    assert [(e.field, e.rule) for e in exc.errors] == [("nip", rule)]
    problem = exc.to_problem()
    assert problem["status"] == 422
    assert problem["errors"][0]["field"] == "nip"
    assert problem["errors"][0]["rule"] == rule
    assert problem["detail"].startswith("Invalid NIP")
    assert problem["detail_id"].startswith("NIP tidak valid")
