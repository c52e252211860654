"""Benchmark harness: fresh databases, real server processes, load generators, result tables.

Nothing here knows needleplan's endpoints; ``run.py`` declares the scenarios. The pieces:

- :class:`BenchDatabase` creates a fresh SQLite file or PostgreSQL database, migrates it and
  creates an admin key, all through the ``needleplan`` command line (subprocesses).
- :class:`Server` starts ``needleplan serve`` or the bare reference app (``reference_app.py``) on a
  free port and waits for ``/healthz``.
- :func:`run_load` drives N keep-alive connections for D seconds after a warm-up and returns
  req/s, latency percentiles and status counts. Four load generators: ``raw`` (an asyncio
  ``Protocol`` per connection on uvloop, requests pre-rendered to bytes: the highest ceiling of
  the Python ones), ``streams`` (asyncio streams, a coroutine per connection), ``httpx``
  (``httpx.AsyncClient``: far too slow to measure a server, kept for comparison) and ``wrk``
  (when installed; the requests are pre-rendered into a file its Lua script loads).
  ``bench/loaders.py`` measures their ceilings.
- :class:`Scenario` is one measured request shape; :func:`run_scenarios` measures a list of them
  and :func:`print_report` prints the table, the ratios to the baselines and the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
BIN_DIR = Path(sys.executable).parent
NEEDLEPLAN_CLI = BIN_DIR / "needleplan"
DEFAULT_PG_ADMIN_URL = os.environ.get(
    "NEEDLEPLAN_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REFERENCE_URL_VARIABLE = "NEEDLEPLAN_BENCH_REFERENCE_DATABASE_URL"
# The machine's load before the run: other work on the machine skews every figure.
LOAD_BEFORE = os.getloadavg() if hasattr(os, "getloadavg") else None

DbKind = Literal["sqlite", "postgres"]
LoaderName = Literal["raw", "streams", "httpx", "wrk"]
TargetName = Literal["app", "reference"]


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------


class BenchDatabase:
    """A fresh, migrated database with an admin key; removed again on :meth:`close`.

    SQLite: ``needleplan.db`` in a new temporary directory. PostgreSQL: a new database
    ``needleplan_bench_<random>`` created through ``admin_url`` and dropped (``WITH (FORCE)``).
    """

    def __init__(self, kind: DbKind, *, pg_admin_url: str = DEFAULT_PG_ADMIN_URL) -> None:
        self.kind = kind
        self.workdir = Path(tempfile.mkdtemp(prefix="needleplan-bench-"))
        self._pg_admin_url = pg_admin_url
        self._pg_name: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{self.workdir / 'needleplan.db'}"
        elif kind == "postgres":
            from sqlalchemy.engine import make_url

            self._pg_name = f"needleplan_bench_{uuid.uuid4().hex[:10]}"
            with self._admin_connection() as conn:
                conn.execute(f'CREATE DATABASE "{self._pg_name}"')
            url = make_url(pg_admin_url).set(database=self._pg_name)
            self.url = url.render_as_string(hide_password=False)
        else:
            raise ValueError(f"unknown database kind {kind!r}")
        self.env = {**os.environ, "NEEDLEPLAN_DATABASE_URL": self.url}
        self.admin_key = ""

    def _admin_connection(self) -> Any:
        import psycopg

        libpq_url = self._pg_admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(libpq_url, autocommit=True, connect_timeout=5)

    def cli(self, *args: str) -> str:
        """Run ``needleplan <args>`` against this database; return its stdout."""
        done = subprocess.run(
            [str(NEEDLEPLAN_CLI), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"needleplan {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def prepare(self) -> BenchDatabase:
        """Migrate, create an admin key and the reference app's table."""
        reference_app = _reference_app_module()
        self.cli("migrate")
        self.admin_key = self.cli("create-api-key", "--role", "admin", "--name", "bench")
        self.admin_key = self.admin_key.strip().splitlines()[-1].strip()
        reference_app.create_schema(self.url)
        return self

    def close(self) -> None:
        if self._pg_name is not None:
            with contextlib.suppress(Exception), self._admin_connection() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
            self._pg_name = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> BenchDatabase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _reference_app_module() -> Any:
    """``bench/reference_app.py``, wherever the harness is imported from."""
    import importlib.util

    if "needleplan_bench_reference_app" in sys.modules:
        return sys.modules["needleplan_bench_reference_app"]
    spec = importlib.util.spec_from_file_location(
        "needleplan_bench_reference_app", BENCH_DIR / "reference_app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # SQLAlchemy resolves the annotations through it
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


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
    def app(cls, database: BenchDatabase, *, workers: int, log_level: str = "INFO") -> Server:
        """``needleplan serve`` against ``database``, authenticating as its admin key."""
        port = free_port()
        command = [str(NEEDLEPLAN_CLI), "serve", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers)]
        env = {**database.env, "NEEDLEPLAN_LOG_LEVEL": log_level}
        headers = {"Authorization": f"Bearer {database.admin_key}"}
        return cls(
            "app",
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
        command = [sys.executable, "-m", "uvicorn", "reference_app:app"]
        command += ["--app-dir", str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers), "--loop", "uvloop", "--http", "httptools"]
        command += ["--no-access-log", "--log-level", "info"]
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


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None  # JSON-serialisable value, or bytes sent as they are
    headers: Mapping[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()

    def render(self, host: str, default_headers: Mapping[str, str]) -> bytes:
        """The request as HTTP/1.1 bytes on a keep-alive connection."""
        body = self.body_bytes()
        headers = {"Host": host, **default_headers, **self.headers}
        if self.body is not None:
            headers.setdefault("Content-Type", "application/json")
            headers["Content-Length"] = str(len(body))
        head = f"{self.method} {self.path} HTTP/1.1\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        return (head + "\r\n").encode("latin-1") + body


RequestFactory = Callable[[int], Request]


class RequestSource:
    """Hands out rendered requests: ``factory(i)`` for i = offset, offset + 1, ...

    When the factory makes only ``distinct`` different requests (``factory(i)`` equals
    ``factory(i % distinct)``) they are rendered once and cycled; ``distinct=None`` renders
    every request anew (bookings, which must not repeat).
    """

    def __init__(
        self,
        factory: RequestFactory,
        *,
        host: str,
        headers: Mapping[str, str],
        distinct: int | None,
        offset: int = 0,
    ) -> None:
        self.factory = factory
        self.host = host
        self.headers = dict(headers)
        self.distinct = distinct
        self.counter = itertools.count(offset)
        self._rendered = [self.render(i) for i in range(distinct)] if distinct is not None else None

    def render(self, index: int) -> bytes:
        return self.factory(index).render(self.host, self.headers)

    def next(self) -> bytes:
        index = next(self.counter)
        if self._rendered is not None:
            return self._rendered[index % len(self._rendered)]
        return self.render(index)


# --------------------------------------------------------------------------------------------
# Load generators
# --------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    errors: Counter[str]
    loader: str
    percentiles_ms: dict[float, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def __post_init__(self) -> None:
        self.latencies_ms.sort()

    def percentile(self, pct: float) -> float:
        """The nearest-rank percentile in ms (100: the maximum)."""
        if pct in self.percentiles_ms:
            return self.percentiles_ms[pct]
        if not self.latencies_ms:
            return float("nan")
        ordered = self.latencies_ms
        rank = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
        return ordered[rank]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(self.percentile(100), 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "loader": self.loader,
        }


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    base_url: str,
    factory: RequestFactory,
    *,
    headers: Mapping[str, str] | None = None,
    connections: int = 16,
    seconds: float = 5.0,
    warmup: float = 1.0,
    loader: LoaderName = "raw",
    distinct: int | None = 1,
) -> LoadResult:
    """Drive ``connections`` keep-alive connections for ``warmup`` + ``seconds`` seconds.

    Only responses completed in the last ``seconds`` count. Latency is measured per request,
    from writing it to reading the whole response (closed loop: each connection sends its next
    request when the previous answer arrived).
    """
    headers = dict(headers or {})
    if loader == "wrk":
        return _run_wrk(base_url, factory, headers, connections, seconds, warmup, distinct)
    host = httpx.URL(base_url).netloc.decode()
    source = RequestSource(factory, host=host, headers=headers, distinct=distinct)
    if loader == "raw":
        coroutine = _protocol_load(base_url, source, connections, seconds, warmup)
    elif loader == "streams":
        coroutine = _streams_load(base_url, source, connections, seconds, warmup)
    elif loader == "httpx":
        coroutine = _httpx_load(base_url, factory, headers, connections, seconds, warmup)
    else:
        raise ValueError(f"unknown loader {loader!r}")
    result: LoadResult = _run_async(coroutine)
    return result


def _run_async(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


class _Recorder:
    def __init__(self, measure_from: float, measure_until: float) -> None:
        self.measure_from = measure_from
        self.measure_until = measure_until
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()

    def result(self, loader: str) -> LoadResult:
        return LoadResult(
            requests=len(self.latencies),
            seconds=self.measure_until - self.measure_from,
            latencies_ms=self.latencies,
            statuses=self.statuses,
            errors=self.errors,
            loader=loader,
        )


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return


async def _streams_connection(
    host: str, port: int, source: RequestSource, rec: _Recorder, stop_at: float
) -> None:
    perf = time.perf_counter
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while perf() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            data = source.next()
            started = perf()
            writer.write(data)
            head = await reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                length = int(lower[at + 17 : lower.index(b"\r\n", at + 17)])
                if length:
                    await reader.readexactly(length)
            elif b"\r\ntransfer-encoding: chunked" in lower:
                await _read_chunked(reader)
            finished = perf()
            if rec.measure_from <= finished <= stop_at:
                rec.latencies.append((finished - started) * 1000)
                rec.statuses[int(head[9:12])] += 1
            if b"\r\nconnection: close" in lower:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            if perf() >= rec.measure_from:
                rec.errors[type(e).__name__] += 1
            if writer is not None:
                writer.close()
                writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def _streams_load(
    base_url: str, source: RequestSource, connections: int, seconds: float, warmup: float
) -> LoadResult:
    url = httpx.URL(base_url)
    host, port = url.host, url.port or 80
    start = time.perf_counter()
    rec = _Recorder(start + warmup, start + warmup + seconds)
    await asyncio.gather(
        *(
            _streams_connection(host, port, source, rec, rec.measure_until)
            for _ in range(connections)
        )
    )
    return rec.result("streams")


class _LoadProtocol(asyncio.Protocol):
    """One keep-alive connection driven by callbacks, no coroutine per request.

    Sends a request, parses the answer as bytes arrive (Content-Length or chunked), records it
    and sends the next one, until ``stop_at``.
    """

    def __init__(self, source: RequestSource, rec: _Recorder, done: asyncio.Future[None]) -> None:
        self.source = source
        self.rec = rec
        self.done = done
        self.buffer = bytearray()
        self.started = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.started = time.perf_counter()
        if self.started >= self.rec.measure_until:
            self.transport.close()
            return
        self.transport.write(self.source.next())

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 17)
            total = end + 4 + int(head[at + 17 : stop if stop >= 0 else None])
        elif b"\r\ntransfer-encoding: chunked" in head:
            total = _chunked_end(buffer, end + 4)
            if total < 0:
                return
        else:
            total = end + 4
        if len(buffer) < total:
            return
        finished = time.perf_counter()
        rec = self.rec
        if rec.measure_from <= finished <= rec.measure_until:
            rec.latencies.append((finished - self.started) * 1000)
            rec.statuses[int(buffer[9:12])] += 1
        del buffer[:total]
        if b"\r\nconnection: close" in head:
            assert self.transport is not None
            self.transport.close()
            return
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and time.perf_counter() >= self.rec.measure_from:
            self.rec.errors[type(exc).__name__] += 1
        if not self.done.done():
            self.done.set_result(None)


def _chunked_end(buffer: bytearray, position: int) -> int:
    """Where a chunked body starting at ``position`` ends, or -1 while it is incomplete."""
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return -1
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0], 16)
        position = line_end + 2 + size + 2
        if size == 0:
            return position if len(buffer) >= position else -1
        if len(buffer) < position:
            return -1


