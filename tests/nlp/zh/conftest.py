import pytest

from trustwatch.nlp import gazetteer


@pytest.fixture(autouse=True)
def _no_user_actors(monkeypatch):
    monkeypatch.delenv(gazetteer.ENV_VAR, raising=False)


@pytest.fixture(scope="session")
def zh():
    """Events of one Chinese text (published 2022-02-24 unless told otherwise)."""
    from trustwatch.nlp.zh.pipeline import extract_zh, get_zh_pipeline

    nlp = get_zh_pipeline()

    def run(text, published="2022-02-24"):
        return extract_zh(text, published, nlp)
    return run


def one(events, type_):
    found = [e for e in events if e["type"] == type_]
    assert len(found) == 1, (type_, events)
    return found[0]
