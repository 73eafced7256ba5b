"""The events service's rules: grants, cursors, keys and the webhook retry schedule."""

import datetime as dt

import pytest

from ekinerja_kernel.errors import DomainError
from events.broker import permissions, topic_permissions
from events.domain import cursor, grants, keys, retry

CHANGED, CONTACT = "ekinerja.public.employee.changed.v1", "ekinerja.public.employee.contact.v1"


def test_a_personal_type_is_granted_only_by_name_with_personal_data():
    assert grants.grantable([CHANGED, CHANGED], False) == [CHANGED]
    with pytest.raises(DomainError) as refused:
        grants.grantable([CHANGED, CONTACT], False)
    assert refused.value.errors[0].rule == "personal-data"
    assert grants.grantable([CONTACT], True) == [CONTACT]
    with pytest.raises(DomainError) as unknown:
        grants.grantable(["ekinerja.employee.upserted.v1"], True)  # an internal type is never granted
    assert unknown.value.errors[0].rule == "unknown-type"


def test_a_replay_reads_only_granted_types():
    assert grants.readable(None, [CHANGED]) == [CHANGED]
    with pytest.raises(DomainError) as refused:
        grants.readable([CHANGED, CONTACT], [CHANGED])
    assert refused.value.status == 403 and refused.value.extra["not_granted"] == [CONTACT]


@pytest.mark.parametrize("bad", ["-1", "1.5", "abc", "1" * 19])
def test_a_cursor_is_decimal_text(bad):
    assert cursor.parse(None) == 0 and cursor.parse("42") == 42
    with pytest.raises(DomainError):
        cursor.parse(bad)


def test_names_are_safe_as_broker_users_and_queue_prefixes():
    assert grants.check_name("siasn-pusat") == "siasn-pusat"
    for bad in ("Siasn", "a", "sub.x", "x.*", "a" * 41):
        with pytest.raises(DomainError):
            grants.check_name(bad)
    assert permissions("siasn")["configure"] == r"^sub\.siasn\."
    assert topic_permissions([CHANGED])["read"] == r"^(ekinerja\.public\.employee\.changed\.v1)$"


def test_keys_and_secrets():
    key = keys.new_api_key()
    assert key.startswith("ekev_") and keys.key_hash(key) != key and len(keys.key_hash(key)) == 64
    assert keys.is_webhook_secret(keys.new_webhook_secret())
    assert not keys.is_webhook_secret("whsec_short") and not keys.is_webhook_secret("secret")


def test_the_retry_schedule_and_when_a_webhook_is_given_up():
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert retry.next_attempt(1, now, (5.0, 60.0)) == now + dt.timedelta(seconds=5)
    assert retry.next_attempt(2, now, (5.0, 60.0)) == now + dt.timedelta(seconds=60)
    assert retry.next_attempt(3, now, (5.0, 60.0)) is None
    assert retry.parse_schedule("") == retry.DEFAULT_SCHEDULE and retry.parse_schedule("1, 2") == (1.0, 2.0)
    with pytest.raises(ValueError):
        retry.parse_schedule("-1")
    assert retry.should_disable(now - dt.timedelta(days=5), now, retry.DEFAULT_DISABLE_AFTER)
    assert not retry.should_disable(now - dt.timedelta(days=4), now, retry.DEFAULT_DISABLE_AFTER)
    assert not retry.should_disable(None, now, 0)