async def _protocol_load(
    base_url: str, source: RequestSource, connections: int, seconds: float, warmup: float
) -> LoadResult:
    url = httpx.URL(base_url)
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    rec = _Recorder(start + warmup, start + warmup + seconds)

    async def slot() -> None:
        # One connection at a time; one the server closed (Connection: close, an error) is
        # opened again until the measurement ends.
        while time.perf_counter() < rec.measure_until:
            done: asyncio.Future[None] = loop.create_future()
            try:
                protocol = functools.partial(_LoadProtocol, source, rec, done)
                await loop.create_connection(protocol, url.host, url.port or 80)
            except OSError as exc:
                rec.errors[type(exc).__name__] += 1
                await asyncio.sleep(0.01)
                continue
            await done

    await asyncio.gather(*(slot() for _ in range(connections)))
    return rec.result("raw")


async def _httpx_load(
    base_url: str,
    factory: RequestFactory,
    headers: Mapping[str, str],
    connections: int,
    seconds: float,
    warmup: float,
) -> LoadResult:
    perf = time.perf_counter
    start = perf()
    rec = _Recorder(start + warmup, start + warmup + seconds)
    counter = itertools.count()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def connection(client: httpx.AsyncClient) -> None:
        while perf() < rec.measure_until:
            request = factory(next(counter))
            content = request.body_bytes() if request.body is not None else None
            merged = dict(request.headers)
            if content is not None:
                merged.setdefault("Content-Type", "application/json")
            started = perf()
            try:
                response = await client.request(
                    request.method, request.path, content=content, headers=merged
                )
            except httpx.HTTPError as exc:
                if perf() >= rec.measure_from:
                    rec.errors[type(exc).__name__] += 1
                continue
            finished = perf()
            if rec.measure_from <= finished <= rec.measure_until:
                rec.latencies.append((finished - started) * 1000)
                rec.statuses[response.status_code] += 1

    async with httpx.AsyncClient(
        base_url=base_url, headers=dict(headers), limits=limits, timeout=30
    ) as client:
        await asyncio.gather(*(connection(client) for _ in range(connections)))
    return rec.result("httpx")


