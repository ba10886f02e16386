"""The hub API's refusal body, built in one place for every route."""

from __future__ import annotations

from fastapi.responses import JSONResponse

__all__ = ["refused"]


def refused(status: int, error: str, field: str | None = None, problem: str = "") -> JSONResponse:
    """A JSON refusal `{"error", "fields": [{"field", "problem"}]}`, like the 422 of a bad body.

    Routes answer 404/409/422/502 in the same shape as FastAPI's validation
    errors, so a client reads one format; `field` names the request part at
    fault, `problem` says what was expected (default: the error).
    """
    fields = [{"field": field, "problem": problem or error}] if field else []
    return JSONResponse(status_code=status, content={"error": error, "fields": fields})
