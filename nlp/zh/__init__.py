"""Native extraction of incident events from Chinese news and posts.

`spacy.blank("zh")` with the jieba segmenter, the actor gazetteer's Chinese names, entity
forms for authorities and people named by role, and trigger/role/status rules kept as data in
`nlp/data/zh/`. Traditional Chinese is matched through a Simplified copy of the text; every
offset and quoted text points into the original.
"""
from trustwatch.nlp.zh.text import is_chinese, is_mostly_cjk, to_simplified  # noqa: F401

__all__ = ["is_chinese", "is_mostly_cjk", "to_simplified", "load_zh_pipeline", "get_zh_pipeline",
           "extract_zh"]


def __getattr__(name: str):
    # the pipeline pulls in spaCy and jieba: only when asked for
    if name in ("load_zh_pipeline", "get_zh_pipeline", "extract_zh"):
        from trustwatch.nlp.zh import pipeline
        return getattr(pipeline, name)
    raise AttributeError(name)