# wrk cannot call back into Python: the requests are pre-rendered into a file of
# "<length>\n<bytes>" records that the script loads. Thread t of T sends requests t, t + T,
# t + 2T, ... from an offset passed as a script argument.
_WRK_SCRIPT = r"""
local function load_requests(path)
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  local list, position = {}, 1
  while position <= #data do
    local newline = string.find(data, "\n", position, true)
    local length = tonumber(string.sub(data, position, newline - 1))
    table.insert(list, string.sub(data, newline + 1, newline + length))
    position = newline + length + 1
  end
  return list
end

local requests = load_requests("%(requests)s")
local count = #requests
local threads = {}
next_index = 0  -- global: done() reads it with thread:get
local step = 1
counts = {}

function setup(thread)
  thread:set("tid", #threads)
  thread:set("nthreads", %(threads)d)
  table.insert(threads, thread)
end

function init(args)
  next_index = tonumber(args[1] or "0") + tid
  step = nthreads
end

function request()
  local r = requests[(next_index %% count) + 1]
  next_index = next_index + step
  return r
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals, statuses = {}, {}
  local next_free = 0
  for _, thread in ipairs(threads) do
    next_free = math.max(next_free, thread:get("next_index"))
    for status, n in pairs(thread:get("counts")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  for status, n in pairs(totals) do
    table.insert(statuses, string.format('"%%d":%%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'NEEDLEPLAN_BENCH {"requests":%%d,"duration_us":%%d,"p50":%%d,"p95":%%d,"p99":%%d,' ..
    '"max":%%d,"connect":%%d,"read":%%d,"write":%%d,"timeout":%%d,"next":%%d,"statuses":{%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, next_free,
    table.concat(statuses, ",")))
end
"""

