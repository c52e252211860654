"""Access log without patient data: method, path and status only.

Query strings are never logged (a name searched for is patient data), and uvicorn's own access
log is switched off by ``needleplan serve``.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("needleplan.access")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if log.isEnabledFor(logging.INFO):
                elapsed_ms = (time.perf_counter() - started) * 1000
                log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed_ms)
