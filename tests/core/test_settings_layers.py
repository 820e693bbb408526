"""Settings layers: defaults < file < TRUSTWATCH_* environment < command line."""
from __future__ import annotations

import pytest

from trustwatch.config import Config, ConfigError, load_config


def test_environment_overrides_the_file_and_the_command_line_overrides_both(tmp_path, monkeypatch):
    path = tmp_path / "trustwatch.toml"
    path.write_text('[warehouse]\npath = "from-file.duckdb"\nlock_timeout = 5\n\n[crawl]\ntimeout = 20\n',
                    encoding="utf-8")
    for name in ("TRUSTWATCH_DB", "TRUSTWATCH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert load_config(path).db_path.name == "from-file.duckdb"
    monkeypatch.setenv("TRUSTWATCH_WAREHOUSE__LOCK_TIMEOUT", "90")
    monkeypatch.setenv("TRUSTWATCH_DB", str(tmp_path / "from-env.duckdb"))
    cfg = load_config(path)
    assert (cfg.db_path.name, cfg.warehouse.lock_timeout, cfg.crawl.timeout) == ("from-env.duckdb", 90.0, 20.0)
    cfg = load_config(path, db=str(tmp_path / "from-cli.duckdb"), overrides={"crawl": {"timeout": 7}})
    assert (cfg.db_path.name, cfg.warehouse.lock_timeout, cfg.crawl.timeout) == ("from-cli.duckdb", 90.0, 7.0)
    assert cfg.path == path


def test_a_bad_environment_value_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTWATCH_WAREHOUSE__LOCK_TIMEOUT", "-3")
    with pytest.raises(ConfigError, match="TRUSTWATCH_WAREHOUSE__LOCK_TIMEOUT"):
        load_config(None)


def test_the_warehouse_path_is_a_setting_not_a_field_of_its_own():
    assert "db_override" not in Config.model_fields
    cfg = Config()
    cfg.db_override = "elsewhere.duckdb"
    assert cfg.db_path.name == "elsewhere.duckdb" and cfg.warehouse.path == "elsewhere.duckdb"