WRK_MAX_RENDERED = 50_000


def _run_wrk(
    base_url: str,
    factory: RequestFactory,
    headers: Mapping[str, str],
    connections: int,
    seconds: float,
    warmup: float,
    distinct: int | None,
) -> LoadResult:
    host = httpx.URL(base_url).netloc.decode()
    rendered = distinct if distinct is not None else WRK_MAX_RENDERED
    source = RequestSource(factory, host=host, headers=headers, distinct=None)
    threads = max(1, min(connections, os.cpu_count() or 1))
    workdir = Path(tempfile.mkdtemp(prefix="needleplan-wrk-"))
    requests_path = workdir / "requests.bin"
    with requests_path.open("wb") as handle:
        for index in range(rendered):
            data = source.render(index)
            handle.write(b"%d\n%s" % (len(data), data))
    script_path = workdir / "load.lua"
    script_path.write_text(_WRK_SCRIPT % {"requests": requests_path, "threads": threads})
    try:
        offset = 0
        if warmup > 0:
            warm = _wrk_once(base_url, script_path, threads, connections, warmup, offset)
            offset = warm["next"]
        result = _wrk_once(base_url, script_path, threads, connections, seconds, offset)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if distinct is None and result["next"] > rendered:
        print(
            f"  warning: wrk sent more requests than the {rendered} pre-rendered ones; "
            "some were repeated",
            file=sys.stderr,
        )
    errors = Counter({k: result[k] for k in ("connect", "read", "write", "timeout") if result[k]})
    return LoadResult(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        latencies_ms=[],
        statuses=Counter({int(k): v for k, v in result["statuses"].items()}),
        errors=errors,
        loader="wrk",
        percentiles_ms={
            50: result["p50"] / 1000,
            95: result["p95"] / 1000,
            99: result["p99"] / 1000,
            100: result["max"] / 1000,
        },
    )


