"""Endpoints: how a simulator author describes one call of the vendor's API.

    @endpoint("PATCH", "/services/data/{version}/composite/sobjects/{sobject}/{field}",
              content_type="application/json",
              body={"allOrNone": bool, "records": list[dict[str, Any]]},
              batch=Batch("records", 200))
    async def upsert_collection(self, call: Call) -> Any:
        ...

The declaration is the validation: the method and path route the request,
`headers` must be present, the body must have `content_type` and match
`body` (field -> type; a key ending in "?" is optional; or a pydantic model),
the query must match `query`, and `batch` caps a list field. A request that
fails any of these is refused (`bad_request`, `unsupported_media_type`,
`batch_too_large`) before the handler runs, and the simulator renders the
refusal in the vendor's shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import pydantic
from pydantic import ConfigDict, Field, TypeAdapter, create_model
from starlette.convertors import Convertor
from starlette.datastructures import QueryParams
from starlette.routing import compile_path

from ._model import Call, RateWindow, Refusal

__all__ = ["Batch", "Endpoint", "endpoint"]

Handler = Callable[[Any, Call], Awaitable[Any]]
H = TypeVar("H", bound=Handler)

_ENDPOINT_ATTRIBUTE = "_simulator_endpoint"


@dataclass(frozen=True)
class Batch:
    """The largest number of items a list in the body may hold: `Batch("records", 200)`.

    `field` is a top-level key of the JSON body, or "" when the body itself
    is the list.
    """

    field: str
    maximum: int


@dataclass(frozen=True)
class Endpoint:
    """One declared call of the vendor's API (built by the `endpoint` decorator)."""

    method: str
    path: str
    name: str
    handler: Handler
    auth: bool
    content_type: str | None
    headers: tuple[str, ...]
    query: TypeAdapter[Any] | None
    body: TypeAdapter[Any] | None
    batch: Batch | None
    limits: tuple[RateWindow, ...]
    regex: re.Pattern[str]
    convertors: Mapping[str, Convertor[Any]]

    def match(self, path: str) -> dict[str, Any] | None:
        """The path parameters when `path` is this endpoint's, else None."""
        found = self.regex.match(path)
        if found is None:
            return None
        return {k: self.convertors[k].convert(v) for k, v in found.groupdict().items()}

    @property
    def summary(self) -> str:
        """The first line of the handler's docstring, for listings and errors."""
        return (self.handler.__doc__ or self.name).strip().splitlines()[0]


def endpoint(
    method: str,
    path: str,
    *,
    name: str | None = None,
    auth: bool = True,
    content_type: str | None = None,
    headers: Sequence[str] = (),
    query: Any = None,
    body: Any = None,
    batch: Batch | None = None,
    limits: Sequence[RateWindow] = (),
) -> Callable[[H], H]:
    """Declare a simulator method as the answer to `method path`.

    `path` takes Starlette-style parameters (`/tickets/{id:int}.json`).
    `auth=False` for calls made before logging in (the token endpoint); the
    others need credentials the simulator's `auth` accepts, and count
    against the account's limits plus the endpoint's own `limits`.
    `content_type` is the media type the request body must have (default:
    JSON when a `body` is declared). `query` and `body` are field -> type
    maps (a key ending in "?" is optional, extra fields are allowed) or any
    pydantic-validatable type; JSON bodies are checked strictly (a number in
    quotes is not a number), queries and forms leniently (they are text).
    """

    def mark(handler: H) -> H:
        spec = {
            "method": method.upper(),
            "path": path,
            "name": name or handler.__name__,
            "auth": auth,
            "content_type": content_type or ("application/json" if body is not None else None),
            "headers": tuple(headers),
            "query": query,
            "body": body,
            "batch": batch,
            "limits": tuple(limits),
        }
        setattr(handler, _ENDPOINT_ATTRIBUTE, spec)
        return handler

    return mark


