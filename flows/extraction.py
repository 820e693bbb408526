"""Extraction in batches that can run anywhere: read under the lock, extract without it, load under it.

`extract_batch` touches no warehouse, so it runs equally in a thread, in a Dask worker on
another machine or in a Prefect worker; it returns plain JSON-able dicts. `load_batch` is the
single loader's half and re-checks, under the lock, which documents still need these events,
so two overlapping runs never load one document twice.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Optional

from trustwatch.records import DocInput, Event
from trustwatch.warehouse.actors import sync_gazetteer
from trustwatch.warehouse.events import load_events
from trustwatch.warehouse.process import document_inputs, pending_documents, still_pending

_pipelines: dict[tuple[str, Callable], Any] = {}
_pipeline_guard = threading.Lock()


# spaCy takes seconds to import: the extractor's functions are imported where a batch runs
def extractor_version() -> str:
    from trustwatch.nlp.extract import EXTRACTOR_VERSION

    return str(EXTRACTOR_VERSION)


def load_pipeline(model: str) -> Any:
    """`trustwatch.nlp.extract.load_pipeline`."""
    from trustwatch.nlp.extract import load_pipeline as load

    return load(model)


def extract_docs(docs: list[DocInput], **options: Any):
    """`trustwatch.nlp.extract.extract_docs`: (document, events) pairs."""
    from trustwatch.nlp.extract import extract_docs as extract

    return extract(docs, **options)


def read_pending(con, version: str, max_chars: int, limit: Optional[int] = None, *,
                 sync_actors: Callable = sync_gazetteer, pending: Callable = pending_documents,
                 inputs: Callable = document_inputs) -> list[DocInput]:
    """Documents not yet extracted by `version`, as the extractor reads them (caller holds the lock)."""
    sync_actors(con)
    ids = pending(con, version, limit)
    if not ids:
        return []
    return inputs(con, list(ids), max_chars)


def batches(docs: list[DocInput], size: int) -> list[list[DocInput]]:
    size = max(1, int(size))
    return [docs[i:i + size] for i in range(0, len(docs), size)]


def _pipeline(model: str, load: Callable):
    """One spaCy pipeline per process and model: loading it takes seconds, reuse it."""
    key = (model, load)
    nlp = _pipelines.get(key)
    if nlp is None:
        nlp = load(model)
        _pipelines[key] = nlp
    return nlp


def extract_batch(docs: list[DocInput], model: str, batch_size: int = 32, *,
                  extract: Callable = extract_docs, load: Callable = load_pipeline) -> list[dict[str, Any]]:
    """[{"doc_id", "events": [event dicts]}] for every document of the batch, in order."""
    with _pipeline_guard:  # a spaCy pipeline is not meant to be used by two threads at once
        nlp = _pipeline(model, load)
        out = []
        for doc, events in extract(docs, model=model, batch_size=batch_size, nlp=nlp):
            out.append({"doc_id": doc.doc_id,
                        "events": [e.to_json_dict() for e in events if e.doc_id == doc.doc_id]})
    return out


def load_batch(con, results: list[dict[str, Any]], version: str, *,
               load: Callable = load_events) -> dict[str, int]:
    """Load one extracted batch (caller holds the lock); skips documents another run already did."""
    ids = [r["doc_id"] for r in results]
    if not ids:
        return {"documents": 0, "events": 0, "skipped": 0}
    still = still_pending(con, ids, version)
    todo = [r for r in results if r["doc_id"] in still]
    if not todo:
        return {"documents": 0, "events": 0, "skipped": len(ids)}
    events = [Event.model_validate(e) for r in todo for e in r["events"]]
    report = load(con, [r["doc_id"] for r in todo], events, version)
    n_events = getattr(report, "events", len(events))
    return {"documents": len(todo), "events": int(n_events), "skipped": len(ids) - len(todo)}


def write_batch(results: list[dict[str, Any]], folder: str | Path, name: str) -> str:
    """Store one extracted batch as Parquet (doc_id, events as JSON) for the loader to merge.

    For workers on other machines: they write to shared storage and return only the path.
    """
    import json
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    table = pa.table({"doc_id": [r["doc_id"] for r in results],
                      "events": [json.dumps(r["events"], ensure_ascii=False) for r in results]})
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return str(path)


def read_batch(path: str | Path) -> list[dict[str, Any]]:
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return [{"doc_id": d, "events": json.loads(e)}
            for d, e in zip(table.column("doc_id").to_pylist(), table.column("events").to_pylist())]
