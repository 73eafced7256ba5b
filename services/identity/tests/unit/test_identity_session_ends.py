"""Ending a session, every way it can end, is announced (session.revoked in identity's outbox, with the
time after which none of its access tokens can be valid); the gateways' snapshot of recently ended
sessions; single-use mail links that only the latest mail opens; replacing an authenticator needs the
current one; activation and reset requests counted per NIP."""

from __future__ import annotations

import datetime as dt
import json
import time

import pyotp
import pytest
from sqlalchemy import select, update

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import make_event, parse_time, utcnow
from identity import handlers
from identity import repository as repo
from identity.domain import attempts
from identity.tables import audit_events, mail_queue, outbox_table, request_limits

NIP = "199001012015031001"
NIK = "3171010101900001"
EMAIL = "budi@uji.go.id"
PASSWORD = "Kinerja-Uji-2026"
ANON = RequestContext(ip="10.0.0.1", request_id="req-anon")


def upserted(status: str = "active"):
    return make_event("sync", "employee.upserted", NIP, {
        "nip": NIP, "nik": NIK, "name": "Budi Santoso", "email": EMAIL, "status": status, "agency_id": "kemendemo",
        "unit_id": "u1", "position_id": "p1", "supervisor_nip": None, "roles": []})


@pytest.fixture
def factory(identity_db, monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_SECONDS", "600")
    handlers.on_masterdata_event(identity_db, upserted())
    return identity_db


def mails(factory) -> list[str]:
    with factory() as s:
        return [r.body for r in s.execute(select(mail_queue).order_by(mail_queue.c.id))]


def last_link(factory) -> str:
    body = mails(factory)[-1]
    return next(line.strip() for line in body.splitlines() if line.startswith("    ") and line.strip())


def activated(factory) -> None:
    assert handlers.request_activation(factory, ANON, NIP, NIK, EMAIL) == {"status": "accepted"}
    assert handlers.activate(factory, ANON, last_link(factory), PASSWORD) == {"status": "activated"}


def signed_in(factory) -> tuple[dict, RequestContext]:
    body = handlers.login(factory, ANON, NIP, PASSWORD)
    assert body["status"] == "authenticated", body
    ctx = RequestContext(caller=Caller(nip=NIP, roles=("pegawai",), agency_id="kemendemo", sid=body["session_id"],
                                       amr=("pwd",), auth_time=int(time.time())), ip="10.0.0.1", request_id="req-1")
    return body, ctx


def announced(factory) -> list[dict]:
    with factory() as s:
        rows = s.execute(select(outbox_table.c.body).where(outbox_table.c.type == "ekinerja.session.revoked.v1")
                         .order_by(outbox_table.c.seq)).all()
    return [json.loads(r.body) for r in rows]


def ended(factory) -> dict[str, str]:
    """{sid: reason} of every session.revoked event in the outbox."""
    return {e["data"]["sid"]: e["data"]["reason"] for e in announced(factory)}


def audit(factory, type_: str) -> list[dict]:
    with factory() as s:
        return [dict(r) for r in s.execute(select(audit_events).where(audit_events.c.type == type_)
                                           .order_by(audit_events.c.id)).mappings()]


# --- every way a session ends is announced --------------------------------------------------------

def test_logout_announces_the_session_with_the_time_its_last_token_expires(factory):
    activated(factory)
    body, ctx = signed_in(factory)

    handlers.logout(factory, ctx)

    [event] = announced(factory)
    assert event["subject"] == body["session_id"] and event["source"] == "/ekinerja/identity"
    data = event["data"]
    assert (data["sid"], data["reason"]) == (body["session_id"], "logout")
    assert parse_time(data["until"]) - parse_time(data["revoked_at"]) == dt.timedelta(seconds=600)


def test_revoking_one_session_announces_that_one_only(factory):
    activated(factory)
    phone, _ = signed_in(factory)
    laptop, ctx = signed_in(factory)

    handlers.revoke_session(factory, ctx, phone["session_id"])

    assert ended(factory) == {phone["session_id"]: "revoked-by-user"}


def test_a_reused_refresh_token_announces_its_session(factory):
    activated(factory)
    first, _ = signed_in(factory)
    handlers.refresh(factory, ANON, first["refresh_token"])

    with pytest.raises(DomainError) as refused:
        handlers.refresh(factory, ANON, first["refresh_token"])

    assert refused.value.code == "refresh-invalid"
    assert ended(factory) == {first["session_id"]: "refresh-reuse"}  # kept although the call was refused


def test_a_password_reset_announces_every_session_and_a_change_every_other(factory):
    activated(factory)
    one, _ = signed_in(factory)
    two, ctx_two = signed_in(factory)
    three, _ = signed_in(factory)

    handlers.change_password(factory, ctx_two, PASSWORD, PASSWORD + "x")
    assert ended(factory) == {one["session_id"]: "password-changed", three["session_id"]: "password-changed"}

    handlers.request_password_reset(factory, ANON, NIP, EMAIL)
    handlers.reset_password(factory, ANON, last_link(factory), PASSWORD + "y")
    assert ended(factory)[two["session_id"]] == "password-reset"
    assert len(announced(factory)) == 3  # an ended session is not announced again


def test_deactivation_announces_every_session(factory):
    activated(factory)
    one, _ = signed_in(factory)
    two, _ = signed_in(factory)

    handlers.on_masterdata_event(factory, upserted(status="inactive"))

    assert ended(factory) == {one["session_id"]: "deactivated", two["session_id"]: "deactivated"}


def test_the_snapshot_holds_the_sessions_ended_within_a_token_s_lifetime(factory):
    activated(factory)
    old, _ = signed_in(factory)
    recent, ctx = signed_in(factory)
    handlers.revoke_session(factory, ctx, old["session_id"])
    handlers.logout(factory, ctx)
    # The first ended longer ago than an access token lives: none of its tokens can be valid any more.
    with unit_of_work(factory) as s:
        s.execute(update(repo.sessions).where(repo.sessions.c.id == old["session_id"])
                  .values(revoked_at=utcnow() - dt.timedelta(seconds=601)))

    snapshot = handlers.revoked_sessions(factory)

    assert [e["sid"] for e in snapshot["sessions"]] == [recent["session_id"]]
    until = parse_time(snapshot["sessions"][0]["until"])
    assert dt.timedelta(seconds=590) < until - parse_time(snapshot["as_of"]) <= dt.timedelta(seconds=600)


# --- single-use mail links ------------------------------------------------------------------------

def test_a_new_activation_link_makes_the_older_one_useless(factory):
    handlers.request_activation(factory, ANON, NIP, NIK, EMAIL)
    older = last_link(factory)
    handlers.request_activation(factory, ANON, NIP, NIK, EMAIL)
    newer = last_link(factory)

    with pytest.raises(DomainError) as refused:
        handlers.activate(factory, ANON, older, PASSWORD)
    assert refused.value.code == "token-invalid"
    assert handlers.activate(factory, ANON, newer, PASSWORD) == {"status": "activated"}


def test_an_activation_link_is_useless_once_the_account_is_active(factory):
    handlers.request_activation(factory, ANON, NIP, NIK, EMAIL)
    link = last_link(factory)
    # Activated another way meanwhile (e.g. by an admin's import of credentials or a reset).
    with unit_of_work(factory) as s:
        repo.set_credential(s, NIP, activated_at=utcnow())

    with pytest.raises(DomainError) as refused:
        handlers.activate(factory, ANON, link, "Another-Pass-2026")

    assert refused.value.code == "token-invalid"
    with factory() as s:
        assert repo.credential(s, NIP).password_hash is None  # the link set no password
    assert audit(factory, "account.activated")[-1]["detail"]["reason"] == "already-active"


def test_a_new_reset_link_makes_the_older_one_useless(factory):
    activated(factory)
    handlers.request_password_reset(factory, ANON, NIP, EMAIL)
    older = last_link(factory)
    handlers.request_password_reset(factory, ANON, NIP, EMAIL)
    newer = last_link(factory)

    with pytest.raises(DomainError) as refused:
        handlers.reset_password(factory, ANON, older, PASSWORD + "1")
    assert refused.value.code == "token-invalid"
    assert handlers.reset_password(factory, ANON, newer, PASSWORD + "2") == {"status": "password_changed"}


# --- replacing the authenticator ------------------------------------------------------------------

def enrolled(factory, ctx: RequestContext) -> tuple[pyotp.TOTP, list[str]]:
    started = handlers.mfa_enroll(factory, ctx)
    totp = pyotp.TOTP(started["secret"])
    confirmed = handlers.mfa_confirm(factory, ctx, totp.now())
    return totp, confirmed["recovery_codes"]


def test_replacing_an_authenticator_needs_its_current_code_not_only_a_fresh_sign_in(factory):
    activated(factory)
    _, ctx = signed_in(factory)
    totp, _ = enrolled(factory, ctx)

    with pytest.raises(DomainError) as refused:
        handlers.mfa_enroll(factory, ctx)
    assert refused.value.code == "mfa-proof-required" and refused.value.status == 403
    assert refused.value.errors[0].field == "code"
    with pytest.raises(DomainError) as wrong:
        handlers.mfa_enroll(factory, ctx, code="000000" if totp.now() != "000000" else "111111")
    assert wrong.value.code == "mfa-invalid"
    with unit_of_work(factory) as s:
        assert repo.guard(s, NIP, "totp").failures == 1  # counted like a sign-in, towards the lockout

    # The next step's code (the current one was used at enrolment, and replays are refused).
    replaced = handlers.mfa_enroll(factory, ctx, code=totp.at(time.time() + 30))
    assert replaced["secret"] != totp.secret


def test_a_recovery_code_also_allows_replacing_it_once(factory):
    activated(factory)
    _, ctx = signed_in(factory)
    _, codes = enrolled(factory, ctx)

    assert handlers.mfa_enroll(factory, ctx, recovery_code=codes[0])["secret"]
    with pytest.raises(DomainError) as again:
        handlers.mfa_enroll(factory, ctx, recovery_code=codes[0])
    assert again.value.code == "mfa-invalid"


# --- activation and reset requests per NIP --------------------------------------------------------

def test_the_limit_counts_within_a_sliding_window_and_says_when_to_come_back():
    rule = attempts.Rule(3, dt.timedelta(hours=1))
    start = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)
    times: tuple = ()
    for minute in (0, 10, 20):
        decision = attempts.admit(times, start + dt.timedelta(minutes=minute), rule)
        assert decision.admitted
        times = decision.times

    refused = attempts.admit(times, start + dt.timedelta(minutes=30), rule)
    assert not refused.admitted and refused.retry_after == 30 * 60
    assert refused.times == times  # a refusal is not counted
    later = attempts.admit(times, start + dt.timedelta(minutes=60, seconds=1), rule)
    assert later.admitted and len(later.times) == 3


