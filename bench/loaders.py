"""Load generators: keep-alive connections driven at a server, measured per request.

:func:`run_load` drives N keep-alive connections for D seconds after a warm-up and returns
req/s, latency percentiles and status counts (a :class:`LoadResult`). Requests are
:class:`Request` values made by a factory ``i -> Request`` and rendered to HTTP/1.1 bytes ahead
of sending (:class:`RequestSource`). Three load generators:

- ``wrk`` (when installed): the requests are pre-rendered into a file that its Lua script,
  ``bench/wrk_requests.lua``, loads;
- ``raw``: an asyncio ``Protocol`` per connection on uvloop, the highest ceiling of the Python
  ones and the fallback without wrk;
- ``streams``: asyncio streams, a coroutine per connection.

``bench/compare_loaders.py`` measures their ceilings.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_requests.lua"

LoaderName = Literal["raw", "streams", "wrk"]
LOADERS: tuple[LoaderName, ...] = ("raw", "streams", "wrk")


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


# --------------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------------

# A scenario whose requests never repeat (distinct=None) gets this many, rendered ahead.
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
    try:
        offset = 0
        if warmup > 0:
            warm = _wrk_once(base_url, requests_path, threads, connections, warmup, offset)
            offset = warm["next"]
        result = _wrk_once(base_url, requests_path, threads, connections, seconds, offset)
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
    base_url: str, requests: Path, threads: int, connections: int, seconds: float, offset: int
) -> dict[str, Any]:
    """One wrk run of ``bench/wrk_requests.lua``; its ``NEEDLEPLAN_BENCH`` line, parsed."""
    duration = f"{max(1, round(seconds))}s"
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", duration]
    command += ["--timeout", "30s", "-s", str(WRK_SCRIPT), base_url]
    command += ["--", str(requests), str(threads), str(offset)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^NEEDLEPLAN_BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    parsed: dict[str, Any] = json.loads(match.group(1))
    return parsed
