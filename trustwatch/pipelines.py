"""One spaCy pipeline per process for each model, mode and user actor file.

Loading a pipeline takes seconds; processing keeps no state between documents (a served run
extracts batch after batch with one pipeline), so every command and stage of one process can
share it. The cache key includes the user actor file (`TRUSTWATCH_ACTORS`) that shapes it.
"""
from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_pipelines: dict[tuple[str, str, str], Any] = {}


def shared_pipeline(model: str, model_mode: str = "both") -> Any:
    """`trustwatch.nlp.extract.load_pipeline(model, model_mode=...)`, loaded once per process."""
    from trustwatch.nlp.extract import load_pipeline
    from trustwatch.nlp.gazetteer import ENV_VAR

    key = (model, model_mode, os.environ.get(ENV_VAR, ""))
    with _lock:
        if key not in _pipelines:
            _pipelines[key] = load_pipeline(model, model_mode=model_mode)
        return _pipelines[key]
