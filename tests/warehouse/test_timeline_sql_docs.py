"""Every example query of docs/sql.md runs against a populated warehouse and answers something."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from trustwatch.config import Config
from trustwatch.warehouse import actors as actors_module
from trustwatch.warehouse.db import open_connection
from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import build_incidents
from trustwatch.warehouse.process import process
from trustwatch.warehouse.queries import run_query

from tests.warehouse.wh_helpers import add_documents, event, fixture_extractor, fixture_warehouse

DOC = Path(__file__).resolve().parents[2] / "docs" / "sql.md"

#: a small gazetteer, so that the test does not depend on the packaged one
KNOWN = {
    "kuaishou": ("Kuaishou", "platform", "CN"), "taobao": ("Taobao", "marketplace", "CN"),
    "jd": ("JD.com", "marketplace", "CN"), "didi": ("Didi", "platform", "CN"),
    "cac": ("Cyberspace Administration of China", "regulator", "CN"),
}
ALIASES = {"kuaishou": "kuaishou", "taobao": "taobao", "jd.com": "jd", "jd": "jd", "didi": "didi",
           "didi global": "didi", "cyberspace administration of china": "cac"}


def sql_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sql\n(.*?)```", text, re.S)]


@pytest.fixture()
def populated(tmp_path, monkeypatch):
    monkeypatch.setattr(actors_module, "_lookup", lambda text: ALIASES.get(text.strip().lower()))
    monkeypatch.setattr(actors_module, "_gazetteer", lambda: None)
    db = tmp_path / "wh.duckdb"
    con = fixture_warehouse(db, "*.jsonl")
    for actor_id, (name, kind, country) in KNOWN.items():
        con.execute("INSERT INTO actors (actor_id, name, kind, country, aliases, provisional) "
                    "VALUES (?, ?, ?, ?, [?], FALSE)", [actor_id, name, kind, country, name]).fetchall()
    cfg = Config()
    cfg.db_override = str(db)
    process(cfg, con, extractor=fixture_extractor())
    add_documents(con, [("x-didi-1", "finance-desk", "2022-07-21T12:00:00"),
                        ("x-didi-2", "policy-daily", "2022-07-22T08:00:00"),
                        ("x-plan", "shopper-report", "2024-02-20T08:00:00")])
    load_events(con, ["x-didi-1", "x-didi-2", "x-plan"], [
        event("x-didi-1", "FINE", "Cyberspace Administration of China", "Didi Global",
              amount=(8.026e9, "CNY"), date="2022-07-21"),
        event("x-didi-2", "FINE", "Cyberspace Administration of China", "Didi", amount=(8.026e9, "CNY")),
        event("x-didi-2", "BAN", "Apple", "Didi", status="negated", start=90),
        event("x-plan", "BAN", "Glimmerly", "counterfeit sellers", status="planned", date="2024-03-01"),
    ], "extra")
    build_incidents(con)
    con.close()
    ro = open_connection(db, read_only=True)
    yield ro
    ro.close()


def test_the_documentation_has_at_least_ten_examples():
    assert len(sql_blocks(DOC.read_text(encoding="utf-8"))) >= 10


def test_every_example_query_runs_and_returns_rows(populated):
    for n, sql in enumerate(sql_blocks(DOC.read_text(encoding="utf-8")), 1):
        table = run_query(populated, sql)
        assert table.num_columns > 0, f"example {n} returned no columns"
        assert table.num_rows > 0, f"example {n} returned no rows:\n{sql}"


def test_the_chinese_platform_fines_example_answers_exactly(populated):
    sql = sql_blocks(DOC.read_text(encoding="utf-8"))[0]
    rows = run_query(populated, sql).to_pylist()
    assert [(r["target"], r["amount_value"], r["amount_currency"], r["n_sources"]) for r in rows] == \
        [("Didi", 8.026e9, "CNY", 2)]


def test_the_storyline_example_lists_the_kuaishou_story_in_order(populated):
    sql = sql_blocks(DOC.read_text(encoding="utf-8"))[2]
    rows = run_query(populated, sql).to_pylist()
    assert [r["type"] for r in rows] == ["FINE", "BAN", "APOLOGY", "COMPENSATION", "BLOCK", "BLOCK"]
