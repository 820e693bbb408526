"""Watches and alerts: the outbox written with the incidents, delivered exactly once per channel."""
from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from tests.core.receivers import Mailbox, Webhook, free_port
from tests.warehouse.wh_helpers import add_documents, event
from trustwatch.alerts.deliver import deliver_pending
from trustwatch.alerts.outbox import AlertOutbox
from trustwatch.alerts.watches import AlertSettings, Watch
from trustwatch.cli import app
from trustwatch.warehouse.db import connect, open_connection
from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.incidents import build_incidents

runner = CliRunner()
SETTINGS = dict(retry_backoff=0.0, attempts_per_run=2, timeout=5.0)


def _settings(tmp_path, mail_port=None) -> AlertSettings:
    extra = {"smtp_host": "127.0.0.1", "smtp_port": mail_port} if mail_port else {}
    return AlertSettings(feed_dir=str(tmp_path / "feeds"), **SETTINGS, **extra)


def _load(db, docs, events, watches):
    """Store documents and events, rebuild the incidents with the outbox; alerts written."""
    con = open_connection(db)
    try:
        if docs:
            add_documents(con, docs)
        load_events(con, [d for d, _, _ in docs], events, "test-1")
        outbox = AlertOutbox(watches)
        build_incidents(con, hooks=[outbox])
        return outbox.written
    finally:
        con.close()


def _deliver(db, watches, settings):
    return deliver_pending(watches, settings, lambda: connect(db))


def _fine(doc, source_amount=(5e6, "CNY"), actor="SAMR", target="Kuaishou", target_id="kuaishou"):
    return event(doc, "FINE", actor, target, amount=source_amount, date="2026-03-02", target_id=target_id,
                 sentence=f"{actor} fined {target} over live-stream sales ({doc}).")


def test_alert_arrives_once_by_webhook_mail_and_feed_and_a_rerun_sends_nothing(tmp_path):
    db = tmp_path / "wh.duckdb"
    with Webhook() as hook, Mailbox() as mail:
        watch = Watch(name="kuaishou", actors=["Kuaishou"], webhook=hook.url, email="analyst@example.org",
                      feed=True)
        settings = _settings(tmp_path, mail.port)
        assert _load(db, [("d1", "wire-a", "2026-03-02T08:00:00")], [_fine("d1")], [watch]) == 1
        report = _deliver(db, [watch], settings)
        assert (report.delivered, report.pending) == (3, 0)
        assert len(hook.received) == 1 and len(mail.messages) == 1
        body = hook.received[0]
        assert "FINE" in body["text"] and "Kuaishou" in body["text"]  # Slack/Mattermost `text`
        assert body["trustwatch"]["incident"]["amount_currency"] == "CNY"
        assert body["trustwatch"]["reasons"] == ["new"]
        assert body["trustwatch"]["incident"]["links"] == ["https://wire-a.example/d1"]
        assert mail.messages[0]["To"] == "analyst@example.org"
        assert body["trustwatch"]["alert_id"] in mail.messages[0]["Message-ID"]
        feed = (tmp_path / "feeds" / "kuaishou.atom").read_text()
        assert feed.count("<entry>") == 1 and body["trustwatch"]["alert_id"] in feed

        # the same events again, and another delivery round: nothing new is sent
        assert _load(db, [], [_fine("d1")], [watch]) == 0
        again = _deliver(db, [watch], settings)
        assert (again.delivered, again.pending) == (0, 0)
        assert len(hook.received) == 1 and len(mail.messages) == 1


def test_a_new_source_and_a_changed_amount_alert_again_once(tmp_path):
    db = tmp_path / "wh.duckdb"
    watch = Watch(name="kuaishou", actors=["Kuaishou"], feed=True)
    settings = _settings(tmp_path)
    _load(db, [("d1", "wire-a", "2026-03-02T08:00:00")], [_fine("d1")], [watch])
    written = _load(db, [("d2", "paper-b", "2026-03-03T08:00:00")],
                    [_fine("d1"), _fine("d2")], [watch])
    assert written == 1
    _deliver(db, [watch], settings)
    with connect(db) as con:
        reasons = [r[0] for r in con.execute("SELECT reasons FROM alerts ORDER BY created_at, alert_id").fetchall()]
    assert ["sources"] in reasons and ["new"] in reasons
    assert (tmp_path / "feeds" / "kuaishou.atom").read_text().count("<entry>") == 2


@pytest.mark.parametrize("failure", ["http-500", "refused"])
def test_a_failed_delivery_arrives_on_the_next_run_and_only_then(tmp_path, failure):
    db = tmp_path / "wh.duckdb"
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/T000/SECRET-TOKEN-42"
    watch = Watch(name="w", actors=["Kuaishou"], webhook=url)
    _load(db, [("d1", "wire-a", "2026-03-02T08:00:00")], [_fine("d1")], [watch])
    if failure == "http-500":
        with Webhook(statuses=[500, 500], port=port) as hook:  # both attempts of this run fail
            first = _deliver(db, [watch], _settings(tmp_path))
        assert hook.received == [] and hook.attempts == 2
    else:  # nothing listens on the port yet
        first = _deliver(db, [watch], _settings(tmp_path))
    assert (first.delivered, first.pending) == (0, 1)
    with connect(db) as con:
        assert con.execute("SELECT state, attempts FROM alert_deliveries").fetchall() == [("pending", 2)]

    with Webhook(port=port) as hook:  # the next run
        second = _deliver(db, [watch], _settings(tmp_path))
        third = _deliver(db, [watch], _settings(tmp_path))
    assert (second.delivered, second.pending) == (1, 0)
    assert (third.delivered, third.pending) == (0, 0)
    assert len(hook.received) == 1


