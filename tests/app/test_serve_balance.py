"""``needleplan serve --workers N`` spreads keep-alive connections over its workers
(kit/serving.py, docs/operations.md#scale-out).

With uvicorn's one shared socket, 16 connections opened at once were seen held 16/0 and 15/1 by
two workers. Here each worker must listen on a socket of its own, and 32 connections must land
on both workers. The kernel's spread is a hash: both workers hold at least 4 of 32 except with a
probability of about 3 in a million.

Linux only: that is where SO_REUSEPORT balances (elsewhere serve keeps uvicorn's socket).
The sockets are read from /proc, so the test needs nothing but Python.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from needleplan.kit.serving import KERNEL_BALANCES
from tests.live_server import needleplan_command, running_server, server_environment

pytestmark = pytest.mark.skipif(
    not KERNEL_BALANCES or not Path("/proc/net/tcp").exists(),
    reason="SO_REUSEPORT balances connections on Linux only",
)

LISTEN, ESTABLISHED = "0A", "01"


def _socket_inodes(port: int, state: str) -> set[str]:
    """Inodes of this host's IPv4 TCP sockets whose local port is ``port``, in ``state``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def _holders(inodes: set[str]) -> Counter[int]:
    """How many of the sockets ``inodes`` each process holds open."""
    held: Counter[int] = Counter()
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            links = [link.readlink().name for link in (process / "fd").iterdir()]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        for target in links:
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held[int(process.name)] += 1
    return held


def test_each_worker_listens_on_its_own_socket_and_gets_connections(tmp_path: Path) -> None:
    with running_server(tmp_path, workers=2) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        # Healthy means one worker answers; the other may still be starting.
        deadline = time.monotonic() + 30
        listeners = _holders(_socket_inodes(port, LISTEN))
        while len(listeners) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            listeners = _holders(_socket_inodes(port, LISTEN))
        assert len(listeners) == 2, listeners  # two listening sockets, one in each worker
        assert set(listeners.values()) == {1}
        assert server.process.pid not in listeners  # the supervisor only holds the address

        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
        try:
            for connection in connections:  # every connection served, as keep-alive
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            for connection in connections:
                assert connection.recv(64).startswith(b"HTTP/1.1 200")
            # Server ends only: a client end's local port is an ephemeral one.
            held = _holders(_socket_inodes(port, ESTABLISHED))
        finally:
            for connection in connections:
                connection.close()
        assert set(held) == set(listeners), held
        assert min(held.values()) >= 4, held


def test_a_second_server_on_a_busy_port_fails_instead_of_sharing_it(tmp_path: Path) -> None:
    with running_server(tmp_path, workers=2) as server:
        port = server.base_url.rsplit(":", 1)[1]
        second = subprocess.run(
            [*needleplan_command(), "serve", "--port", port, "--workers", "2", "--no-worker"],
            env=server_environment(server.database_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
