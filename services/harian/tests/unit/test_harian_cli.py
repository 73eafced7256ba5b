"""`ekinerja-harian settings load`: the demo agencies get a go-live in the past (so blank days count
in the demo), an admin's own settings are kept, and loading twice changes nothing."""

import json

from sqlalchemy import select

from harian.cli import DEMO_SETTINGS, load_settings
from harian.staff import settings_of
from harian.tables import agency_settings


def test_the_demo_settings_set_a_go_live_in_the_past_and_keep_what_an_admin_set(harian_db, harian_rows, tmp_path,
                                                                                  capsys):
    harian_rows.agency_settings("pemkotdemo", {"work_saturday": True}, reminder_hour=9)
    assert load_settings(harian_db, DEMO_SETTINGS) == 0
    wanted = json.loads(DEMO_SETTINGS.read_text())
    with harian_db() as s:
        ministry, _, _ = settings_of(s, "kemendemo")
        city, hour, stored = settings_of(s, "pemkotdemo")
        assert ministry.go_live.isoformat() == wanted["kemendemo"]["go_live"] and ministry.go_live.year <= 2026
        assert city.go_live is not None and city.work_saturday and hour == 9  # the admin's settings stay
        before = s.execute(select(agency_settings.c.updated_at).order_by(agency_settings.c.agency_id)).all()
    assert load_settings(harian_db, DEMO_SETTINGS) == 0
    with harian_db() as s:
        assert s.execute(select(agency_settings.c.updated_at).order_by(agency_settings.c.agency_id)).all() == before
    assert "already has these settings" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": {"go_live": "2026-02-30"}}')
    assert load_settings(harian_db, bad) == 2
