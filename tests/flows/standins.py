"""Stand-in crawlers for orchestration tests, named by `crawl_ref` ("module:function") because
the crawl runs in a subprocess.

They stand for a crawler that misbehaves in ways a real site rarely does on demand: one that
hangs with a child process of its own, one that crashes.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def crawl_that_hangs(config, sources, out_dir):
    """Starts a grandchild (as Scrapy would) that records its pid, then never returns."""
    out = Path(out_dir)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    (out.parent.parent / f"grandchild-{sources[0].name}.pid").write_text(str(child.pid))
    (out / "partial.jsonl").write_text('{"type": "fetch", "note": "written before hanging"}\n')
    time.sleep(600)


def crawl_that_crashes(config, sources, out_dir):
    raise RuntimeError("the crawler could not start: simulated crash")
