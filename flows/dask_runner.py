"""Extraction past one machine: a Dask task runner for the `extract` flow.

Extraction batches touch no warehouse (see `extraction.py`), so they can run on any Dask
worker; results come back to the flow, whose single loader writes them. Each worker process
loads the spaCy pipeline once and keeps it for every batch it is given.
"""
from __future__ import annotations

from typing import Optional


def dask_task_runner(workers: int = 2, address: Optional[str] = None, threads_per_worker: int = 1):
    """A runner on an existing scheduler (`address`) or on a local cluster of worker processes."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={
        "n_workers": max(1, int(workers)), "processes": True,
        "threads_per_worker": max(1, int(threads_per_worker)), "dashboard_address": None,
    })