def _wrk_once(
    base_url: str, script: Path, threads: int, connections: int, seconds: float, offset: int
) -> dict[str, Any]:
    duration = f"{max(1, round(seconds))}s"
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", duration]
    command += ["--timeout", "30s", "-s", str(script), base_url, "--", str(offset)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^NEEDLEPLAN_BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    parsed: dict[str, Any] = json.loads(match.group(1))
    return parsed


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

SetupFn = Callable[[str, Mapping[str, str]], Any]


@dataclass
class Scenario:
    """One measured request shape.

    ``setup(base_url, headers)`` runs once before the measurement against the scenario's server
    and returns a state (ids to request, say); ``request(state, i)`` makes the i-th request.
    ``distinct`` says how many different requests ``request`` makes before repeating (``None``:
    each one is new, as bookings must be). ``baseline`` names the scenario this one's rate is
    compared with; ``min_ratio``, ``max_p50_ms`` and ``max_p99_ms`` are targets, printed as met
    or missed, never asserted. ``connections`` overrides the run's connection count (a latency
    scenario may want 1).
    """

    name: str
    request: Callable[[Any, int], Request]
    setup: SetupFn | None = None
    target: TargetName = "app"
    baseline: str | None = None
    distinct: int | None = 1
    connections: int | None = None
    min_ratio: float | None = None
    max_p50_ms: float | None = None
    max_p99_ms: float | None = None
    description: str = ""


def shared_setup(function: SetupFn) -> SetupFn:
    """Memoise a setup per server, so several scenarios can share one seeded data set."""
    cache: dict[str, Any] = {}

    def wrapper(base_url: str, headers: Mapping[str, str]) -> Any:
        if base_url not in cache:
            cache[base_url] = function(base_url, headers)
        return cache[base_url]

    wrapper.__name__ = getattr(function, "__name__", "setup")
    return wrapper


def post_many(
    base_url: str,
    headers: Mapping[str, str],
    path: str,
    bodies: Sequence[Any],
    *,
    concurrency: int = 16,
) -> list[dict[str, Any]]:
    """POST every body (concurrently, in order of results) and return the JSON answers.

    Any status other than 2xx is an error: seeding must not silently fail.
    """

    async def main() -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = [{} for _ in bodies]
        queue = iter(enumerate(bodies))
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=base_url, headers=dict(headers), limits=limits, timeout=30
        ) as client:

            async def worker() -> None:
                for index, body in queue:
                    response = await client.post(path, json=body)
                    if not response.is_success:
                        raise RuntimeError(
                            f"POST {path} answered {response.status_code}: {response.text}"
                        )
                    results[index] = response.json()

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results

    result: list[dict[str, Any]] = asyncio.run(main())
    return result


