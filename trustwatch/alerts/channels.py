"""Sending one alert: a JSON POST to a webhook, or a mail through the configured SMTP server.

Each sender returns nothing on success and raises `DeliveryError` otherwise, saying whether a
retry may help (time-out, refused, 5xx, 429) or not (4xx, a redirect). Error texts name the
webhook only by `mask_url`: the URL itself may carry a secret.
"""
from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from trustwatch.alerts.watches import AlertSettings, check_http_url, mask_url

USER_AGENT = "trustwatch-alerts"


class DeliveryError(RuntimeError):
    def __init__(self, message: str, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured; following it would resend the body elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ARG002
        return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = (urllib.request.urlparse(url).hostname or "").lower()
    handlers: list[Any] = [_NoRedirect()]
    if host in ("127.0.0.1", "localhost", "::1"):
        handlers.append(urllib.request.ProxyHandler({}))  # a local receiver is never behind a proxy
    return urllib.request.build_opener(*handlers)


def post_webhook(url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST the payload as JSON; any 2xx is success."""
    masked = mask_url(url)
    try:
        check_http_url(url)
    except ValueError as exc:
        raise DeliveryError(f"{masked}: {exc}", transient=False) from None
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT})
    try:
        with _opener(url).open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{masked}: no response ({str(reason).replace(url, masked)})") from None
    if 200 <= status < 300:
        return
    transient = status >= 500 or status in (408, 425, 429)
    raise DeliveryError(f"{masked}: HTTP {status}", transient=transient)


def send_mail(settings: AlertSettings, to: str, subject: str, text: str, message_id: str) -> None:
    """One plain-text mail; the Message-ID is the alert's, so a mail reader can spot a repeat."""
    if not settings.smtp_host:
        raise DeliveryError("no SMTP server: set [alerts] smtp_host in trustwatch.toml", transient=False)
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())[:200]
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{message_id}@trustwatch>"
    msg.set_content(text)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_ssl:
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
        with client:
            if settings.smtp_starttls and not settings.smtp_ssl:
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                client.login(settings.smtp_username, os.environ.get("TRUSTWATCH_SMTP_PASSWORD", ""))
            client.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"mail server {where}: {exc.smtp_code} {exc.smtp_error!r}",
                            transient=exc.smtp_code >= 400 and exc.smtp_code < 500) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"mail server {where}: {type(exc).__name__}: {exc}") from None
