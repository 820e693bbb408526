"""Alerts from the scheduled flows: written with the incidents, delivered after, retried next run."""
from __future__ import annotations

from tests.core.receivers import Webhook
from tests.flows.flowhelpers import query, write_config
from tests.warehouse.wh_helpers import add_documents, event
from trustwatch.warehouse.db import open_connection
from trustwatch.warehouse.events import load_events


def test_build_incidents_flow_alerts_once_and_retries_a_failed_webhook_on_the_next_run(prefect_harness, tmp_path):
    from trustwatch.flows.monitor import build_incidents

    with Webhook(statuses=[503]) as hook:
        config = write_config(tmp_path, [], extra=(
            "[alerts]\nattempts_per_run = 1\nretry_backoff = 0\n"
            f'[[watches]]\nname = "ks"\nactors = ["快手"]\nwebhook = "{hook.url}"\n'))
        db = tmp_path / "tw.duckdb"
        con = open_connection(db)
        add_documents(con, [("d1", "wire", "2026-03-02T08:00:00")])
        load_events(con, ["d1"], [event("d1", "FINE", "SAMR", "Kuaishou", target_id="kuaishou",
                                        amount=(5e6, "CNY"), date="2026-03-02")], "test-1")
        con.close()

        first = build_incidents(config_path=str(config), return_state=True).result()
        assert first["alerts"] == 1 and first["alerts_pending"] == 1 and hook.received == []
        second = build_incidents(config_path=str(config), return_state=True).result()
        assert second["alerts"] == 0 and second["alerts_delivered"] == 1
        third = build_incidents(config_path=str(config), return_state=True).result()
        assert third["alerts"] == 0 and third["alerts_delivered"] == 0 and third["alerts_pending"] == 0

    assert len(hook.received) == 1 and hook.attempts == 2
    assert hook.received[0]["trustwatch"]["incident"]["target_id"] == "kuaishou"
    assert query(db, "SELECT channel, state, attempts FROM alert_deliveries") == [("webhook", "delivered", 2)]
    runs = query(db, "SELECT errors FROM runs ORDER BY started_at")
    assert all("SECRET-TOKEN" not in (r[0] or "") for r in runs)