def test_a_watch_on_kuaishou_fires_on_an_incident_whose_party_is_written_in_chinese(tmp_path):
    db = tmp_path / "wh.duckdb"
    kuaishou = Watch(name="ks", actors=["Kuaishou"], feed=True)
    other = Watch(name="other", actors=["Douyin"], feed=True)
    fines = Watch(name="fines-only", actors=["快手"], types=["BAN"], feed=True)
    written = _load(db, [("z1", "zh-wire", "2026-03-02T08:00:00")],
                    [_fine("z1", actor="市场监管总局", target="快手", target_id="kuaishou")],
                    [kuaishou, other, fines])
    assert written == 1
    with connect(db) as con:
        assert con.execute("SELECT watch FROM alerts").fetchall() == [("ks",)]


def test_min_sources_waits_for_the_second_source(tmp_path):
    db = tmp_path / "wh.duckdb"
    watch = Watch(name="w", actors=["Kuaishou"], min_sources=2, feed=True)
    assert _load(db, [("d1", "wire-a", "2026-03-02T08:00:00")], [_fine("d1")], [watch]) == 0
    assert _load(db, [("d2", "paper-b", "2026-03-03T08:00:00")], [_fine("d1"), _fine("d2")], [watch]) == 1


def _write_config(tmp_path, body: str):
    path = tmp_path / "trustwatch.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_secret_webhook_url_never_appears_in_logs_or_the_alerts_listing(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    monkeypatch.delenv("TRUSTWATCH_DB", raising=False)
    secret = "SECRET-TOKEN-42"
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/T000/{secret}"
    _write_config(tmp_path, "[alerts]\nretry_backoff = 0\nattempts_per_run = 1\n")
    result = runner.invoke(app, ["watch", "add", "ks", "--actor", "Kuaishou", "--webhook", url])
    assert result.exit_code == 0, result.output
    assert secret not in result.output and "127.0.0.1" in result.output
    listing = runner.invoke(app, ["watch", "list"])
    assert listing.exit_code == 0 and secret not in listing.output and "ks" in listing.output

    from trustwatch.config import load_config
    config = load_config()
    assert secret not in repr(config) and secret not in config.model_dump_json()
    db = tmp_path / "trustwatch.duckdb"
    caplog.set_level(logging.DEBUG)
    _load(db, [("d1", "wire-a", "2026-03-02T08:00:00")], [_fine("d1")], config.watches)
    _deliver(db, config.watches, config.alerts)  # refused: nothing listens on the port
    assert "not delivered" in caplog.text and secret not in caplog.text

    shown = runner.invoke(app, ["alerts"])
    assert shown.exit_code == 0, shown.output
    assert "webhook: pending" in shown.output and secret not in shown.output
    as_json = runner.invoke(app, ["alerts", "--json"])
    assert secret not in as_json.output and json.loads(as_json.output.splitlines()[0])["watch"] == "ks"
    with connect(db) as con:
        stored = con.execute("SELECT string_agg(CAST(payload AS VARCHAR) || coalesce(last_error, ''), ' ') "
                             "FROM alerts JOIN alert_deliveries USING (alert_id)").fetchone()[0]
    assert secret not in stored


def test_watch_commands_refuse_non_http_targets_without_echoing_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    _write_config(tmp_path, "")
    bad = runner.invoke(app, ["watch", "add", "x", "--webhook", "file:///etc/SECRET-passwd"])
    assert bad.exit_code == 2 and "http" in bad.output and "SECRET" not in bad.output
    assert runner.invoke(app, ["watch", "add", "x", "--actor", "Kuaishou"]).exit_code == 2  # nowhere to send
    assert runner.invoke(app, ["watch", "add", "x", "--type", "NOPE", "--feed"]).exit_code == 2
    ok = runner.invoke(app, ["watch", "add", "x", "--actor", "Kuaishou", "--type", "fine,ban", "--feed",
                             "--email", "a@example.org", "--min-sources", "2"])
    assert ok.exit_code == 0, ok.output
    from trustwatch.config import load_config
    (w,) = load_config().watches
    assert (w.actors, w.types, w.min_sources, w.email, w.feed) == (["Kuaishou"], ["FINE", "BAN"], 2,
                                                                    "a@example.org", True)
    assert runner.invoke(app, ["watch", "add", "x", "--feed"]).exit_code == 2  # the name is taken
    assert runner.invoke(app, ["watch", "remove", "x"]).exit_code == 0
    assert load_config().watches == []
    assert runner.invoke(app, ["watch", "remove", "x"]).exit_code == 2
