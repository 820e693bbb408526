"""Network retries: a short first retry, a budget per run, none when the machine looks offline."""
from __future__ import annotations

from prefect.states import Failed

from trustwatch.flows import tasks
from trustwatch.flows.crawling import NetworkError, describe_network_error


def _no_response(source: str, message: str, attempt: int = 1, run_id: str = "run-1") -> NetworkError:
    exc = NetworkError(f"{source}: {message}")
    exc.attempt, exc.run_id, exc.source = attempt, run_id, source
    return exc


def test_the_first_retry_comes_soon_and_later_ones_wait_longer():
    delays = tasks.retry_delays(tasks.DEFAULT_RETRY_BACKOFF, 3)
    assert len(delays) == 3 and delays == sorted(delays) and delays[0] < delays[-1]
    assert tasks.retry_delays(0, 2) == [0.0]


def test_a_host_that_does_not_resolve_is_retried_once_only():
    budget = tasks.RetryBudget(sources=20)
    budget.note_answer()  # the network works: another source answered
    dns = "DNS lookup failed: host feeds.nonexistent.invalid not found"
    assert budget.take("nowhere", _no_response("nowhere", dns, attempt=1)) is True
    assert budget.take("nowhere", _no_response("nowhere", dns, attempt=2)) is False
    # a refused connection may use the rest of the budget
    assert budget.take("refused", _no_response("refused", "connection refused", attempt=2)) is True


def test_a_run_retries_only_a_share_of_its_sources():
    budget = tasks.RetryBudget(sources=8)
    budget.note_answer()
    granted = [budget.take(f"s{i}", _no_response(f"s{i}", "connection refused")) for i in range(8)]
    assert granted.count(True) == max(tasks.MIN_RUN_RETRIES, 2)
    assert granted[:granted.count(True)] == [True] * granted.count(True)


def test_no_retry_when_no_source_answered_at_all():
    budget = tasks.RetryBudget(sources=20)
    decisions = [budget.take(f"s{i}", _no_response(f"s{i}", "connection refused"))
                 for i in range(tasks.OFFLINE_AFTER + 2)]
    assert budget.offline
    assert decisions[-2:] == [False, False]
    assert decisions.count(True) == tasks.OFFLINE_AFTER - 1  # granted before it looked offline


def test_one_answering_source_means_the_machine_is_not_offline():
    budget = tasks.RetryBudget(sources=40)
    budget.note_answer()
    assert all(budget.take(f"s{i}", _no_response(f"s{i}", "connection refused"))
               for i in range(tasks.OFFLINE_AFTER + 2))
    assert not budget.offline


def test_the_retry_condition_draws_on_the_run_budget():
    budget = tasks.open_retry_budget("run-b", sources=1)
    try:
        budget.note_answer()
        decide = [tasks.retry_on_network_error(None, None, Failed(data=_no_response("a", "connection refused",
                                                                                     run_id="run-b")))
                  for _ in range(tasks.MIN_RUN_RETRIES + 1)]
        assert decide == [True] * tasks.MIN_RUN_RETRIES + [False]
    finally:
        tasks.close_retry_budget("run-b")


def test_a_dns_failure_is_said_plainly():
    said = describe_network_error("CannotResolveHostError: DNS lookup failed: no results for hostname "
                                  "lookup: feeds.nonexistent.invalid.")
    assert said == "DNS lookup failed: host feeds.nonexistent.invalid not found"
    assert NetworkError(f"x: {said}").unresolved_host
    assert describe_network_error("connection refused") == "connection refused"
    assert not NetworkError("x: connection refused").unresolved_host
