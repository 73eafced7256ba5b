"""A supervisor's team for reading allowances: everyone below them, however deep, and its totals."""

from tukin.domain.team import team_of, totals

# Budi > Citra > (Eko, Fitri); Budi > Gilang > Hana; Adi is above Budi; Made is elsewhere.
LINKS = {"citra": "budi", "gilang": "budi", "eko": "citra", "fitri": "citra", "hana": "gilang", "budi": "adi",
         "made": "lestari"}


def reports_of(links, asked=None):
    def reports(nips):
        if asked is not None:
            asked.append(set(nips))
        return [nip for nip, boss in links.items() if boss in nips]
    return reports


def test_the_team_is_every_direct_and_indirect_report_one_query_per_level():
    asked = []
    team = team_of("budi", reports_of(LINKS, asked))

    assert team.direct == {"citra", "gilang"}
    assert team.members == {"citra", "gilang", "eko", "fitri", "hana"}
    assert asked == [{"budi"}, {"citra", "gilang"}, {"eko", "fitri", "hana"}]


def test_someone_nobody_reports_to_has_no_team():
    team = team_of("eko", reports_of(LINKS))
    assert not team and team.members == frozenset() and team.direct == frozenset()


def test_a_cycle_in_master_data_ends_the_walk_and_never_counts_the_supervisor():
    cyclic = {"a": "b", "b": "a", "c": "b"}
    assert team_of("a", reports_of(cyclic)).members == {"b", "c"}


def test_team_totals_sum_the_computed_lines_and_count_the_others_apart():
    got = totals([{"gross": "2702000", "total_deduction": "97272", "net": "2604728"},
                  {"gross": "1000000", "total_deduction": "0", "net": "1000000"},
                  {"nip": "x", "error": {"detail": "no kelas jabatan"}}])

    assert got == {"employees": 2, "skipped": 1, "gross": "3702000", "deductions": "97272", "net": "3604728"}
