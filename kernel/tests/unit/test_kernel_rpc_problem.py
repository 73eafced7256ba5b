"""A DomainError crosses the bus as an RpcProblem with its JSON types intact."""

from nameko.exceptions import deserialize, serialize

from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.rpc import RpcProblem


def test_numbers_and_nesting_survive_nameko_serialisation():
    problem = DomainError(code="supervisor-skp-missing", status=409, title="No SKP", detail="d", detail_id="i",
                          extra={"retry_after": 42, "finding": {"year": 2026, "blocks": ["skp"], "ok": False}}
                          ).to_problem()
    arrived = deserialize(serialize(RpcProblem(problem)))
    assert isinstance(arrived, RpcProblem)
    assert arrived.problem == problem and arrived.status == 409
    assert arrived.problem["finding"]["year"] == 2026 and arrived.problem["retry_after"] == 42
