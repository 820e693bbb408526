"""`trustwatch init`, `sources list|add|remove`, `ingest` and `eval-pages` from the command line."""
from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from tests.spiders.conftest import make_config
from tests.spiders.localsite import LocalSite
from trustwatch.cli import app
from trustwatch.config import load_config

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTWATCH_CONFIG", raising=False)
    monkeypatch.delenv("TRUSTWATCH_DB", raising=False)
    return tmp_path


def test_init_writes_config_and_creates_warehouse(workdir):
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (workdir / "trustwatch.toml").exists()
    with duckdb.connect(str(workdir / "trustwatch.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"sources", "fetch_log", "documents"} <= tables
    # a second init keeps the user's file
    (workdir / "trustwatch.toml").write_text((workdir / "trustwatch.toml").read_text() + "\n# mine\n")
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert "# mine" in (workdir / "trustwatch.toml").read_text()


def test_sources_add_and_remove_keep_comments(workdir):
    runner.invoke(app, ["init"])
    path = workdir / "trustwatch.toml"
    comments = [line for line in path.read_text().splitlines() if line.strip().startswith("#")]
    before = load_config(path)

    result = runner.invoke(app, ["sources", "add", "my-regulator", "https://regulator.example/news.rss",
                                 "--kind", "feed", "--language", "en"])
    assert result.exit_code == 0, result.output
    added = load_config(path).source("my-regulator")
    assert (added.url, added.kind, added.language) == ("https://regulator.example/news.rss", "feed", "en")

    assert runner.invoke(app, ["sources", "add", "a-sitemap", "https://x.example/news.xml",
                               "--kind", "sitemap"]).exit_code == 0
    assert load_config(path).source("a-sitemap").kind == "sitemap"

    result = runner.invoke(app, ["sources", "remove", before.sources[0].name])
    assert result.exit_code == 0, result.output
    after = load_config(path)
    assert before.sources[0].name not in {s.name for s in after.sources}
    assert len(after.sources) == len(before.sources) + 1
    text = path.read_text()
    assert all(c in text for c in comments)

    listing = runner.invoke(app, ["sources", "list"])
    assert listing.exit_code == 0 and "my-regulator" in listing.output


@pytest.mark.parametrize("args, words", [
    (["sources", "add", "x", "https://x.example/f", "--kind", "podcast"], "kind"),
    (["sources", "add", "x", "not-a-url"], "not an http"),
    (["sources", "remove", "no-such-source"], "no source named"),
])
def test_sources_edit_errors(workdir, args, words):
    runner.invoke(app, ["init"])
    original = (workdir / "trustwatch.toml").read_text()
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert words in result.output
    assert (workdir / "trustwatch.toml").read_text() == original


def test_sources_add_refuses_a_duplicate_name(workdir):
    runner.invoke(app, ["init"])
    name = load_config(workdir / "trustwatch.toml").sources[0].name
    result = runner.invoke(app, ["sources", "add", name, "https://x.example/f"])
    assert result.exit_code == 2 and "exists already" in result.output


@pytest.fixture(scope="module")
def site(corpus_dir):
    s = LocalSite(corpus_dir).start()
    yield s
    s.stop()


@pytest.mark.corpus
def test_ingest_command_exit_codes_and_summary(workdir, site):
    good = {"name": "debian", "url": site.url("/feeds/debian_security.rdf.xml")}
    bad = {"name": "broken", "url": site.url("/status/404")}
    make_config(workdir, [good, bad])
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 3, result.output
    assert "debian" in result.output and "broken" in result.output and "404" in result.output
    assert "1 of 2 sources failed" in result.output

    result = runner.invoke(app, ["ingest", "--source", "debian"])
    assert result.exit_code == 0, result.output
    assert "0 new" in result.output and "not modified" in result.output

    result = runner.invoke(app, ["ingest", "--source", "nope"])
    assert result.exit_code == 2 and "no source named" in result.output


@pytest.mark.corpus
def test_eval_pages_command(corpus_dir):
    result = runner.invoke(app, ["eval-pages", "--corpus", str(corpus_dir / "html")])
    assert result.exit_code == 0, result.output
    assert "pages: 37" in result.output and "mean token F1" in result.output
