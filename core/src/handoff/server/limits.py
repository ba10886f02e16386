"""Limits on what a client may send: the body's size (413) and how long it may take (408).

- The size: a `Content-Length` above `MAX_BODY` is refused before a byte of
  the body is read; a chunked body is counted as it arrives and refused once
  past it. (FastAPI's own `max_body_size` answers in plain text whatever the
  app says, so the API's refusal shape needs this one.)
- The time: the whole body gets `seconds` from the request's start; a
  client that stops sending (a slow-loris body) is answered 408.
  Uvicorn closes idle keep-alive connections itself (`timeout_keep_alive`).

Both refusals, and every other HTTP error the framework raises (404 for an
unknown path, 405), answer in the API's refusal shape and close the
connection when the body was not read to its end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handoff.server.responses import refused

__all__ = ["BODY_TIMEOUT_S", "MAX_BODY", "BodyLimits", "install_limits"]

MAX_BODY = 1_000_000
"""Largest request body accepted, in bytes."""

BODY_TIMEOUT_S = 30.0
"""How long a request's body may take to arrive, from the request's start."""

_REASONS = {408: "body_timeout", 413: "too_large"}


class BodyLimits:
    """ASGI middleware: a body over `MAX_BODY` is a 413, one not received within `seconds` a 408."""

    def __init__(self, app: ASGIApp, seconds: float, count: Callable[[str], None]) -> None:
        self.app = app
        self.seconds = seconds
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a `receive` that refuses to wait past the deadline."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            self.count(_REASONS[413])
            await _too_large()(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        complete = False
        size = 0

        async def timed() -> Message:
            nonlocal complete, size
            if complete:  # after the body, receive() waits for a disconnect: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(
                    408, f"the request body did not arrive within {self.seconds:g} s"
                ) from None
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > MAX_BODY:
                    raise HTTPException(413)
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed, send)


def _too_large() -> JSONResponse:
    answer = refused(413, f"the body is too large: at most {MAX_BODY:,} bytes")
    answer.headers["Connection"] = "close"
    return answer


def install_limits(app: FastAPI, *, body_timeout: float, count: Callable[[str], None]) -> None:
    """The body's size and deadline, and the refusal shape for the framework's HTTP errors."""
    app.add_middleware(BodyLimits, seconds=body_timeout, count=count)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        reason = _REASONS.get(exc.status_code)
        if reason is not None:
            count(reason)
        message = str(exc.detail)
        if exc.status_code == 413:
            message = f"the body is too large: at most {MAX_BODY:,} bytes"
        answer = refused(exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            answer.headers[name] = value
        if reason is not None:  # the rest of the body is not read: this connection is done
            answer.headers["Connection"] = "close"
        return answer