@dataclass
class ScenarioResult:
    scenario: Scenario
    load: LoadResult
    baseline_rps: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline_rps:
            return self.load.rps / self.baseline_rps
        return None

    def targets(self) -> list[tuple[str, bool]]:
        """(description, met) for every target the scenario declares."""
        s, checks = self.scenario, []
        if s.min_ratio is not None and self.ratio is not None:
            checks.append((f"rate >= {s.min_ratio:.0%} of {s.baseline}", self.ratio >= s.min_ratio))
        if s.max_p50_ms is not None:
            checks.append((f"p50 <= {s.max_p50_ms:g} ms", self.load.percentile(50) <= s.max_p50_ms))
        if s.max_p99_ms is not None:
            checks.append((f"p99 <= {s.max_p99_ms:g} ms", self.load.percentile(99) <= s.max_p99_ms))
        return checks


def run_scenarios(
    scenarios: Sequence[Scenario],
    servers: Mapping[str, Server],
    *,
    connections: int,
    seconds: float,
    warmup: float,
    loader: LoaderName,
    log: Callable[[str], None] = print,
) -> list[ScenarioResult]:
    """Set up and measure each scenario in order; baselines must come before their users."""
    earlier: set[str] = set()
    for scenario in scenarios:
        if scenario.baseline is not None and scenario.baseline not in earlier:
            raise ValueError(f"{scenario.name}: its baseline {scenario.baseline!r} must run first")
        earlier.add(scenario.name)
    results: dict[str, ScenarioResult] = {}
    for scenario in scenarios:
        server = servers[scenario.target]
        state = scenario.setup(server.base_url, server.headers) if scenario.setup else None
        request = scenario.request

        def factory(index: int, state: Any = state, request: Any = request) -> Request:
            made: Request = request(state, index)
            return made

        load = run_load(
            server.base_url,
            factory,
            headers=server.headers,
            connections=scenario.connections or connections,
            seconds=seconds,
            warmup=warmup,
            loader=loader,
            distinct=scenario.distinct,
        )
        baseline = results.get(scenario.baseline) if scenario.baseline else None
        result = ScenarioResult(scenario, load, baseline.load.rps if baseline else None)
        results[scenario.name] = result
        log(
            f"  {scenario.name:<22} {load.rps:>9,.0f} req/s  p50 {load.percentile(50):6.1f} ms"
            f"  p99 {load.percentile(99):6.1f} ms  {_statuses(load)}"
        )
    return list(results.values())


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def _statuses(load: LoadResult) -> str:
    parts = [f"{status}×{n}" for status, n in sorted(load.statuses.items())]
    parts += [f"{name}×{n}" for name, n in sorted(load.errors.items())]
    return " ".join(parts) or "-"


def _git_revision() -> str:
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return revision + ("+dirty" if dirty else "")


