"""Anthropic's Messages API: the AI rep's model (issue 12).

One capability, `handoff_generate_reply`: `POST {base_url}/v1/messages`
with `x-api-key`, `anthropic-version` and a required `max_tokens`, the hub's
instructions, rules, goals and passages as the top-level `system` prompt and
the conversation as alternating user/assistant messages; the answer's text
blocks joined as a `ModelReply`.

Errors come as `{"type": "error", "error": {"type", "message"}, "request_id"}`:
401 `authentication_error` is a refused key (AuthError, never retried); 429
`rate_limit_error` is waited out per `retry-after`, except the monthly spend
cap (`enforced_spend_limit_reached`), which no wait fixes; 529
`overloaded_error` (Anthropic busy for everyone) and 500 `api_error` are
retried with backoff; 400, 403, 404 and 413 fail at once with Anthropic's
message. Each error's `request_id` is kept in the message, for Anthropic's
support.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import httpx
from pydantic import Field

from handoff_sdk import (
    ApiError,
    ApiKeyAuth,
    Connector,
    ConnectorConfig,
    HttpsUrl,
    Outcome,
    RateLimit,
    RetryPolicy,
    SecretSpec,
    Verdict,
    hookimpl,
    parse_retry_after,
    response_json,
)
from handoff_sdk.entities import ModelReply, ReplyPrompt

from . import mapping

__all__ = ["ANTHROPIC_VERSION", "AnthropicConfig", "AnthropicConnector"]

log = logging.getLogger("handoff_anthropic")

ANTHROPIC_VERSION = "2023-06-01"
"""The Messages API version this connector speaks (the `anthropic-version` header)."""

SPEND_LIMIT = "enforced_spend_limit_reached"
"""A 429 saying the organisation hit its monthly spend cap: not retried."""


class AnthropicConfig(ConnectorConfig):
    """`[connectors.anthropic]` in handoff.toml."""

    base_url: HttpsUrl = Field(
        default="https://api.anthropic.com",
        description="The API root (/v1/messages is under it): Anthropic's, or a gateway's.",
    )
    model: str = Field(
        min_length=1,
        max_length=200,
        description="The model to ask, as Anthropic names it ('claude-sonnet-4-5').",
    )
    max_tokens: int = Field(
        default=400,
        ge=1,
        le=64_000,
        description="Most tokens a reply may have, unless the prompt says otherwise (the "
        "Messages API requires it).",
    )
    temperature: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Sampling temperature; none: Anthropic's."
    )


class AnthropicConnector(Connector[AnthropicConfig]):
    """Drafts the AI rep's replies with a Claude model."""

    name = "anthropic"
    title = "Anthropic"
    secret_specs = (
        SecretSpec(
            name="api_key",
            description="API key sent as the x-api-key header (sk-ant-..., from the Claude "
            "Console's API keys page).",
        ),
    )
    default_rate_limit = RateLimit(requests=50, per_seconds=60, concurrency=8)
    """Anthropic's lowest tier allows 50 requests a minute; raise it with `rate_limit`."""
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy(
        attempts=3, base_seconds=0.5, max_seconds=10.0
    )
    """A visitor is waiting: three tries, and a retry-after beyond 10 s fails at once."""
    simulator = "handoff_anthropic.simulator:AnthropicSimulator"

    def build_auth(self) -> httpx.Auth:
        """The API key in `x-api-key`."""
        return ApiKeyAuth(self.secret_store, "api_key", header="x-api-key")

    def classify(self, response: httpx.Response) -> Outcome:
        """Anthropic's error types: rate limits and overload retried, the spend cap not."""
        status = response.status_code
        if status < 400:
            return Outcome.ok()
        kind, message, detail = _error(response)
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
        label = kind or f"http_{status}"
        if status == 401:
            return Outcome(
                Verdict.REFRESH_AUTH,
                label,
                f"the API key was refused ({message}); set it with `handoff secrets set "
                "anthropic api_key`",
            )
        if status == 429:
            if detail == SPEND_LIMIT:
                return Outcome(
                    Verdict.FAIL,
                    SPEND_LIMIT,
                    f"the organisation reached its monthly spend limit ({message}); waiting "
                    "does not help until the limit is raised",
                )
            return Outcome(Verdict.RETRY, label, message, retry_after, rate_limited=True)
        if status in (408, 529) or status >= 500:
            return Outcome(Verdict.RETRY, label, message, retry_after)
        if status == 404:
            return Outcome(
                Verdict.FAIL, label, f"{message} (is model '{self.config.model}' right?)"
            )
        return Outcome(Verdict.FAIL, label, message)

    @hookimpl
    async def handoff_generate_reply(self, prompt: ReplyPrompt) -> ModelReply:
        """Ask Claude for the AI rep's next reply; its text blocks joined, with usage.

        Raises ApiError (`unexpected_response` for a 200 that is not a
        message), RateLimitedError once the retries are spent, AuthError for
        a refused key, MissingSecretError when the key is not set.
        """
        config = self.config
        response = await self.request(
            "POST",
            f"{config.base_url}/v1/messages",
            json=mapping.messages_request(
                prompt,
                model=config.model,
                max_tokens=config.max_tokens,
                temperature=config.temperature,
            ),
            headers={"anthropic-version": ANTHROPIC_VERSION},
        )
        reply = mapping.message_reply(response_json(response), asked_model=config.model)
        if reply is None:
            raise ApiError(
                self.name,
                response.status_code,
                "unexpected_response",
                f"HTTP {response.status_code} without a Messages API message "
                f"({response.headers.get('content-type', 'no content type')})",
            )
        if reply.finish_reason == "length":
            log.info("anthropic: the reply was cut at max_tokens (%s)", config.max_tokens)
        return reply


def _error(response: httpx.Response) -> tuple[str | None, str, str | None]:
    """(error type, message with the request id, details.error_code) of an error answer."""
    body = response_json(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        text = response.text.strip()[:200] if response.content else ""
        return None, text or response.reason_phrase, None
    kind = error.get("type")
    message = str(error.get("message") or response.reason_phrase)
    request_id = body.get("request_id") if isinstance(body, dict) else None
    if request_id:
        message += f" (request {request_id})"
    details = error.get("details")
    detail = details.get("error_code") if isinstance(details, dict) else None
    return (str(kind) if kind else None), message, (str(detail) if detail else None)
