"""uvicorn with its workers balanced by the kernel (docs/operations.md#scale-out).

uvicorn's multi-worker mode binds one socket in its supervisor and every worker accepts on it.
Linux wakes the most recently idle worker first, so long-lived keep-alive connections (a load
balancer's, a booking vendor's pool) pile up on one or two workers: 16 connections opened at
once were seen split 16/0, 15/1 and 14/2 over two workers, which left one core idle and halved
the server's throughput, at random from one start to the next. With ``SO_REUSEPORT`` each worker
listens on a socket of its own bound to the same address, and the kernel spreads new
connections over the workers by a hash of their addresses.

uvicorn (0.54) has no option for it, so the supervisor is uvicorn's own and only the socket it
hands its workers differs: :class:`_OwnListener` is bound in the supervisor (never listening,
so it takes no connection; it holds the address and reports a busy port at once), and a worker
that receives it (uvicorn starts workers with multiprocessing's *spawn*, which pickles what it
passes) unpickles it as a new socket bound to the same address. A worker uvicorn restarts gets
its own socket the same way.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

# Linux balances connections over the sockets of a SO_REUSEPORT group; other systems accept the
# option but may hand every connection to one socket.
KERNEL_BALANCES = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _bound(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A new TCP socket bound to ``address`` in a SO_REUSEPORT group (a worker's listener)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


class _OwnListener(socket.socket):
    """Bound in the supervisor; every worker that unpickles it binds a socket of its own."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_bound, (int(self.family), self.getsockname()))


def _supervisor_listener(host: str, port: int) -> _OwnListener:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn's bind_socket
    # First as uvicorn binds, without SO_REUSEPORT: a server already listening there (this one
    # started twice, say) makes it fail, where joining its group would share its connections.
    # A server of ours still starting (no worker listening yet) is not seen: SO_REUSEADDR lets
    # two unlistened sockets share the port, and it is needed to rebind past TIME_WAIT.
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    sock = _OwnListener(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """``uvicorn.run(app, ...)``, but with more than one worker on Linux each worker listens on
    a socket of its own (module docstring). ``options`` are uvicorn's ``Config`` arguments.
    Raises ``OSError`` when the address cannot be bound."""
    if workers < 2 or not KERNEL_BALANCES:
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    config = uvicorn.Config(app, host=host, port=port, workers=workers, **options)
    listener = _supervisor_listener(host, port)
    # uvicorn says where it listens only when it binds the socket itself (and --port 0 picks).
    bound_host, bound_port = listener.getsockname()[:2]
    shown = f"[{bound_host}]" if listener.family == socket.AF_INET6 else bound_host
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d, a socket per worker (Press CTRL+C to quit)",
        shown,
        bound_port,
    )
    try:
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
