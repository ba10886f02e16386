"""The route class of `POST /v1/<kind>`: an accepted event without FastAPI's per-request solving.

FastAPI solves each request's dependencies, reads its query string, parses
its content type and validates its body through a generic machinery that
cost about a third of the intake's event loop (issue 8). An intake route has
one shape: a JSON body of one `IntakeModel` and one access check. This
route handles a well-formed request itself:

- `Content-Type: application/json` and a body that parses as JSON;
- the access check of the route's own `require_scope` dependency
  (`handoff.server.access.caller_of`: the same parsing, the same refusals,
  raised before the body is validated, as FastAPI does);
- the body validated by the same pydantic model, then the endpoint called.

Everything else (another content type, a body that is not JSON, a body the
model refuses, a body that could not be read) goes to FastAPI's own handler
for the same request, so every refusal is the one FastAPI gives, word for
word. The route is still an `APIRoute`: the OpenAPI document, the access
listing (`check_routes`) and the middlewares (body limits, exception
handlers) are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from handoff.api_keys import Scope
from handoff.server.access import caller_of, route_scopes
from handoff.server.models import IntakeModel

__all__ = ["IntakeRoute"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class IntakeRoute(APIRoute):
    """An `APIRoute` for `async def receive(body: <IntakeModel>) -> Response` with scopes."""

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, behind a direct one for the well-formed request."""
        full = super().get_route_handler()
        model = self.endpoint.__annotations__.get("body")
        if not (isinstance(model, type) and issubclass(model, IntakeModel)):
            raise TypeError(f"{self.path}: an intake route's endpoint takes `body: IntakeModel`")
        declared = route_scopes(self.dependant)
        if not declared:
            raise TypeError(f"{self.path}: an intake route declares its scopes (require_scope)")
        scopes = frozenset(Scope(s) for s in declared)
        endpoint: Callable[..., Coroutine[Any, Any, Response]] = self.endpoint

        async def handle(request: Request) -> Response:
            if request.headers.get("content-type") != "application/json":
                return await full(request)
            try:
                raw = await request.body()
            except HTTPException:  # the body limits' 408 and 413
                raise
            except Exception:  # FastAPI's handler answers it (400)
                return await full(request)
            try:
                data = json.loads(raw)
            except ValueError:
                return await full(request)
            await caller_of(request, scopes)
            try:
                body = model.model_validate(data)
            except ValidationError:
                return await full(request)
            return await endpoint(body=body)

        return handle
