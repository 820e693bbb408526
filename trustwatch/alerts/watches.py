"""Watches (`[[watches]]` of trustwatch.toml) and the `[alerts]` delivery settings.

A webhook URL may carry a secret (Slack's and Mattermost's do): it is held as a `SecretStr`,
so it never shows in a repr, a log line or a configuration dump, and only `mask_url` of it is
ever printed.
"""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from trustwatch.records import EVENT_TYPES

CHANNELS = ("webhook", "email", "feed")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def check_http_url(url: str) -> str:
    """The URL when it is an absolute http(s) URL; ValueError otherwise (without echoing it)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("the webhook is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("the webhook must be an http:// or https:// URL")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ValueError("the webhook URL contains spaces or control characters")
    return url


def mask_url(url: Optional[str | SecretStr]) -> str:
    """`https://hooks.example.com/…`: scheme and host only; paths and queries carry the secrets."""
    if url is None:
        return ""
    raw = url.get_secret_value() if isinstance(url, SecretStr) else str(url)
    try:
        parts = urlsplit(raw)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    return f"{parts.scheme}://{host}{port}/…"


class Watch(BaseModel):
    """Incidents of these parties (by canonical id) and types, reported by at least N sources."""

    model_config = ConfigDict(extra="forbid")

    name: str
    actors: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    min_sources: int = Field(default=1, ge=1)
    webhook: Optional[SecretStr] = None
    email: Optional[str] = None
    feed: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("a watch name is letters, digits, '.', '_' or '-' (at most 64)")
        return v

    @field_validator("types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        out = []
        for t in v:
            for part in t.split(","):
                part = part.strip().upper()
                if not part:
                    continue
                if part not in EVENT_TYPES:
                    raise ValueError(f"unknown incident type {part!r}; choose from {', '.join(EVENT_TYPES)}")
                if part not in out:
                    out.append(part)
        return out

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, v: Optional[SecretStr]) -> Optional[SecretStr]:
        if v is None or not v.get_secret_value().strip():
            return None
        return SecretStr(check_http_url(v.get_secret_value()))

    @field_validator("email")
    @classmethod
    def _email(cls, v: Optional[str]) -> Optional[str]:
        if v is None or not v.strip():
            return None
        if not _EMAIL.match(v.strip()):
            raise ValueError(f"not a mail address: {v!r}")
        return v.strip()

    @property
    def channels(self) -> list[str]:
        return [c for c, on in (("webhook", self.webhook is not None), ("email", self.email is not None),
                                ("feed", self.feed)) if on]

    def describe(self) -> str:
        what = ", ".join(self.actors) or "any party"
        if self.types:
            what += f"; {', '.join(self.types)}"
        if self.min_sources > 1:
            what += f"; at least {self.min_sources} sources"
        return what


class AlertSettings(BaseModel):
    """`[alerts]`: how alerts are delivered. The SMTP password comes from TRUSTWATCH_SMTP_PASSWORD."""

    model_config = ConfigDict(extra="forbid")

    feed_dir: str = "alerts"
    smtp_host: Optional[str] = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: Optional[str] = None
    mail_from: str = "trustwatch@localhost"
    timeout: float = Field(default=10.0, gt=0)
    #: attempts per delivery in one run (a delivery still pending is tried again by the next run)
    attempts_per_run: int = Field(default=3, ge=1)
    #: seconds before the second attempt; each later one waits twice as long
    retry_backoff: float = Field(default=2.0, ge=0)
