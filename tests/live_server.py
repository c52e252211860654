"""A real ``needleplan serve`` process on a fresh, migrated database, for tests that need HTTP
over a socket (generated clients, several worker processes, outages).

``running_server`` is the context manager; the ``live_server`` fixture in conftest wraps it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import create_database, drop_database

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 10.0


def needleplan_command() -> list[str]:
    """The ``needleplan`` console script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "needleplan"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "needleplan.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["NEEDLEPLAN_DATABASE_URL"] = database_url
    env.setdefault("NEEDLEPLAN_LOG_LEVEL", "WARNING")
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120.0) -> str:
    """Run one ``needleplan`` command to completion and return its standard output."""
    completed = subprocess.run(
        [*needleplan_command(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"needleplan {' '.join(args)} exited with {completed.returncode}:\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    return completed.stdout


def create_key(env: dict[str, str], role: str, name: str) -> str:
    """``needleplan create-api-key`` prints the key alone on the last line of stdout."""
    output = run_cli(["create-api-key", "--role", role, "--name", name], env)
    return output.strip().splitlines()[-1].strip()


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    admin_key: str
    workers: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def key_for(self, role: str, name: str | None = None) -> dict[str, str]:
        """A new key of ``role``, made through the CLI as an operator would."""
        secret = create_key(self.env, role, name or f"live {role}")
        return {"Authorization": f"Bearer {secret}"}


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error = "no attempt"
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"needleplan serve exited with {process.returncode} before it was healthy:\n"
                    + log_path.read_text(errors="replace")
                )
            try:
                if http.get(f"{base_url}/healthz").status_code == 200:
                    return
                last_error = "healthz did not answer 200"
            except httpx.HTTPError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
    raise RuntimeError(
        f"needleplan serve was not healthy within {STARTUP_TIMEOUT}s ({last_error}):\n"
        + log_path.read_text(errors="replace")
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's own process group (the uvicorn supervisor and its workers), then
    SIGKILL whatever is left after the timeout."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    try:
        # Worker processes may outlive a supervisor that was killed; the group is ours alone.
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=SHUTDOWN_TIMEOUT)


@contextmanager
def running_server(tmp_dir: Path, *, workers: int = 1) -> Iterator[LiveServer]:
    """Create a fresh database, migrate it with the CLI, make an admin key, serve it, and tear
    everything down afterwards."""
    database_url = create_database(str(tmp_dir))
    try:
        env = server_environment(database_url)
        run_cli(["migrate"], env)
        admin_key = create_key(env, "admin", "live")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = tmp_dir / f"serve-{port}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    *needleplan_command(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_until_healthy(process, base_url, log_path)
            yield LiveServer(
                base_url=base_url,
                database_url=database_url,
                admin_key=admin_key,
                workers=workers,
                process=process,
                log_path=log_path,
                env=env,
            )
        finally:
            _stop(process)
    finally:
        drop_database(database_url)
