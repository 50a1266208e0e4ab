"""Scheduling needs a Prefect server: the local one starts on 127.0.0.1, answers, and stops."""

from __future__ import annotations

import urllib.request

import pytest

from flows.serve import LocalPrefectServer

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def test_local_server_starts_on_loopback_and_stops(tmp_path) -> None:
    with LocalPrefectServer(tmp_path / "prefect-home") as server:
        with urllib.request.urlopen(f"{server.api_url}/health", timeout=5) as response:
            healthy = response.status == 200
        process = server._process
    assert (healthy, server.api_url.startswith("http://127.0.0.1:"), process.poll() is not None) == (
        True,
        True,
        True,
    )
