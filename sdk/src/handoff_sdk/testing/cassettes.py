"""Cassettes: vcrpy's recorded interactions served through an httpx transport.

The hub owns one httpx.AsyncClient and tests swap its transport; a
`CassetteTransport` is that swap. It replays by default; with `record=True` it
sends what the cassette lacks to a real transport and records the answer,
scrubbed. vcrpy supplies the file format, the matchers and the record modes,
so cassettes recorded here read like any vcrpy cassette.

Cassettes that cannot be recorded (no sandbox, or answers a live API will not
give on demand) are written by hand: `cassette_interaction` builds one
interaction, scrubbed as a recording would be, and `write_cassette` saves a
list of them after the secret check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import httpx
import yaml
from vcr import matchers
from vcr.cassette import Cassette
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from .scrub import find_secrets, scrub_body, scrub_headers, scrub_url

__all__ = [
    "CassetteMiss",
    "CassetteTransport",
    "FaultTransport",
    "RedirectTransport",
    "cassette_interaction",
    "write_cassette",
]

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
        self.recorded_statuses: list[int] = []
        """Statuses of the answers recorded in this session, in order."""

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
        self.recorded_statuses.append(response.status_code)
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

    @property
    def ended_in_errors(self) -> bool:
        """True when the last answer recorded was a 429 or a 5xx: a conversation not worth keeping.

        Such a cassette would replay the outage forever (five 429s, saved once,
        fail every later run), so it is not written.
        """
        return bool(self.recorded_statuses) and (
            self.recorded_statuses[-1] == 429 or self.recorded_statuses[-1] >= 500
        )

    def save(self, *, keep: bool = True) -> bool:
        """Write the cassette with what was recorded, through vcrpy's public persister.

        Nothing is written when nothing new was recorded, when `keep` is
        False (the test failed), or when the recording ended in errors.
        Returns whether the file was written.
        """
        if not (self.record and self.recorded_statuses) or not keep or self.ended_in_errors:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        FilesystemPersister.save_cassette(
            str(self.path),
            {"requests": self.cassette.requests, "responses": self.cassette.responses},
            serializer=yamlserializer,
        )
        return True

    async def aclose(self, *, keep: bool = True) -> None:
        """Save what was recorded (unless `keep` is False) and close the real transport."""
        self.save(keep=keep)
        if self._inner is not None:
            await self._inner.aclose()


class RedirectTransport(httpx.AsyncBaseTransport):
    """Send every request to another origin, path and query kept: recording from a stand-in.

    `RedirectTransport("https://127.0.0.1:41234")` under a recording
    `CassetteTransport` sends `GET https://epsilon.6sense.com/v3/company/details?ip=...`
    to `https://127.0.0.1:41234/v3/company/details?ip=...` (a vendor simulator,
    which serves the token and API paths on one host), while the cassette
    keeps the URL the connector asked for, so it replays in the connector's
    own tests. The stand-in's certificate is trusted as any other: the system
    bundle, or `SSL_CERT_FILE`.
    """

    def __init__(self, origin: str, inner: httpx.AsyncBaseTransport | None = None) -> None:
        target = httpx.URL(origin)
        if (
            target.scheme not in ("http", "https")
            or not target.host
            or target.path not in ("", "/")
        ):
            raise ValueError(
                f"expected an origin such as https://127.0.0.1:41234 (scheme, host, port), "
                f"got {origin!r}"
            )
        self.origin = target
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` to the origin instead of its own host."""
        url = request.url.copy_with(
            scheme=self.origin.scheme, host=self.origin.host, port=self.origin.port
        )
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        sent = httpx.Request(request.method, url, headers=headers, content=await request.aread())
        return await self._inner.handle_async_request(sent)

    async def aclose(self) -> None:
        """Close the transport that really sends."""
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


Headers = Mapping[str, str | Sequence[str]]
"""Header values as one string or a list of them; cassettes store lists."""


def _header_lists(headers: Headers | None, body: Any) -> dict[str, list[str]]:
    """Headers as lists, with httpx's JSON Content-Type when the body is JSON and none is set."""
    lists = {
        name: [value] if isinstance(value, str) else list(value)
        for name, value in (headers or {}).items()
    }
    is_json = body is not None and not isinstance(body, str | bytes)
    if is_json and not any(name.lower() == "content-type" for name in lists):
        lists["Content-Type"] = ["application/json"]
    return scrub_headers(lists)


