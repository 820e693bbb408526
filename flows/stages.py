"""Which plain function does each stage's work, named as `module:attribute` references.

Flows take an optional `stages` mapping that overrides some of these. References (rather than
function objects) are plain strings, so they survive being a Prefect flow parameter, a
deployment parameter and the command line of a crawl subprocess; the module is only imported
where the stage runs, keeping heavy imports (Scrapy, spaCy) out of processes that do not need
them.
"""
from __future__ import annotations

import importlib
from typing import Any, Mapping, Optional

DEFAULT_STAGES: dict[str, str] = {
    # one Scrapy subprocess writing JSONL, no warehouse access
    "crawl": "trustwatch.ingest:crawl_sources",
    # bulk load of one crawl's JSONL; returns an IngestReport
    "load_crawl": "trustwatch.ingest:load_crawl",
    # documents -> (doc, events) pairs
    # what is still to extract, and the extractor's view of it
    "sync_actors": "trustwatch.warehouse.actors:sync_gazetteer",
    "pending_documents": "trustwatch.warehouse.process:pending_documents",
    "document_inputs": "trustwatch.warehouse.process:document_inputs",
    "extract": "trustwatch.nlp.extract:extract_docs",
    "load_pipeline": "trustwatch.nlp.extract:load_pipeline",
    "extractor_version": "trustwatch.nlp.extract:EXTRACTOR_VERSION",
    "load_events": "trustwatch.warehouse.events:load_events",
    "build_report": "trustwatch.report:build_report",
    "render_report": "trustwatch.report:render_report",
    "record_report": "trustwatch.report:record_report",
}


class StageUnavailable(RuntimeError):
    """A stage's module is not installed or lacks the named function."""


def stage_ref(name: str, stages: Optional[Mapping[str, str]] = None) -> str:
    if stages and name in stages:
        return stages[name]
    try:
        return DEFAULT_STAGES[name]
    except KeyError:
        raise StageUnavailable(f"unknown stage {name!r}; known: {', '.join(DEFAULT_STAGES)}") from None


def resolve(name: str, stages: Optional[Mapping[str, str]] = None) -> Any:
    """Import and return the object that does stage `name`."""
    ref = stage_ref(name, stages)
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise StageUnavailable(f"stage {name!r} needs {module_name}, which is not installed: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise StageUnavailable(f"stage {name!r}: {module_name} has no {attr!r}") from None


def unknown_stages(stages: Optional[Mapping[str, str]]) -> list[str]:
    return sorted(set(stages or {}) - set(DEFAULT_STAGES))
