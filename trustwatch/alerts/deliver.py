"""Delivering the outbox: every pending (alert, channel) is tried, retried, and recorded.

Pending deliveries are read under the warehouse lock, sent without it (a slow webhook never
blocks another run's writes), and their outcomes recorded under it again. A delivery that
fails stays pending and is tried again by the next run; one that succeeded is never sent
again. Between the send and the record a crash could repeat one message: each carries the
alert id (JSON `alert_id`, mail Message-ID, Atom entry id) so a receiver can drop the repeat.
"""
from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Callable, Optional

import duckdb

from trustwatch.alerts.atom import write_feed
from trustwatch.alerts.channels import DeliveryError, post_webhook, send_mail
from trustwatch.alerts.watches import AlertSettings, Watch, mask_url
from trustwatch.records import utcnow
from trustwatch.warehouse.alerts import Delivery, feed_entries, pending_deliveries, record_delivery

log = logging.getLogger(__name__)

Writer = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass
class DeliveryReport:
    delivered: int = 0
    pending: int = 0       # still to be delivered (tried again by the next run)
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Outcome:
    delivery: Delivery
    attempts: int = 0
    delivered: bool = False
    error: Optional[str] = None
    state: Optional[str] = None


def _send(delivery: Delivery, watch: Watch, settings: AlertSettings) -> None:
    payload = delivery.payload
    if delivery.channel == "webhook":
        post_webhook(watch.webhook.get_secret_value(), payload, settings.timeout)
    elif delivery.channel == "email":
        send_mail(settings, watch.email, delivery.title, payload.get("text", ""), delivery.alert_id)
    else:  # pragma: no cover - feeds are written in bulk
        raise DeliveryError(f"unknown channel {delivery.channel!r}", transient=False)


def _try(delivery: Delivery, watch: Watch, settings: AlertSettings,
         sleep: Callable[[float], None]) -> _Outcome:
    outcome = _Outcome(delivery)
    for attempt in range(settings.attempts_per_run):
        if attempt:
            sleep(settings.retry_backoff * 2 ** (attempt - 1))
        outcome.attempts += 1
        try:
            _send(delivery, watch, settings)
        except DeliveryError as exc:
            outcome.error = str(exc)
            if not exc.transient:
                break
            continue
        outcome.delivered, outcome.error = True, None
        break
    return outcome


def deliver_pending(watches: list[Watch], settings: AlertSettings, writer: Writer,
                    sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Send what the outbox holds; `writer()` opens the warehouse for writing (a context manager)."""
    report = DeliveryReport()
    with writer() as con:
        deliveries = pending_deliveries(con)
    if not deliveries:
        return report
    by_name = {w.name: w for w in watches}
    outcomes: list[_Outcome] = []
    feeds: dict[str, list[Delivery]] = {}
    for d in deliveries:
        watch = by_name.get(d.watch)
        if watch is None or d.channel not in watch.channels:
            outcomes.append(_Outcome(d, state="cancelled",
                                     error=f"watch {d.watch!r} no longer sends to {d.channel}"))
            continue
        if d.channel == "feed":
            feeds.setdefault(d.watch, []).append(d)
            continue
        outcome = _try(d, watch, settings, sleep)
        outcomes.append(outcome)
        if not outcome.delivered:
            target = mask_url(watch.webhook) if d.channel == "webhook" else watch.email
            log.warning("alert %s (watch %s) not delivered by %s to %s: %s; the next run tries again",
                        d.alert_id, d.watch, d.channel, target, outcome.error)
    now = utcnow()
    with writer() as con:
        for o in outcomes:
            record_delivery(con, o.delivery.alert_id, o.delivery.channel, attempts=o.attempts,
                            delivered=o.delivered, error=o.error, at=now, state=o.state)
        for name, items in feeds.items():
            try:
                write_feed(settings.feed_dir, name, feed_entries(con, name), now)
                ok, error = True, None
            except OSError as exc:
                ok, error = False, f"cannot write the feed of {name}: {exc}"
                log.warning("%s; the next run tries again", error)
            for d in items:
                record_delivery(con, d.alert_id, "feed", attempts=1, delivered=ok, error=error, at=now)
                outcomes.append(_Outcome(d, attempts=1, delivered=ok, error=error))
    for o in outcomes:
        if o.state == "cancelled":
            report.cancelled += 1
        elif o.delivered:
            report.delivered += 1
        else:
            report.pending += 1
            report.errors.append(f"{o.delivery.watch}/{o.delivery.channel}: {o.error}")
    return report


def deliver_for_config(config) -> DeliveryReport:
    """`deliver_pending` with the watches, settings and warehouse of a configuration."""
    from trustwatch.warehouse.writer import warehouse_writer

    if not config.watches:
        return DeliveryReport()
    return deliver_pending(config.watches, config.alerts,
                           lambda: warehouse_writer(config.db_path, timeout=config.warehouse.lock_timeout))