def environment() -> dict[str, str]:
    from importlib.metadata import version

    packages = ("fastapi", "pydantic", "sqlalchemy", "uvicorn", "uvloop", "httptools", "psycopg")
    info = {"python": platform.python_version(), "cpus": str(os.cpu_count())}
    for name in packages:
        with contextlib.suppress(Exception):
            info[name] = version(name)
    info["git"] = _git_revision()
    if LOAD_BEFORE is not None:
        info["load avg before"] = "/".join(f"{x:.1f}" for x in LOAD_BEFORE)
    return info


def command_line(argv: Sequence[str]) -> str:
    """The command that reproduces this run, relative to the project directory."""
    python = os.path.relpath(sys.executable, PROJECT_DIR) if sys.prefix != sys.base_prefix else ""
    script = os.path.relpath(os.path.abspath(argv[0]), PROJECT_DIR)
    return shlex.join([python or sys.executable, script, *argv[1:]])


def format_table(results: Sequence[ScenarioResult]) -> str:
    header = ("scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "vs baseline", "statuses")
    rows = [header]
    for r in results:
        ratio = f"{r.ratio:.2f} × {r.scenario.baseline}" if r.ratio is not None else "-"
        rows.append(
            (
                r.scenario.name,
                f"{r.load.rps:,.0f}",
                f"{r.load.percentile(50):.1f}",
                f"{r.load.percentile(95):.1f}",
                f"{r.load.percentile(99):.1f}",
                ratio,
                _statuses(r.load),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(widths[i]) if i in (0, 5, 6) else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append(
                "|"
                + "|".join(
                    "-" * (w + 1) + ":" if i not in (0, 5, 6) else "-" * (w + 2)
                    for i, w in enumerate(widths)
                )
                + "|"
            )
    return "\n".join(lines)


def print_report(
    results: Sequence[ScenarioResult],
    *,
    title: str,
    command: str,
    settings: Mapping[str, Any],
    ratios: Sequence[tuple[str, str]] = (),
) -> None:
    """The table, the ratios asked for, the targets and the command that reproduces it all."""
    by_name = {r.scenario.name: r for r in results}
    env = environment()
    print()
    print(f"## {title}")
    print()
    print("    " + command)
    print()
    print(", ".join(f"{k} {v}" for k, v in settings.items()))
    print(", ".join(f"{k} {v}" for k, v in env.items()))
    print()
    print(format_table(results))
    lines = []
    for numerator, denominator in ratios:
        if numerator in by_name and denominator in by_name and by_name[denominator].load.rps:
            value = by_name[numerator].load.rps / by_name[denominator].load.rps
            lines.append(f"- {numerator} / {denominator}: {value:.2f}")
    for r in results:
        unexpected = sum(n for status, n in r.load.statuses.items() if not 200 <= status < 300)
        unexpected += sum(r.load.errors.values())
        if unexpected:
            lines.append(f"- WARNING {r.scenario.name}: {unexpected} non-2xx answers or errors")
        for text, met in r.targets():
            lines.append(f"- target {r.scenario.name}: {text}: {'met' if met else 'MISSED'}")
    if lines:
        print()
        print("\n".join(lines))
    print()


def results_json(results: Sequence[ScenarioResult], **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "environment": environment(),
        "scenarios": [
            {
                "name": r.scenario.name,
                "target": r.scenario.target,
                "baseline": r.scenario.baseline,
                "ratio": None if r.ratio is None else round(r.ratio, 3),
                **r.load.summary(),
            }
            for r in results
        ],
    }


@contextlib.contextmanager
def servers_for(
    database: BenchDatabase, *, workers: int, app_log_level: str = "INFO"
) -> Iterator[dict[str, Server]]:
    """The app and the reference app, both on ``database`` with ``workers`` workers."""
    with (
        Server.app(database, workers=workers, log_level=app_log_level) as app,
        Server.reference(database, workers=workers) as reference,
    ):
        app.start()
        reference.start()
        yield {"app": app, "reference": reference}
