"""The directory that makes metrics add up across uvicorn workers.

``prometheus_client`` in multiprocess mode has every process write its samples to files in
``PROMETHEUS_MULTIPROC_DIR``; a scrape, answered by any one worker, reads them all. The variable
must be set before ``prometheus_client`` is first imported, so ``needleplan serve`` calls
:func:`prepare` before it starts uvicorn, and nothing here imports ``prometheus_client`` at
module level.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class MetricsDirectory:
    path: Path
    created: bool  # a fresh temporary directory, removed by ``cleanup``

    def cleanup(self) -> None:
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)


def prepare(environ: dict[str, str] | None = None) -> MetricsDirectory:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory for this server's processes.

    An operator's directory (the variable already set) is created if missing and emptied of the
    sample files of an earlier run; otherwise a fresh temporary directory is made.
    """
    env = os.environ if environ is None else environ
    given = env.get(MULTIPROC_ENV, "").strip()
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        directory = MetricsDirectory(path=path, created=False)
    else:
        directory = MetricsDirectory(
            path=Path(tempfile.mkdtemp(prefix="needleplan-metrics-")), created=True
        )
    env[MULTIPROC_ENV] = str(directory.path)
    return directory


def enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def mark_dead_at_exit() -> None:
    """When this worker exits, drop its ``live*`` gauges (the pool gauges) from the sums."""
    if not enabled():
        return
    from prometheus_client import multiprocess

    atexit.register(multiprocess.mark_process_dead, os.getpid())
