"""Prefect orchestration of trustwatch: scheduled monitoring runs that survive failures.

Importing this package sets Prefect's defaults for a tool that runs unattended without a
server (see `settings`), before Prefect itself is imported.
"""
from trustwatch.flows.settings import apply_prefect_defaults

apply_prefect_defaults()
