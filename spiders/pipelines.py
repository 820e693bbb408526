"""Item pipelines: validate each document against the `Document` record, then write it.

A document that fails validation is dropped, never half-written, and the drop is counted
and explained in its source's status line. Each document holds its source open (see
`RecordingMixin._item`) until it is written or dropped here.
"""
from __future__ import annotations

from datetime import timedelta

from pydantic import ValidationError
from scrapy.exceptions import DropItem

from trustwatch.records import Document


class ValidateDocumentPipeline:
    #: a published time this far past the fetch time is a wrong clock or a bad date field
    FUTURE_SLACK = timedelta(days=1)

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: dict):
        recorder = self.crawler.spider.recorder
        source = item.get("source") or "?"
        try:
            doc = Document.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            recorder.source(source).dropped += 1
            recorder.error(source, f"dropped an entry ({item.get('url')}): {problems}")
            recorder.end(source)
            raise DropItem(problems) from exc
        if not (doc.title or doc.summary or doc.text):
            recorder.source(source).dropped += 1
            recorder.error(source, f"dropped an entry without title or text ({doc.url})")
            recorder.end(source)
            raise DropItem("no title, summary or text")
        if doc.published > doc.fetched_at + self.FUTURE_SLACK:
            doc.published = doc.fetched_at
            doc.published_is_fallback = True
        return doc.model_dump(mode="json")


class JsonlWriterPipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: dict):
        recorder = self.crawler.spider.recorder
        try:
            recorder.document(item)
        finally:
            recorder.end(item.get("source") or "?")  # written or lost: the source may report now
        return item
