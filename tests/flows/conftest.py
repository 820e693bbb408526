"""Fixtures of the orchestration tests: a Prefect test server (started once), a feed server
on 127.0.0.1 and configurations pointing at it."""
from __future__ import annotations

import pytest

import trustwatch.flows  # noqa: F401  (Prefect defaults before prefect is imported)
from tests.flows.feedserver import FeedServer


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session: it takes half a minute to start."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture(scope="module")
def feed_server():
    with FeedServer() as server:
        yield server
