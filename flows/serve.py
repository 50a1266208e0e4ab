"""Scheduled runs: serve the ETL flow on a cron schedule, with a local Prefect server if needed.

Input: a :class:`~casualty_etl.config.Config`. Effect: registers the deployment
``casualty-etl/<schedule.name>`` with the configured cron schedule and runs its flow runs
until interrupted. Each scheduled run processes only documents the lake has not seen
(article ids), so an hourly run over the same folder or feed adds only new articles.

Prefect cannot schedule on its ephemeral server. When ``PREFECT_API_URL`` is not set,
:class:`LocalPrefectServer` starts ``prefect server start`` bound to 127.0.0.1 on a free
port, with SQLite under the project's ``PREFECT_HOME``, waits until its health check
answers, and stops it cleanly on exit (Ctrl-C included). With ``PREFECT_API_URL`` set (your
own server or Prefect Cloud) nothing is started; ``prefect.yaml`` describes the same
deployment for ``prefect deploy``.

Deliberately not here: the flow itself (``flows.etl``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path
from types import TracebackType

from casualty_etl.config import Config

#: Seconds to wait for a fresh local server to answer its health check (about 11 s measured).
SERVER_START_TIMEOUT = 120.0
LOOPBACK = "127.0.0.1"


class ServerStartError(RuntimeError):
    """The local Prefect server did not become healthy; the message points at its log."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class LocalPrefectServer:
    """``prefect server start`` on 127.0.0.1 for the life of a ``with`` block."""

    def __init__(self, home: Path, port: int | None = None, timeout: float = SERVER_START_TIMEOUT) -> None:
        self.home = home
        self.port = port or _free_port()
        self.timeout = timeout
        self.log_path = home / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> LocalPrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
        )
        env.pop("PREFECT_API_URL", None)
        log = self.log_path.open("ab")
        command = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
        ]
        self._process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ServerStartError(
                    f"prefect server exited with {self._process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise ServerStartError(f"prefect server not healthy after {self.timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_scheduled(config: Config, *, announce=print) -> None:
    """Serve the ETL flow on ``config.schedule`` until interrupted (see the module contract)."""
    if os.environ.get("PREFECT_API_URL"):
        _serve(config, announce)
        return
    home = Path(os.environ.get("PREFECT_HOME", ".prefect"))
    with LocalPrefectServer(home) as server:
        os.environ["PREFECT_API_URL"] = server.api_url
        announce(f"Prefect server on {server.ui_url} (log: {server.log_path}); Ctrl-C stops it")
        try:
            _serve(config, announce)
        finally:
            os.environ.pop("PREFECT_API_URL", None)


def _serve(config: Config, announce) -> None:
    from prefect.schedules import Cron

    from flows.etl import etl

    announce(
        f"Serving '{config.schedule.name}' on cron '{config.schedule.cron}' ({config.schedule.timezone}): "
        f"{', '.join(config.sources)} -> {config.lake}"
    )
    etl.serve(
        name=config.schedule.name,
        schedule=Cron(config.schedule.cron, timezone=config.schedule.timezone),
        parameters={
            "sources": list(config.sources),
            "lake": config.lake,
            "batch_size": config.batch_size,
            "language": None if config.language == "auto" else config.language,
            "fetch": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config.fetch).items()},
        },
        description="casualty-etl: sources -> casualty figures -> Parquet lake",
        print_starting_message=False,
    )
