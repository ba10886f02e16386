"""Cassettes: vcrpy's recorded interactions served through an httpx transport.

The hub owns one httpx.AsyncClient and tests swap its transport; a
`CassetteTransport` is that swap. It replays by default; with `record=True` it
sends what the cassette lacks to a real transport and records the answer,
scrubbed. vcrpy supplies the file format, the matchers and the record modes,
so cassettes recorded here read like any vcrpy cassette.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from vcr import matchers
from vcr.cassette import Cassette
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from .scrub import scrub_body, scrub_headers, scrub_url

__all__ = ["CassetteMiss", "CassetteTransport", "FaultTransport"]

_DROP_RESPONSE_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class CassetteMiss(LookupError):
    """A request had no recorded answer in replay mode."""


def _scrub_request(request: VcrRequest) -> VcrRequest:
    request.uri = scrub_url(request.uri)
    request.headers = scrub_headers(dict(request.headers))
    body = scrub_body(request.body, str(request.headers.get("content-type", "")))
    request.body = body.encode() if isinstance(body, str) else body
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = {
        k: v
        for k, v in response.get("headers", {}).items()
        if k.lower() not in _DROP_RESPONSE_HEADERS
    }
    response["headers"] = scrub_headers(headers)
    body = response.get("body", {})
    content_type = str(headers.get("content-type", [""])[0] if headers.get("content-type") else "")
    body["string"] = scrub_body(body.get("string"), content_type)
    return response


class CassetteTransport(httpx.AsyncBaseTransport):
    """Serve a vcrpy cassette; optionally record what it lacks from a real transport.

    `requests` keeps every request the transport was asked to send, so tests
    count API calls. Matching is on method and full URL (after scrubbing), plus
    the body when `match_body` is set; identical requests are answered in the
    order they were recorded.
    """

    def __init__(
        self,
        path: Path,
        *,
        record: bool = False,
        inner: httpx.AsyncBaseTransport | None = None,
        match_body: bool = False,
        allow_repeats: bool = False,
    ) -> None:
        self.path = Path(path)
        self.record = record
        self._inner = inner or (httpx.AsyncHTTPTransport() if record else None)
        match_on: list[Callable[..., Any]] = [matchers.method, matchers.uri]
        if match_body:
            match_on.append(matchers.body)
        self.cassette = Cassette.load(
            path=str(self.path),
            serializer=yamlserializer,
            persister=FilesystemPersister,
            record_mode=RecordMode.NEW_EPISODES if record else RecordMode.NONE,
            match_on=tuple(match_on),
            before_record_request=_scrub_request,
            before_record_response=_scrub_response,
            allow_playback_repeats=allow_repeats,
        )
        if not record and not self.path.exists():
            raise CassetteMiss(
                f"cassette {self.path} does not exist; record it with --record-cassettes"
            )
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer from the cassette, or record a real answer when recording."""
        await request.aread()
        self.requests.append(request)
        vcr_request = _scrub_request(
            VcrRequest(request.method, str(request.url), request.content, dict(request.headers))
        )
        if self.cassette.can_play_response_for(vcr_request):
            recorded = self.cassette.play_response(vcr_request)
            return self._to_httpx(recorded, request)
        if not self.record or self._inner is None:
            raise CassetteMiss(
                f"no recorded answer for {request.method} {scrub_url(str(request.url))} "
                f"in {self.path} (or it was already played); "
                "re-record with `pytest --record-cassettes`"
            )
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        recorded = {
            "status": {"code": response.status_code, "message": response.reason_phrase},
            "headers": {k: [v] for k, v in response.headers.items()},
            "body": {"string": content.decode("utf-8", "replace")},
        }
        self.cassette.append(
            VcrRequest(request.method, str(request.url), request.content, dict(request.headers)),
            recorded,
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    @staticmethod
    def _to_httpx(recorded: dict[str, Any], request: httpx.Request) -> httpx.Response:
        headers: list[tuple[str, str]] = []
        for name, value in recorded.get("headers", {}).items():
            if name.lower() in _DROP_RESPONSE_HEADERS:
                continue
            for v in value if isinstance(value, list) else [value]:
                headers.append((name, str(v)))
        body = recorded.get("body", {}).get("string", b"")
        content = body.encode() if isinstance(body, str) else bytes(body or b"")
        return httpx.Response(
            recorded["status"]["code"], headers=headers, content=content, request=request
        )

    def save(self) -> None:
        """Write newly recorded interactions to disk (recording only)."""
        if self.record and self.cassette._new_interactions():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.cassette._save(force=True)

    async def aclose(self) -> None:
        """Save what was recorded and close the real transport."""
        self.save()
        if self._inner is not None:
            await self._inner.aclose()


class FaultTransport(httpx.AsyncBaseTransport):
    """Answer the first matching requests with given faults, then pass through.

    The contract class uses it to put a 429 or an expired-token answer in front
    of a recorded conversation.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        faults: list[httpx.Response],
        when: Callable[[httpx.Request], bool] = lambda _r: True,
    ) -> None:
        self._inner = inner
        self._faults = list(faults)
        self._when = when
        self.injected = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Inject the next fault if this request matches, else delegate."""
        if self._faults and self._when(request):
            fault = self._faults.pop(0)
            self.injected += 1
            return httpx.Response(
                fault.status_code, headers=fault.headers, content=fault.content, request=request
            )
        return await self._inner.handle_async_request(request)
