"""The master-data rules shared by sync's diagnosis and the services that enforce them."""

import pytest

from ekinerja_kernel import rules


def test_only_active_is_active():
    assert rules.is_active("active")
    assert not any(rules.is_active(s) for s in ("inactive", "Aktif", "", None))


@pytest.mark.parametrize("unit, position, missing", [
    ("u1", "p1", ()), (None, "p1", ("unit",)), ("u1", "", ("position",)), (None, None, ("unit", "position"))])
def test_missing_unit_position(unit, position, missing):
    assert rules.missing_unit_position(unit, position) == missing


@pytest.mark.parametrize("supervisor, jenjang, heads, lacks", [
    (None, "JPT Madya", True, False),
    (None, " jpt pratama", True, False),
    (None, "Ahli Pertama", False, True),  # a teacher without a supervisor is not a head
    (None, None, False, True),
    ("197001012000031001", "JPT Pratama", False, False),  # a JPT under another is approved by them
    ("197001012000031001", "Administrator", False, False),
])
def test_who_heads_an_organisation_and_who_lacks_a_supervisor(supervisor, jenjang, heads, lacks):
    assert rules.heads_organisation(supervisor, jenjang) is heads
    assert rules.lacks_supervisor(supervisor, jenjang) is lacks


@pytest.mark.parametrize("approved_version, in_force", [
    (1, True), (3, True),  # approved or published once: stays in force while a revision is open
    (None, False),  # a draft or a submitted SKP never approved
    (0, False), (True, False), ("1", False),
])
def test_an_skp_is_in_force_once_a_version_was_approved_or_published(approved_version, in_force):
    assert rules.skp_in_force(approved_version) is in_force
