"""Configuration errors name the file, the line and the problem."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from trustwatch.cli import app
from trustwatch.config import ConfigError, load_config


def test_malformed_toml_names_file_and_line(tmp_path):
    path = tmp_path / "trustwatch.toml"
    path.write_text('[crawl]\ntimeout = 20\n\n[[sources]]\nname = "x"\nurl = "https://x.example/feed\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "line 6" in message


def test_invalid_value_names_file_line_and_field(tmp_path):
    path = tmp_path / "trustwatch.toml"
    path.write_text('[crawl]\ntimeout = 20\n\n[[sources]]\nname = "x"\nurl = "https://x.example/"\n'
                    'kind = "podcast"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "line 7" in message and "sources.0.kind" in message


def test_unknown_setting_is_an_error(tmp_path):
    path = tmp_path / "trustwatch.toml"
    path.write_text("[crawl]\ntimeout = 20\ntimout = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path)


def test_cli_prints_one_clear_error_and_exits_2(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[crawl\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(path), "sources", "list"])
    assert result.exit_code == 2
    assert "broken.toml" in result.output and "line 1" in result.output


def test_packaged_default_is_valid_with_enough_sources():
    config = load_config(None)
    assert len(config.enabled_sources()) >= 15
    assert {"feed", "sitemap"} <= {s.kind for s in config.sources}


def test_packaged_default_watches_chinese_sources_marked_zh():
    chinese = [s for s in load_config(None).enabled_sources() if s.language == "zh"]
    assert len(chinese) >= 8
    assert all(s.url.startswith("https://") for s in chinese)
    assert any("weibo" in s.url for s in chinese)  # a social account through its RSS