@pytest.mark.parametrize("limit,window", [(0, 60), (5, 0)])
def test_a_limit_that_admits_nothing_is_refused(limit, window):
    with pytest.raises(ValueError):
        attempts.Rule(limit, dt.timedelta(seconds=window))


def guess(factory, nik: str, nip: str = NIP) -> DomainError | dict:
    try:
        return handlers.request_activation(factory, ANON, nip, nik, "guess@gmail.com")
    except DomainError as exc:
        return exc


def test_nik_guesses_are_limited_per_nip_and_the_answer_is_the_same_for_an_unknown_nip(factory, monkeypatch):
    monkeypatch.setenv("ACTIVATION_RESET_LIMIT", "5")
    answers = [guess(factory, f"317101010190{n:04d}") for n in range(2, 6)]
    assert [(a.code, a.status) for a in answers] == [("nik-not-matched", 403)] * 4  # said plainly, within the limit
    right = guess(factory, NIK)  # the 5th: within the limit, the email mismatch is said plainly
    assert isinstance(right, DomainError) and right.code == "email-not-matched"

    beyond = guess(factory, NIK)
    unknown = [guess(factory, "3171010101900009", nip="199912312020121999") for _ in range(6)][-1]

    assert isinstance(beyond, DomainError) and isinstance(unknown, DomainError)
    assert (beyond.code, beyond.status) == (unknown.code, unknown.status) == ("nip-rate-limited", 429)
    assert (beyond.detail, beyond.detail_id) == (unknown.detail, unknown.detail_id)
    assert 3500 < beyond.extra["retry_after"] <= 3600
    reasons = [e["detail"]["reason"] for e in audit(factory, "activation.requested") if e["nip"] == NIP]
    assert reasons == ["nik-not-matched"] * 4 + ["email-not-matched", "nip-rate-limited"]


