"""Access log without patient data: method, path and status only.

Query strings are never logged (a name searched for is patient data), nor the token of a
calendar feed's path (``/calendar/<redacted>.ics``); uvicorn's own access log is switched off
by ``needleplan serve``.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("needleplan.access")

# A calendar feed's token is its credential (calendar_feeds/): it never reaches a log.
_FEED_TOKEN = re.compile(r"/calendar/[^/]*")


def loggable_path(path: str) -> str:
    return _FEED_TOKEN.sub("/calendar/<redacted>.ics", path)


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
                log.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    loggable_path(scope["path"]),
                    status,
                    elapsed_ms,
                )
