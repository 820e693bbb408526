"""The extraction path with the statistical model: own fixtures, the output contract (checked
against the shared JSON schema), bad input, the labelled Kuaishou article and the dev baseline."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.language import Language
from typer.testing import CliRunner

from trustwatch.nlp.evaluate import evaluate_file, gold_inputs, read_gold
from trustwatch.nlp.extract import EXTRACTOR_VERSION, extract_docs, load_pipeline
from trustwatch.records import DocInput

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = FIXTURES / "incidents_gold.jsonl"
BASELINE = json.loads((Path(__file__).parent / "baseline.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="module")
def fixture_events(nlp):
    docs = gold_inputs(GOLD)
    return {d.doc_id: (d, evs) for d, evs in extract_docs(docs, nlp=nlp)}


@pytest.fixture(scope="session")
def event_schema(shared_dir):
    return json.loads((shared_dir / "schema" / "event.schema.json").read_text(encoding="utf-8"))


def incidents(events):
    return [e for e in events if e.status in ("asserted", "planned")]


def test_version_is_set():
    assert EXTRACTOR_VERSION


def test_fixture_documents_score_at_baseline(nlp):
    report = evaluate_file(GOLD, nlp=nlp)
    assert report.overall.f1 >= BASELINE["fixtures_f1"], report.as_dict()


def test_distractors_yield_no_incidents(fixture_events):
    assert incidents(fixture_events["sport-distractor"][1]) == []
    assert incidents(fixture_events["business-negative"][1]) == []


def test_statuses_amounts_and_dates_on_own_fixtures(fixture_events):
    _, evs = fixture_events["marketplace-fine"]
    fine = next(e for e in evs if e.type == "FINE")
    assert fine.status == "asserted" and fine.target.text.endswith("Shopline")
    assert (fine.amount.value, fine.amount.currency) == (3_200_000, "EUR")
    assert fine.date.value == "2024-03-12"  # "on Tuesday" before a Thursday 2024-03-14
    assert "misleading" in (fine.reason or "")
    _, evs = fixture_events["link-blocking"]
    blocks = {e.target.text: e for e in evs if e.type == "BLOCK"}
    assert blocks["Meituan"].status == blocks["Pinduoduo"].status == "planned"
    assert blocks["Meituan"].date.value == "2024-04-01"
    assert all(e.status != "asserted" for e in evs if e.actor and e.actor.text == "Meituan")
    _, evs = fixture_events["breach-lawsuit"]
    assert [e.status for e in evs if e.type == "FINE"] in ([], ["negated"])


def test_output_matches_the_shared_schema_and_offsets(fixture_events, event_schema):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(event_schema)
    n = 0
    for doc, evs in fixture_events.values():
        for e in evs:
            row = e.to_json_dict()
            validator.validate(row)
            assert doc.text[row["start"]:row["end"]] == row["sentence"]
            assert 0 <= row["confidence"] <= 1
            n += 1
    assert n >= 10


def test_bad_input_never_breaks_the_batch(nlp):
    good = "Regulators fined Acme Corp $5 million on Monday for misleading customers."
    html = ("<html><body><script>var x = '<p>';</script><p>The regulator <b>fined</b> Acme Corp "
            "€2 million for selling fake goods.</p></body></html>")
    docs = [
        DocInput(doc_id="empty", text=""),
        DocInput(doc_id="blank", text="   \n\t  "),
        DocInput(doc_id="binary", text=bytes(range(256)).decode("latin-1") * 40 + "\x00\x00"),
        DocInput(doc_id="chinese", text="快手宣布从3月1日起屏蔽淘宝和京东的链接。" * 20),
        DocInput(doc_id="german", text="Das Unternehmen wurde mit einer Strafe belegt.", language="de"),
        DocInput(doc_id="html", text=html, published="2024-05-02"),
        DocInput(doc_id="good", text=good, published="2024-05-02"),
    ]
    out = list(extract_docs(docs, nlp=nlp))
    assert [d.doc_id for d, _ in out] == [d.doc_id for d in docs]  # one result each, in order
    by_id = {d.doc_id: evs for d, evs in out}
    for skipped in ("empty", "blank", "binary", "german"):
        assert by_id[skipped] == []
    # Chinese goes to the Chinese pipeline
    assert ("BLOCK", "淘宝") in [(e.type, e.target.text) for e in by_id["chinese"]]
    # the fine, and the deception it was imposed for (an accusation, GUIDELINES.md)
    assert sorted(e.type for e in by_id["good"]) == ["ACCUSATION", "FINE"]
    (fine,) = [e for e in by_id["good"] if e.type == "FINE"]
    assert (fine.type, fine.target.text, fine.amount.value) == ("FINE", "Acme Corp", 5_000_000)
    html_fine = [e for e in by_id["html"] if e.type == "FINE"]
    assert html_fine and "<" not in html_fine[0].sentence
    assert html[html_fine[0].start:html_fine[0].end].replace("<b>", "   ").replace("</b>", "    ") \
        == html_fine[0].sentence


@Language.component("trustwatch_test_poison")
def _poison(doc):
    """Raises on texts that carry the marker word, like a component crashing on odd input."""
    if "POISONWORD" in doc.text:
        raise ValueError("cannot parse this text")
    return doc


def test_a_failing_document_does_not_lose_the_rest_of_its_batch():
    nlp = load_pipeline()
    nlp.add_pipe("trustwatch_test_poison", before="trustwatch_events")
    good = "Regulators fined Acme Corp $5 million on Monday for misleading customers."
    docs = [DocInput(doc_id=f"d{i}", text=good, published="2024-05-02") for i in range(5)]
    docs.insert(2, DocInput(doc_id="bad", text="POISONWORD. The FTC sued Globex on Monday."))
    docs.append(DocInput(doc_id="empty", text=""))
    out = list(extract_docs(docs, nlp=nlp, batch_size=4))
    assert [d.doc_id for d, _ in out] == [d.doc_id for d in docs]
    by_id = {d.doc_id: evs for d, evs in out}
    assert by_id["bad"] == [] and by_id["bad"].failed and "cannot parse" in by_id["bad"].error
    for i in range(5):
        evs = by_id[f"d{i}"]
        assert not evs.failed and sorted((e.type, e.target.text) for e in evs) == [
            ("ACCUSATION", "Acme Corp"), ("FINE", "Acme Corp")]
    assert by_id["empty"] == [] and not by_id["empty"].failed and by_id["empty"].skipped


def test_long_documents_are_chunked_with_true_offsets(nlp):
    filler = "The weather was mild and the markets were quiet that week. " * 120
    incident = "Regulators fined Acme Corp $5 million for misleading customers. "
    text = filler + incident + filler + incident.replace("Acme Corp", "Beta Ltd")
    ((doc, evs),) = list(extract_docs([DocInput(doc_id="long", text=text)], nlp=nlp, max_chars=4000))
    targets = sorted(e.target.text for e in evs if e.type == "FINE")
    assert targets == ["Acme Corp", "Beta Ltd"]
    for e in evs:
        assert text[e.start:e.end] == e.sentence


def test_oversized_text_is_cut_not_fatal(nlp):
    huge = ("Regulators fined Acme Corp $5 million for misleading customers. " + "x " * 1_000_000)
    assert len(huge) > 2_000_000
    ((doc, evs),) = list(extract_docs([DocInput(doc_id="huge", text=huge)], nlp=nlp,
                                      max_chars=5000, hard_limit=20_000))
    assert sorted(e.type for e in evs) == ["ACCUSATION", "FINE"]


def test_cli_extract_writes_only_events_to_stdout(tmp_path, event_schema):
    jsonschema = pytest.importorskip("jsonschema")
    from trustwatch.cli import app

    rows = [{"doc_id": d.doc_id, "text": d.text, "published": d.published} for d in gold_inputs(GOLD)]
    src = tmp_path / "docs.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", "--input", str(src), "--format", "jsonl",
                                      "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) >= 10
    for ln in lines:
        jsonschema.validate(json.loads(ln), event_schema)
    assert "skipped" in result.stderr and "done:" in result.stderr


def test_cli_extract_reads_text_files_and_folders(tmp_path):
    from trustwatch.cli import app

    (tmp_path / "a.txt").write_text("Acme Corp apologised to its customers for the outage.", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", "--input", str(tmp_path), "--format", "table"])
    assert result.exit_code == 0, result.output
    assert "APOLOGY" in result.stdout and "Acme Corp" in result.stdout


def test_cli_eval_prints_scores():
    from trustwatch.cli import app

    result = CliRunner().invoke(app, ["eval", str(GOLD), "--show-errors"])
    assert result.exit_code == 0, result.output
    assert "OVERALL" in result.stdout and "amount accuracy" in result.stdout


# ---------------------------------------------------------------- the shared labelled data

@pytest.fixture(scope="module")
def dev_file(shared_dir):
    return shared_dir / "eval" / "dev.jsonl"


def test_kuaishou_article_yields_its_labelled_events(dev_file, nlp):
    (row,) = [r for r in read_gold(dev_file) if r["doc_id"] == "kuaishou-2022-02-24"]
    (doc,) = gold_inputs(dev_file, [row])
    ((_, evs),) = list(extract_docs([doc], nlp=nlp))

    def find(type_, target):
        return [e for e in evs if e.type == type_ and e.target and target.lower() in e.target.text.lower()]

    for target in ("Taobao", "JD"):
        (block,) = find("BLOCK", target)
        assert block.status == "planned" and block.actor.text == "Kuaishou"
        assert block.date.value == "2022-03-01"
    for target in ("Youzan", "Pinduoduo"):
        (block,) = find("BLOCK", target)
        assert block.status == "asserted" and block.date is None
    (fine,) = find("FINE", "Pingrong")
    assert fine.status == "asserted"
    assert (fine.amount.value, fine.amount.currency) == (62_030_000, "CNY")
    assert fine.date.value == "2022-02-22" and fine.date.precision == "day"
    assert "Guangzhou" in fine.actor.text and "tax evasion" in fine.reason
    (accusation,) = find("ACCUSATION", "Pingrong")
    assert accusation.actor.text.endswith("Xiaoxin") and accusation.date.value == "2021"
    assert find("ACCUSATION", "Erlv")
    assert [e.actor.text for e in evs if e.type == "COMPENSATION"] == ["Kuaishou"]
    assert [e.actor.text for e in evs if e.type == "APOLOGY"] == ["Pingrong"]
    assert [e.status for e in find("BAN", "Pingrong")] == ["asserted"]
    assert all(e.status not in ("asserted", "planned") for e in find("BAN", "Erlv"))


def test_dev_set_f1_does_not_drop_below_the_baseline(dev_file, nlp):
    report = evaluate_file(dev_file, nlp=nlp)
    assert report.overall.f1 >= BASELINE["dev_f1"], report.as_dict()
    assert report.amount_accuracy >= BASELINE["dev_amount_accuracy"], report.as_dict()