def test_reset_requests_are_counted_apart_from_activation_and_audited_with_why(factory, monkeypatch):
    monkeypatch.setenv("ACTIVATION_RESET_LIMIT", "2")
    activated(factory)  # one activation request
    handlers.request_password_reset(factory, ANON, NIP, "someone@else.go.id")
    handlers.request_password_reset(factory, ANON, NIP, EMAIL)
    with pytest.raises(DomainError) as refused:
        handlers.request_password_reset(factory, ANON, NIP, EMAIL)

    assert refused.value.code == "nip-rate-limited" and refused.value.extra["retry_after"] > 0
    assert [(e["outcome"], (e["detail"] or {}).get("reason")) for e in audit(factory, "password.reset_requested")] \
        == [("refused", "email-not-matched"), ("ok", None), ("refused", "nip-rate-limited")]
    assert handlers.request_activation(factory, ANON, NIP, NIK, EMAIL) == {"status": "accepted"}  # its own count


def test_the_counts_live_in_the_database_and_old_rows_are_swept(factory, monkeypatch):
    monkeypatch.setenv("ACTIVATION_RESET_WINDOW", "60")
    guess(factory, "3171010101900002", nip="199912312020121999")
    with unit_of_work(factory) as s:
        s.execute(update(request_limits).values(last_at=utcnow() - dt.timedelta(seconds=61)))
    guess(factory, "3171010101900002")

    with factory() as s:
        assert [(r.nip, r.kind) for r in s.execute(select(request_limits))] == [(NIP, "activation")]
