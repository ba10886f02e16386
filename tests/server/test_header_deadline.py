"""Slow-loris: a client sending its request line and headers a byte at a time is answered 408
and disconnected at the header deadline (handoff.server.listener), over a real socket.

The deadline is the event loop's own timer, so these tests configure a short one (0.5 s)
rather than waiting for the default; nothing asserts how fast anything runs. The client
paces its bytes 50 ms apart: it would need seconds to finish its headers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from handoff.cli import cli
from handoff.server import create_app
from handoff.server.listener import HEADER_TIMEOUT_S, header_deadline
from handoff.store import Store
from handoff_sdk import FakeClock

DEADLINE_S = 0.5
GUARD_S = 20
"""Only against a hang."""

SLOW_HEAD = b"GET /health/live HTTP/1.1\r\nHost: hub.test\r\nUser-Agent: a-slow-loris-client\r\n"
"""Never finished (no blank line): the server must give up on it."""


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    built = create_app(store, clock=clock)
    yield built
    await built.state.intake.aclose()


async def trickle(writer: asyncio.StreamWriter, reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Send SLOW_HEAD a byte at a time until the server closes; (bytes sent, its answer)."""
    answer = asyncio.create_task(reader.read())  # everything up to the server's close (EOF)
    sent = 0
    for byte in SLOW_HEAD:
        if answer.done():
            break
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except (ConnectionResetError, BrokenPipeError):
            break
        sent += 1
        await asyncio.sleep(0.05)
    return sent, await asyncio.wait_for(answer, GUARD_S)


def status_and_body(raw: bytes) -> tuple[int, Any, bytes]:
    status_line, _, rest = raw.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body), headers.lower()


async def test_headers_sent_a_byte_at_a_time_are_answered_408_and_the_connection_closed(
    app: FastAPI, loopback: Any
) -> None:
    async with loopback(app, header_timeout=DEADLINE_S) as client:
        url = urlsplit(str(client.base_url))
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            sent, answer = await trickle(writer, reader)
        finally:
            writer.close()
        assert sent < len(SLOW_HEAD), "the server waited for the whole head"
        status, body, headers = status_and_body(answer)
        assert status == 408
        assert body == {
            "error": f"the request headers did not arrive within {DEADLINE_S:g} s",
            "fields": [],
        }
        assert b"connection: close" in headers
        assert reader.at_eof()  # read() returned: the server closed its side
        metrics = (await client.get("/metrics")).text
    assert 'handoff_requests_rejected_total{reason="header_timeout"} 1.0' in metrics


async def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(
    app: FastAPI, loopback: Any
) -> None:
    """A prompt request is served; the same connection's slow next one is cut off."""
    async with loopback(app, header_timeout=DEADLINE_S) as client:
        url = urlsplit(str(client.base_url))
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            writer.write(b"GET /health/live HTTP/1.1\r\nHost: hub.test\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GUARD_S)
            assert head.startswith(b"HTTP/1.1 200 "), head
            length = next(
                int(line.split(b":")[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            )
            await asyncio.wait_for(reader.readexactly(length), GUARD_S)
            sent, answer = await trickle(writer, reader)
        finally:
            writer.close()
    assert sent < len(SLOW_HEAD)
    assert status_and_body(answer)[0] == 408


async def test_a_connection_that_sends_nothing_is_closed_at_the_deadline(
    app: FastAPI, loopback: Any
) -> None:
    async with loopback(app, header_timeout=DEADLINE_S) as client:
        url = urlsplit(str(client.base_url))
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            answer = await asyncio.wait_for(reader.read(), GUARD_S)
        finally:
            writer.close()
    assert status_and_body(answer)[0] == 408


async def test_headers_in_time_reach_the_app(app: FastAPI, loopback: Any) -> None:
    """The default deadline leaves an ordinary client alone, body and all."""
    async with loopback(app) as client:
        answer = await client.post(
            "/v1/page-views",
            json={"id": "pv-1", "visitor_id": "v-1", "url": "https://example.test/pricing"},
        )
    assert answer.status_code == 202, answer.text


def test_the_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        header_deadline(0)
    assert header_deadline().header_timeout == HEADER_TIMEOUT_S


def test_serve_takes_the_header_timeout_and_refuses_a_non_positive_one() -> None:
    runner = CliRunner()
    helped = runner.invoke(cli, ["serve", "--help"])
    assert "--header-timeout" in helped.output
    assert f"[default: {HEADER_TIMEOUT_S:g}]" in " ".join(helped.output.split())
    refused = runner.invoke(cli, ["serve", "--header-timeout", "0"])
    assert refused.exit_code == 2
    assert "--header-timeout" in refused.output
