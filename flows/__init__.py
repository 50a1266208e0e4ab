"""Prefect orchestration of casualty-etl. Only Prefect code lives here: batching, retries,
task runners and artifacts. The work itself is plain Python in ``casualty_etl.pipeline``."""
