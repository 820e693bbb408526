"""The `runs` table: one row per flow run, written by the run that holds the writer lock."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa


def upsert_runs(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """Insert or replace run rows (run_id, flow, started_at, ended_at, state, counts and errors as JSON text)."""
    con.register("_trustwatch_runs_batch", table)
    try:
        con.execute(
            "INSERT OR REPLACE INTO runs (run_id, flow, started_at, ended_at, state, counts, errors) "
            "SELECT run_id, flow, started_at, ended_at, state, CAST(counts AS JSON), "
            "CAST(errors AS JSON) FROM _trustwatch_runs_batch")
    finally:
        con.unregister("_trustwatch_runs_batch")


def runs_in_state(con: duckdb.DuckDBPyConnection, state: str) -> list[tuple[str, object]]:
    """(run_id, counts) of the runs in `state`."""
    return con.execute("SELECT run_id, counts FROM runs WHERE state = ?", [state]).fetchall()


def close_run(con: duckdb.DuckDBPyConnection, run_id: str, state: str, ended_at: datetime, errors_json: str) -> None:
    """Set a run's final state and errors, keeping an end time it already has."""
    con.execute("UPDATE runs SET state = ?, ended_at = coalesce(ended_at, ?), errors = CAST(? AS JSON) "
                "WHERE run_id = ?", [state, ended_at, errors_json, run_id])
