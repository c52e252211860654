"""Which load generator has the highest ceiling on this machine?

    .venv/bin/python bench/compare_loaders.py [--seconds 3] [--connections 16] [--workers 1]

Measures every available load generator of ``loaders.py`` (raw, streams, wrk) against two
servers:

- ``null``: a stub HTTP/1.1 server (asyncio protocol on uvloop, a fixed 2-byte answer) in its own
  process; what the generator itself can drive, before any web framework costs anything.
- ``echo``: the reference app's validated echo (``reference_app.py`` under uvicorn), the figure
  ``run.py`` compares the API with. Server and generator share the machine's cores, so the
  generator that costs least CPU per request leaves the most to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

import httpx
from databases import BenchDatabase
from loaders import LOADERS, Request, run_load, wrk_available
from report import command_line
from servers import Server, free_port

_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class _NullProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).lower()
            at = head.find(b"\r\ncontent-length:")
            length = int(head[at + 17 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            del self.buffer[: end + 4 + length]
            self.transport.write(_ANSWER)  # type: ignore[attr-defined]


def serve_null(port: int) -> None:
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_NullProtocol, "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(main())


def _echo(_: int) -> Request:
    return Request("POST", "/echo", {"name": "needle", "quantity": 3, "tags": ["a", "b"]})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="workers of the echo server")
    parser.add_argument("--null-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv[1:])
    if args.null_server:
        serve_null(args.null_server)
        return 0
    loaders = [name for name in LOADERS if name != "wrk" or wrk_available()]
    rows: list[tuple[str, str, float, float, float]] = []

    def measure(target: str, base_url: str) -> None:
        for loader in loaders:
            result = run_load(
                base_url,
                _echo,
                connections=args.connections,
                seconds=args.seconds,
                warmup=args.warmup,
                loader=loader,
            )
            row = (target, loader, result.rps, result.percentile(50), result.percentile(99))
            rows.append(row)
            print(f"  {target:<5} {loader:<8} {row[2]:>10,.0f} req/s  p50 {row[3]:.2f} ms")

    port = free_port()
    null = subprocess.Popen([sys.executable, __file__, "--null-server", str(port)])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.post(f"http://127.0.0.1:{port}/", content=b"{}", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        measure("null", f"http://127.0.0.1:{port}")
    finally:
        null.terminate()
        null.wait(timeout=10)
    with BenchDatabase("sqlite") as database:
        database.prepare()
        with Server.reference(database, workers=args.workers) as reference:
            reference.start()
            measure("echo", reference.base_url)

    print()
    print("    " + command_line(argv))
    print()
    print("| server | loader | req/s | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|")
    for target, loader, rps, p50, p99 in rows:
        print(f"| {target} | {loader} | {rps:,.0f} | {p50:.2f} | {p99:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