def _body_text(body: Any, indent: int | None, headers: dict[str, list[str]]) -> str | None:
    """A body as the cassette stores it: text scrubbed like a recording, JSON serialised."""
    if body is None:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if isinstance(body, str):
        content_type = next((v[0] for k, v in headers.items() if k.lower() == "content-type"), "")
        return cast(str, scrub_body(body, content_type))  # str in, str out
    plain = json.loads(cast(str, scrub_body(json.dumps(body), "application/json")))
    if indent is None:
        return json.dumps(plain, separators=(",", ":"))
    return json.dumps(plain, indent=indent)


def cassette_interaction(
    method: str,
    uri: str,
    *,
    request_body: Any = None,
    request_headers: Headers | None = None,
    status: int = 200,
    reason: str | None = None,
    response_body: Any = None,
    response_headers: Headers | None = None,
    indent: int | None = None,
) -> dict[str, Any]:
    """One vcrpy interaction for a hand-written cassette, scrubbed as a recording is.

    Connectors whose API cannot be recorded on demand (no sandbox, rare error
    answers) write their cassettes from synthetic data; this builds each
    request/answer pair in the shape `CassetteTransport` replays. Write `uri`
    exactly as the connector sends it: replay compares it with the live URL
    after both went through `scrub_url`.

    Bodies: None is no body; a str (or bytes) is recorded as text; anything
    else is JSON, written compactly with its keys in the given order, or
    indented by `indent` (stored as a readable YAML block). Headers are
    recorded in the order given; as httpx does, a JSON body gets
    `Content-Type: application/json` (last) unless the headers name one. The
    URI, the headers and the bodies are scrubbed (`handoff_sdk.testing.scrub`),
    so a secret passed here is written as REDACTED. `reason` defaults to the
    status's standard phrase.
    """
    sent_headers = _header_lists(request_headers, request_body)
    answer_headers = _header_lists(response_headers, response_body)
    answer_text = _body_text(response_body, indent, answer_headers)
    return {
        "request": {
            "method": method,
            "uri": scrub_url(uri),
            "body": _body_text(request_body, indent, sent_headers),
            "headers": sent_headers,
        },
        "response": {
            "status": {
                "code": status,
                "message": httpx.codes.get_reason_phrase(status) if reason is None else reason,
            },
            "headers": answer_headers,
            "body": {"string": "" if answer_text is None else answer_text},
        },
    }


class _CassetteDumper(yaml.SafeDumper):
    """Writes shared values in full rather than as YAML anchors, multi-line text as blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never alias: a cassette is read by people, and repeated headers are common."""
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CassetteDumper.add_representer(str, _represent_str)

_INTERACTION_FIELDS = {
    "request": ("method", "uri", "body", "headers"),
    "response": ("status", "headers", "body"),
}


def _check_shape(interactions: Sequence[Mapping[str, Any]], path: Path) -> None:
    for n, interaction in enumerate(interactions):
        for side, fields in _INTERACTION_FIELDS.items():
            part = interaction.get(side)
            missing = [f for f in fields if not isinstance(part, Mapping) or f not in part]
            if missing:
                raise ValueError(
                    f"cannot write {path}: interaction {n} {side} lacks "
                    f"{', '.join(missing)} (build it with cassette_interaction)"
                )


def write_cassette(path: Path | str, interactions: Sequence[Mapping[str, Any]]) -> None:
    """Save hand-written interactions as a vcrpy YAML cassette, refusing any secret.

    The one writer for generated cassettes, so every connector's files share
    one format: no YAML anchors, lines wrapped at 100 characters, ASCII only
    (vcrpy reads cassettes in the locale's encoding), multi-line text as
    literal blocks. Before writing, the cassette goes through the same secret
    check as the committed ones (`find_secrets`); a finding raises ValueError
    and nothing is written. Parent folders are created.
    """
    path = Path(path)
    _check_shape(interactions, path)
    plain = [dict(i) for i in interactions]
    findings = find_secrets(plain, "cassette")
    if findings:
        raise ValueError(
            f"refusing to write {path}, it would hold secrets:\n" + "\n".join(findings)
        )
    data = {"interactions": plain, "version": 1}
    text = yaml.dump(data, Dumper=_CassetteDumper, sort_keys=False, allow_unicode=False, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
