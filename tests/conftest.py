"""Shared fixtures. The shared corpus is found through one setting, TRUSTWATCH_SHARED
(default ../shared beside the checkout); tests that need it are skipped, loudly, without it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRUSTWATCH_SHARED", REPO.parent / "shared")).resolve()
_skipped_for_corpus: list[str] = []


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared folder (corpus/, eval/, schema/)."""
    if not (SHARED / "corpus").is_dir():
        _skipped_for_corpus.append("x")
        pytest.skip(f"SHARED CORPUS NOT FOUND at {SHARED} (set TRUSTWATCH_SHARED): test skipped")
    return SHARED


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpus"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _skipped_for_corpus:
        terminalreporter.write_sep(
            "!", f"{len(_skipped_for_corpus)} test(s) SKIPPED: shared corpus missing at {SHARED}",
            red=True, bold=True)
