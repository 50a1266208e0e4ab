"""Dask worker preload for tests/test_dask_cluster.py: SIGKILL this worker in the middle of a commit.

Loaded by each worker process of the test's ``LocalCluster`` (``preload=[this file]``). When the
environment names a marker file (``CASUALTY_ETL_TEST_KILL_MARKER``), the first commit that reaches
its commit point (intent written, figures published, articles not yet) while the lake already
holds a committed batch kills its own worker process with SIGKILL, once: the marker is created
with ``O_EXCL`` before the kill, so the nanny's restarted worker and the other worker never kill.
"""

from __future__ import annotations

import os
import signal

MARKER_ENV = "CASUALTY_ETL_TEST_KILL_MARKER"
KILL_AT_STEP = "published:1"


def _has_committed_batch(lake) -> bool:
    return any(not os.path.basename(f).startswith(".") for f in lake._storage.files("runs"))


def dask_setup(worker) -> None:
    marker = os.environ.get(MARKER_ENV)
    if not marker:
        return
    from casualty_etl.lake import Lake

    original_step = Lake._step

    def step(self: Lake, name: str) -> None:
        if name == KILL_AT_STEP and not os.path.exists(marker) and _has_committed_batch(self):
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                pass
            else:
                with open(marker, "w") as out:
                    out.write(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)
        original_step(self, name)

    Lake._step = step
