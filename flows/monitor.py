"""The flows' public names in one place, for callers written before each flow had its module.

Each flow lives in its own module: `ingest_flow` (`ingest`), `extract_flow` (`extract`),
`incidents_flow` (`build_incidents`), `report_flow` (`report`) and `monitor_flow` (`monitor`,
which runs the other four, and `run_monitor_now`); `recording` turns a flow's outcome into a
Prefect State and a `runs` row. Import from those modules in new code.
"""
from __future__ import annotations

from trustwatch.flows.extract_flow import EXTRACT_BATCH, extract, run_extract
from trustwatch.flows.incidents_flow import build_incidents, run_incidents
from trustwatch.flows.ingest_flow import CRAWL_THREADS, ingest, run_ingest
from trustwatch.flows.monitor_flow import EXIT_CODES, monitor, run_monitor_now
from trustwatch.flows.recording import as_state
from trustwatch.flows.report_flow import REPORT_SUFFIXES, report, run_report

__all__ = ["CRAWL_THREADS", "EXIT_CODES", "EXTRACT_BATCH", "REPORT_SUFFIXES", "as_state", "build_incidents",
           "extract", "ingest", "monitor", "report", "run_extract", "run_incidents", "run_ingest",
           "run_monitor_now", "run_report"]
