"""Sources are checked when the configuration is read: web URLs only, valid unique names,
each problem reported at its own line; `sources add` refuses what loading would refuse."""
from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from trustwatch.cli import app
from trustwatch.config import ConfigError, load_config

runner = CliRunner()

HEADER = '[crawl]\ntimeout = 20\n\n[[sources]]\nname = "good"\nurl = "https://news.example/feed.xml"\n'


def _write(tmp_path, text: str):
    path = tmp_path / "trustwatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("url, scheme", [("file:///etc/hostname", "file"), ("ftp://files.example/feed.xml", "ftp"),
                                         ("FILE:///home/me/secret.html", "file")])
def test_hand_edited_non_web_source_is_an_error_naming_file_and_line(tmp_path, url, scheme):
    path = _write(tmp_path, HEADER + f'\n[[sources]]\nname = "local"\nkind = "page"\nurl = "{url}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "line 11" in message and "sources.1.url" in message
    assert f"{scheme}://" in message and "only http:// and https://" in message


def test_duplicate_name_is_reported_at_its_own_line(tmp_path):
    path = _write(tmp_path, HEADER + '\n[[sources]]\nname = "other"\nurl = "https://b.example/f"\n'
                  '\n[[sources]]\nname = "good"\nurl = "https://c.example/f"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "line 13" in message and "sources.2.name" in message and "first at line 5" in message


@pytest.mark.parametrize("name", ["bad name", "../escape", ".", "-flag", "a/b", "x" * 101, ""])
def test_bad_names_are_refused_at_load(tmp_path, name):
    path = _write(tmp_path, HEADER + f'\n[[sources]]\nname = "{name}"\nurl = "https://b.example/f"\n')
    with pytest.raises(ConfigError, match="line 9"):
        load_config(path)


@pytest.mark.parametrize("name", ["ftc-press", "36kr", "rthk.local_news", "人民日报"])
def test_good_names_load(tmp_path, name):
    path = _write(tmp_path, HEADER + f'\n[[sources]]\nname = "{name}"\nurl = "https://b.example/f"\n')
    assert load_config(path).source(name).url == "https://b.example/f"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    monkeypatch.delenv("TRUSTWATCH_DB", raising=False)
    _write(tmp_path, HEADER)
    return tmp_path


@pytest.mark.parametrize("name, url, word", [
    ("bad name", "https://x.example/f", "not allowed"),
    ("../up", "https://x.example/f", "not allowed"),
    ("ok-name", "file:///etc/passwd", "file://"),
    ("ok-name", "ftp://x.example/f", "ftp://"),
])
def test_sources_add_refuses_what_loading_would_refuse(workdir, name, url, word):
    before = (workdir / "trustwatch.toml").read_text()
    result = runner.invoke(app, ["sources", "add", name, url])
    assert result.exit_code == 2
    assert word in result.output and "Traceback" not in result.output
    assert (workdir / "trustwatch.toml").read_text() == before


def test_sources_add_in_a_read_only_folder_is_one_clear_line(workdir, monkeypatch):
    import tempfile

    def read_only(*_a, **_k):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    result = runner.invoke(app, ["sources", "add", "new-one", "https://x.example/f"])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Read-only file system" in lines[0] and "trustwatch.toml" in lines[0]
    assert "new-one" not in (workdir / "trustwatch.toml").read_text()
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".trustwatch.toml")] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_sources_add_in_a_really_read_only_folder(workdir):
    os.chmod(workdir, 0o555)
    try:
        result = runner.invoke(app, ["sources", "add", "new-one", "https://x.example/f"])
    finally:
        os.chmod(workdir, 0o755)
    assert result.exit_code == 2
    assert len([ln for ln in result.output.splitlines() if ln.strip()]) == 1
