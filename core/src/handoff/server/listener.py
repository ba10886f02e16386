"""The HTTP listener: uvicorn, with a deadline for a request's headers (slow-loris).

Uvicorn times out idle keep-alive connections, but nothing else before the
app is called: a client may open a connection and send its request line and
headers a byte at a time, for ever, holding a connection (and a file
descriptor) per attempt. The app cannot see such a client (it is called once
the headers are complete), so the deadline lives in the protocol: the
headers must be complete within `header_timeout` seconds of the connection's
start, or, on a kept-alive connection, of the next request's first byte. Past
it the client is answered 408 in the API's refusal shape and the connection
is closed. The body has its own deadline in the app (handoff.server.limits).

The protocol is uvicorn's httptools one (uvicorn[standard] installs
httptools, and uvicorn picks it when present), subclassed.
"""

from __future__ import annotations

import json
import logging
from asyncio import TimerHandle, Transport
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEADER_TIMEOUT_S", "HeaderDeadline", "header_deadline", "uvicorn_config"]

HEADER_TIMEOUT_S = 10.0
"""How long a request's line and headers may take to arrive."""

LINGER_S = 2.0
"""After the 408, how long the client may take to read it and close before it is cut off."""

log = logging.getLogger("handoff.server")


class HeaderDeadline(HttpToolsProtocol):
    """Uvicorn's httptools protocol, closing a connection whose headers do not arrive in time.

    `header_timeout` is a class attribute (uvicorn builds one protocol per
    connection from a class): `header_deadline` makes a subclass per value.
    """

    header_timeout: ClassVar[float] = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: TimerHandle | None = None
        self._lingering: TimerHandle | None = None

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers as the connection opens."""
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        """A later request on a kept-alive connection: its headers get the same time."""
        super().on_message_begin()
        if self._header_deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        """In time: the request goes to the app (whose body deadline takes over)."""
        self._disarm()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        """Read and parse, unless the 408 was sent: then what still comes is dropped."""
        if self._lingering is None:
            super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        """The client went away: no deadline to keep."""
        self._disarm()
        if self._lingering is not None:
            self._lingering.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self.headers_too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def headers_too_slow(self) -> None:
        """The deadline passed: a 408 (unless a response is being written), then close."""
        self._header_deadline = None
        if self.transport.is_closing():
            return
        prefix = "%s:%d - " % self.client if self.client else ""  # noqa: UP031 - uvicorn's form
        log.warning(
            "%sclosed: the request's headers did not arrive within %g s",
            prefix,
            self.header_timeout,
        )
        if (self.cycle is None or self.cycle.response_complete) and self.transport.can_write_eof():
            # A lingering close: the 408 and our FIN go out, what the client still sends is
            # read and dropped until it closes (or LINGER_S). Closing at once would answer
            # its next bytes with a reset, which can destroy the 408 before it is read.
            self.transport.write(_timeout_response(self.header_timeout))
            self.transport.write_eof()
            self._lingering = self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()
        count = getattr(getattr(self.config.app, "state", None), "count_rejected", None)
        if count is not None:
            count("header_timeout")


def _timeout_response(seconds: float) -> bytes:
    body = json.dumps(
        {"error": f"the request headers did not arrive within {seconds:g} s", "fields": []}
    ).encode()
    return (
        b"HTTP/1.1 408 Request Timeout\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


def header_deadline(seconds: float = HEADER_TIMEOUT_S) -> type[HeaderDeadline]:
    """The protocol class to give uvicorn (`http=`) for headers due within `seconds`."""
    if seconds <= 0:
        raise ValueError(f"the header timeout must be positive, got {seconds:g}")
    return type("HeaderDeadline", (HeaderDeadline,), {"header_timeout": seconds})


def uvicorn_config(
    app: Any, *, header_timeout: float = HEADER_TIMEOUT_S, **options: Any
) -> uvicorn.Config:
    """A uvicorn Config serving `app` with the header deadline (for servers run in a loop).

    When `app` counts refusals (`app.state.count_rejected`, set by create_app),
    a connection closed for slow headers is counted as `header_timeout`.
    """
    return uvicorn.Config(app, http=header_deadline(header_timeout), **options)