def declared_endpoints(cls: type) -> tuple[Endpoint, ...]:
    """The endpoints a simulator class declares, its bases' included, in declaration order."""
    specs: dict[str, tuple[dict[str, Any], Handler]] = {}
    for klass in reversed(cls.__mro__):
        for attribute, value in vars(klass).items():
            spec = getattr(value, _ENDPOINT_ATTRIBUTE, None)
            if spec is not None:
                specs[attribute] = (spec, value)
    return tuple(_build(spec, handler) for spec, handler in specs.values())


def _build(spec: dict[str, Any], handler: Handler) -> Endpoint:
    regex, _format, convertors = compile_path(spec["path"])
    return Endpoint(
        method=spec["method"],
        path=spec["path"],
        name=spec["name"],
        handler=handler,
        auth=spec["auth"],
        content_type=spec["content_type"],
        headers=spec["headers"],
        query=_adapter(f"{spec['name']}_query", spec["query"]),
        body=_adapter(f"{spec['name']}_body", spec["body"]),
        batch=spec["batch"],
        limits=spec["limits"],
        regex=regex,
        convertors=convertors,
    )


def _adapter(model_name: str, spec: Any) -> TypeAdapter[Any] | None:
    """A validator for a field -> type map (aliases keep any key, e.g. `page[size]`) or a type."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        return TypeAdapter(spec)
    fields: dict[str, Any] = {}
    for n, (key, kind) in enumerate(spec.items()):
        optional = key.endswith("?")
        alias = key.removesuffix("?")
        default = Field(default=None, alias=alias) if optional else Field(alias=alias)
        fields[f"field_{n}"] = (kind | None if optional else kind, default)
    model = create_model(model_name, __config__=ConfigDict(extra="allow"), **fields)
    return TypeAdapter(model)


def _first_error(exc: pydantic.ValidationError, where: str) -> Refusal:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"]) or where
    return Refusal(
        "bad_request",
        f"{where} {location}: {error['msg']}",
        field=location.split(".")[0],
    )


def _plain(value: Any) -> Any:
    """A validated model back to plain data, keyed as the vendor names the fields."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(by_alias=True)
    return value


def validate_query(endpoint: Endpoint, params: QueryParams) -> dict[str, Any]:
    """The query as a dict (repeated keys as lists), checked against the declaration."""
    query: dict[str, Any] = {}
    for key in params:
        values = params.getlist(key)
        query[key] = values if len(values) > 1 else values[0]
    if endpoint.query is None:
        return query
    try:
        return dict(_plain(endpoint.query.validate_python(query)))
    except pydantic.ValidationError as exc:
        raise _first_error(exc, "query parameter") from None


def media_type(content_type: str | None) -> str:
    """`application/json` out of `application/json; charset=utf-8`."""
    return (content_type or "").split(";")[0].strip().lower()


def parse_body(endpoint: Endpoint, content_type: str | None, raw: bytes) -> Any:
    """The request body, parsed by its media type and checked against the declaration."""
    sent = media_type(content_type)
    if endpoint.content_type is not None and raw and sent != endpoint.content_type:
        raise Refusal(
            "unsupported_media_type",
            f"expected Content-Type {endpoint.content_type}, got {sent or 'none'}",
            field="Content-Type",
        )
    if not raw:
        if endpoint.body is not None:
            raise Refusal("bad_request", "the request has no body", field="body")
        return None
    strict = sent == "application/json"
    if sent == "application/json":
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            raise Refusal("bad_request", "the body is not valid JSON", field="body") from None
    elif sent == "application/x-www-form-urlencoded":
        parsed = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    else:
        parsed = raw.decode("utf-8", "replace")
    _check_batch(endpoint, parsed)
    if endpoint.body is None:
        return parsed
    try:
        return _plain(endpoint.body.validate_python(parsed, strict=strict))
    except pydantic.ValidationError as exc:
        raise _first_error(exc, "body field") from None


def _check_batch(endpoint: Endpoint, body: Any) -> None:
    batch = endpoint.batch
    if batch is None:
        return
    items = body.get(batch.field) if batch.field and isinstance(body, dict) else body
    if isinstance(items, list) and len(items) > batch.maximum:
        raise Refusal(
            "batch_too_large",
            f"{batch.field or 'the body'} holds {len(items)} items; at most {batch.maximum}",
            field=batch.field or None,
        )
