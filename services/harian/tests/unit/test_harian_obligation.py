"""From when an employee must log: the later of the agency's go-live and the start their NIP records;
without a go-live, the day harian first saw them."""

import datetime as dt

import pytest

from ekinerja_kernel.errors import DomainError
from harian.domain.obligation import employment_start, obligation_start
from harian.domain.settings import parse_agency_settings

D = dt.date


def test_the_start_is_read_from_the_nip():
    assert employment_start("198609262015051001") == D(2015, 5, 1)  # PNS: CPNS from May 2015
    assert employment_start("199001012022211001") == D(2022, 1, 1)  # PPPK: appointed in 2022
    assert employment_start("12345") is None and employment_start("198609262015991001") is None


def test_the_later_of_go_live_and_start_and_first_seen_only_without_a_go_live():
    assert obligation_start(D(2026, 1, 2), "198609262015051001", D(2026, 12, 4)) == D(2026, 1, 2)
    assert obligation_start(D(2026, 1, 2), "199401012026081001", None) == D(2026, 8, 1)
    assert obligation_start(None, "198609262015051001", D(2026, 12, 4)) == D(2026, 12, 4)
    assert obligation_start(None, "198609262015051001", None) is None


def test_go_live_is_an_agency_setting():
    assert parse_agency_settings({"go_live": "2026-01-02"}).go_live == D(2026, 1, 2)
    assert parse_agency_settings({}).go_live is None
    for bad in ("2026-13-01", "02/01/2026", "1999-12-31"):
        with pytest.raises(DomainError) as refused:
            parse_agency_settings({"go_live": bad})
        assert [e.field for e in refused.value.errors] == ["go_live"]
