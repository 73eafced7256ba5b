"""Idempotency keys on a real SQLite file: the first request of a key is recorded with its
fingerprint; the same request again gets the first answer; another request with the key is 422
idempotency-key-reused naming the key; a key is its caller's own."""

import pytest
from harian_contract.submission import submission_id
from sqlalchemy import func, select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from harian.idempotency import claim_submission
from harian.tables import submission_keys

ANA, BEN = "198002142005042002", "198609262015051001"
FIRST, OTHER = "a" * 64, "b" * 64


@pytest.fixture
def factory(harian_db):
    """An empty harian database: a key is claimed first here."""
    return harian_db


def ctx(nip=ANA):
    return RequestContext(caller=Caller(nip=nip))


def test_the_first_request_of_a_key_is_recorded_and_a_retry_gets_its_answer(factory):
    first = claim_submission(factory, ctx(), "key-1", FIRST, "2026-03-04", "2026-03-04T01:00:00+00:00")
    again = claim_submission(factory, ctx(), "key-1", FIRST, "2026-03-04", "2026-03-04T01:00:09+00:00")

    assert first == {"id": submission_id(ANA, "key-1"), "date": "2026-03-04",
                     "accepted_at": "2026-03-04T01:00:00+00:00", "first": True}
    assert again == {**first, "first": False}  # the first acceptance time, not the retry's
    with factory() as s:
        assert s.execute(select(func.count()).select_from(submission_keys)).scalar() == 1


def test_the_same_key_with_another_request_is_422_naming_the_key(factory):
    claim_submission(factory, ctx(), "key-1", FIRST, "2026-03-04", "2026-03-04T01:00:00+00:00")

    with pytest.raises(DomainError) as refused:
        claim_submission(factory, ctx(), "key-1", OTHER, "2026-03-03", "2026-03-04T01:05:00+00:00")

    problem = refused.value.to_problem()
    assert (problem["status"], problem["code"], problem["idempotency_key"]) == (422, "idempotency-key-reused", "key-1")
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("Idempotency-Key", "reused-with-another-request")]
    assert "key-1" in problem["detail"] and "key-1" in problem["detail_id"]


def test_a_key_belongs_to_its_caller(factory):
    ana = claim_submission(factory, ctx(ANA), "key-1", FIRST, "2026-03-04", "2026-03-04T01:00:00+00:00")
    ben = claim_submission(factory, ctx(BEN), "key-1", OTHER, "2026-03-04", "2026-03-04T01:00:00+00:00")

    assert ana["first"] and ben["first"] and ana["id"] != ben["id"]


@pytest.mark.parametrize("key, fingerprint, accepted_at, field", [
    ("", FIRST, "2026-03-04T01:00:00+00:00", "Idempotency-Key"),
    ("has space", FIRST, "2026-03-04T01:00:00+00:00", "Idempotency-Key"),
    ("k", "not-a-hash", "2026-03-04T01:00:00+00:00", "fingerprint"),
    ("k", FIRST, "yesterday", "accepted_at"),
])
def test_a_malformed_claim_is_422_and_records_nothing(factory, key, fingerprint, accepted_at, field):
    with pytest.raises(DomainError) as refused:
        claim_submission(factory, ctx(), key, fingerprint, "2026-03-04", accepted_at)

    assert refused.value.status == 422 and [e.field for e in refused.value.errors] == [field]
    with factory() as s:
        assert s.execute(select(func.count()).select_from(submission_keys)).scalar() == 0
