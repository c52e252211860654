"""The servers under test: ``needleplan serve`` and the bare reference app, under uvicorn
(and, for the outbox's cost, ``needleplan serve`` of ``app_without_events.py``).

:class:`Server` starts one of them on 127.0.0.1 and a free port, waits for ``/healthz`` and
every worker, and stops it with its workers; :func:`servers_for` starts both on one database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
from databases import BENCH_DIR, NEEDLEPLAN_CLI, BenchDatabase

PROJECT_DIR = BENCH_DIR.parent
REFERENCE_URL_VARIABLE = "NEEDLEPLAN_BENCH_REFERENCE_DATABASE_URL"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One server process (with its uvicorn workers) on 127.0.0.1 and a free port."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        workers: int,
        env: Mapping[str, str],
        logdir: Path,
        headers: Mapping[str, str] | None = None,
        logs_startup: bool = True,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.port = port
        self.workers = workers
        self.env = dict(env)
        self.log_path = logdir / f"{name}.log"
        self.headers = dict(headers or {})
        self.base_url = f"http://127.0.0.1:{port}"
        self.logs_startup = logs_startup
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def app(
        cls,
        database: BenchDatabase,
        *,
        workers: int,
        log_level: str = "INFO",
        without_events: bool = False,
    ) -> Server:
        """``needleplan serve`` against ``database``, authenticating as its admin key;
        ``without_events``: the same serve of ``app_without_events.py`` (no outbox writes)."""
        port = free_port()
        serve = [str(NEEDLEPLAN_CLI), "serve"]
        if without_events:
            serve = [sys.executable, str(BENCH_DIR / "app_without_events.py"), "serve"]
        command = [*serve, "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers)]
        env = {**database.env, "NEEDLEPLAN_LOG_LEVEL": log_level}
        headers = {"Authorization": f"Bearer {database.admin_key}"}
        return cls(
            "app-no-events" if without_events else "app",
            command,
            port=port,
            workers=workers,
            env=env,
            logdir=database.workdir,
            headers=headers,
            logs_startup=log_level.upper() in ("DEBUG", "INFO"),
        )

    @classmethod
    def reference(cls, database: BenchDatabase, *, workers: int) -> Server:
        """The bare reference app (``reference_app.py``) with the same workers and database."""
        port = free_port()
        command = [sys.executable, str(BENCH_DIR / "reference_app.py")]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        env = {**database.env, REFERENCE_URL_VARIABLE: database.url}
        return cls(
            "reference", command, port=port, workers=workers, env=env, logdir=database.workdir
        )

    def start(self, timeout: float = 30.0) -> Server:
        log = self.log_path.open("ab")
        # Output goes to a file, never a pipe: nobody reads a pipe during a run, and a full pipe
        # would block the server. A new session lets stop() reach the workers too.
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.name} server did not answer /healthz:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        # /healthz answers as soon as one worker listens; wait for all of them. Each logs
        # "Application startup complete" at INFO; below INFO there is nothing to wait for, and
        # the warm-up of the first scenario has to cover the rest.
        if self.logs_startup:
            while time.monotonic() < deadline and self._workers_started() < self.workers:
                time.sleep(0.1)
        elif self.workers > 1:
            time.sleep(2)
        return self

    def _workers_started(self) -> int:
        text = self.log_path.read_text(errors="replace")
        return text.count("Application startup complete")

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # uvicorn's supervisor stops its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # our own session, started above
            process.wait(timeout=5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@contextlib.contextmanager
def servers_for(
    database: BenchDatabase,
    *,
    workers: int,
    app_log_level: str = "INFO",
    without_events: bool = False,
) -> Iterator[dict[str, Server]]:
    """The app and the reference app, both on ``database`` with ``workers`` workers; with
    ``without_events`` also ``app-no-events``, the app without its outbox writes."""
    with contextlib.ExitStack() as stack:
        servers = {
            "app": stack.enter_context(
                Server.app(database, workers=workers, log_level=app_log_level)
            ),
            "reference": stack.enter_context(Server.reference(database, workers=workers)),
        }
        if without_events:
            servers["app-no-events"] = stack.enter_context(
                Server.app(database, workers=workers, log_level=app_log_level, without_events=True)
            )
        for server in servers.values():
            server.start()
        yield servers
