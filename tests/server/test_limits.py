"""What a client may send: bodies too large are refused before they are read (413), slow
bodies time out (408), JSON that does not parse and values of the wrong type answer the
documented refusal (422): over a real socket where the transport matters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from handoff.server import create_app
from handoff.server.limits import MAX_BODY
from handoff.store import Store
from handoff_sdk import FakeClock

GUARD_S = 20
"""Only against a hang: each exchange below is answered at once when the server is right."""


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with a short body deadline, so a stalled body is refused quickly."""
    built = create_app(store, clock=clock, body_timeout=0.3)
    yield built
    await built.state.intake.aclose()


async def exchange(client: httpx.AsyncClient, head: bytes, *parts: bytes) -> tuple[int, Any]:
    """Send raw bytes on a new connection; the status and JSON body of the answer."""
    url = urlsplit(str(client.base_url))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(head)
        for part in parts:
            writer.write(part)
            await writer.drain()
        raw = await asyncio.wait_for(reader.read(), GUARD_S)
    except (ConnectionResetError, BrokenPipeError):
        raw = await asyncio.wait_for(reader.read(), GUARD_S)
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    _headers, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body) if body else None


def head(path: str, key: dict[str, str], **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: hub.test", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in key.items()]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_a_huge_content_length_is_refused_before_the_body(
    app: FastAPI, loopback: Any, admin_headers: dict[str, str]
) -> None:
    """413 answered while the client has sent 10 bytes of a claimed 2 GB."""
    async with loopback(app) as client:
        for path in ("/v1/page-views", "/webhooks/anyone"):
            status, body = await exchange(
                client,
                head(path, admin_headers, Content_Length=str(2_000_000_000)),
                b'{"id": "x"',
            )
            assert status == 413, path
            assert body == {
                "error": f"the body is too large: at most {MAX_BODY:,} bytes",
                "fields": [],
            }
        metrics = (await client.get("/metrics")).text
        assert 'handoff_requests_rejected_total{reason="too_large"} 2.0' in metrics


async def test_a_chunked_body_is_refused_once_past_the_limit(
    app: FastAPI, loopback: Any, admin_headers: dict[str, str]
) -> None:
    chunk = b"x" * 65_536
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (MAX_BODY // len(chunk) + 2)
    async with loopback(app) as client:
        status, body = await exchange(
            client,
            head("/v1/page-views", admin_headers, Transfer_Encoding="chunked"),
            *chunks,
            b"0\r\n\r\n",
        )
    assert status == 413
    assert body["error"].startswith("the body is too large")


async def test_a_body_that_stops_arriving_is_a_408(
    app: FastAPI, loopback: Any, admin_headers: dict[str, str]
) -> None:
    """A client that promises 100 bytes and sends 10 is answered at the body deadline."""
    async with loopback(app) as client:
        status, body = await exchange(
            client, head("/v1/page-views", admin_headers, Content_Length="100"), b'{"id": "x"'
        )
    assert status == 408
    assert body == {"error": "the request body did not arrive within 0.3 s", "fields": []}


async def test_json_that_does_not_parse_is_a_422_naming_the_body(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/page-views", content=b'{"id": "pv-1",', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid request"
    [field] = answer.json()["fields"]
    assert field["field"] == "body"
    assert field["problem"].startswith("not valid JSON")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/page-views", {"occurred_at": 0}, "occurred_at"),
        ("/v1/page-views", {"occurred_at": 1767603600}, "occurred_at"),
        ("/v1/chat-requests", {"human_requested": 1}, "human_requested"),
        ("/v1/chat-requests", {"human_requested": "true"}, "human_requested"),
        ("/v1/survey-responses", {"score": 9.5}, "score"),
    ],
)
async def test_values_of_the_wrong_type_are_refused_not_coerced(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
) -> None:
    """What the OpenAPI document forbids is refused: `0` is no time, `1` no boolean."""
    base = {
        "/v1/page-views": {"id": "pv-1", "visitor_id": "v-1", "url": "https://www.example.test/"},
        "/v1/chat-requests": {"id": "c-1", "conversation_id": "c-1", "visitor_id": "v-1"},
        "/v1/survey-responses": {"id": "s-1", "survey_id": "nps", "email": "a@example.test"},
    }[path]
    answer = await client.post(path, json={**base, **body})
    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["fields"]] == [field]
    good = await client.post(path, json=base)
    assert good.status_code == 202


async def test_an_unknown_path_answers_in_the_refusal_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.json() == {"error": "Not Found", "fields": []}
