"""A report over incidents grouped by the warehouse's own code, not hand-written rows."""
from __future__ import annotations

import pytest

from tests.core.report_fixtures import fixture_events, insert_rows
from trustwatch.report.data import build_report
from trustwatch.report.render import render_html, render_markdown
from trustwatch.warehouse.db import open_connection

incidents_mod = pytest.importorskip("trustwatch.warehouse.incidents")
events_mod = pytest.importorskip("trustwatch.warehouse.events")


def test_report_over_grouped_incidents(tmp_path):
    spec, documents, events = fixture_events()
    con = open_connection(tmp_path / "w.duckdb")
    insert_rows(con, "sources", [dict(name=s["name"], url=s["url"], kind=s["kind"]) for s in spec["sources"]])
    insert_rows(con, "actors", [dict(actor_id=a["actor_id"], name=a["name"], kind=a.get("kind"),
                                     aliases=a.get("aliases", [])) for a in spec["actors"]])
    insert_rows(con, "documents", documents)
    events_mod.load_events(con, [d["doc_id"] for d in documents], events, spec["extractor_version"])
    incidents_mod.build_incidents(con)
    data = build_report(con)
    con.close()

    assert data.incidents, "the grouped warehouse produced no incidents"
    quoted = {ev.sentence for it in data.incidents for ev in it.evidence}
    assert quoted == {e.sentence for e in events}  # every sentence is evidence of some incident
    assert {it.type for it in data.incidents} == {e.type for e in events}
    assert all(it.n_documents >= 1 and it.first_seen for it in data.incidents)
    fine = next(it for it in data.incidents if it.type == "FINE")
    assert fine.amount_display == "EUR 4.2 million" and fine.actor.name == "Eastmark Data Protection Board"
    assert data.extractor_versions == [spec["extractor_version"]]
    html, md = render_html(data), render_markdown(data)
    for it in data.incidents:
        assert it.anchor in html
    assert "## Incidents" in md
