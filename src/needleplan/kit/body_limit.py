"""Request bodies over the limit are refused with 413 while they stream in, never read whole.

``Content-Length`` over the limit is refused before the application runs at all; a chunked body
(no length up front) is counted message by message as the application reads it, and refused at
the first message that passes the limit, so the rest of it is never read.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from needleplan.problems import PayloadTooLarge, problem_response


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes, this server's limit.")


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")  # a FHIR path behind it still gets FHIR's form
        length = _content_length(Headers(scope=scope))
        if length is not None and length > self.max_bytes:
            await problem_response(_too_large(self.max_bytes), path, root)(scope, receive, send)
            return

        received = 0
        refused = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                raise _too_large(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    raise _too_large(self.max_bytes)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            # Once the body is refused, whatever the application makes of the failed read (a
            # 400, a 500) is dropped: the answer is the 413 below.
            if refused and not response_started:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused or response_started:
                raise
        if refused and not response_started:
            await problem_response(_too_large(self.max_bytes), path, root)(scope, receive, send)
