"""OpenAI-compatible Chat Completions: the AI rep's model (issue 12), hosted or self-hosted.

One capability, `handoff_generate_reply`: `POST {base_url}/chat/completions`
with the hub's system prompt and the conversation, the first choice's text
back as a `ModelReply`. The same request serves OpenAI and the servers that
speak its format, chosen by `base_url`:

- OpenAI: `https://api.openai.com/v1` (default), key required;
- vLLM: `http://<host>:8000/v1`; llama.cpp's server: `http://<host>:8080/v1`;
  Ollama: `http://<host>:11434/v1`; with `api_key_required = false` when
  the server takes no key (a key set anyway is still sent).

Errors are read from the body (`{"error": {"message", "type", "code"}}`,
the `code` sometimes a number on self-hosted servers): 401 is a refused key
(AuthError, never retried: a static key cannot be refreshed); 429 is a rate
limit, waited out per Retry-After (or `retry-after-ms`, or the
`x-ratelimit-reset-*` header), except `insufficient_quota`, which no wait
fixes; 5xx and overload are retried; the rest fail at once with the
server's message. A 200 that is not a chat completion (a proxy's page) fails
as `unexpected_response`.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator

from handoff_sdk import (
    ApiError,
    ApiKeyAuth,
    ConfigError,
    Connector,
    ConnectorConfig,
    MissingSecretError,
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

__all__ = ["OpenAIConfig", "OpenAIConnector"]

log = logging.getLogger("handoff_openai")

QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "billing_hard_limit_reached",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)
"""429s that say the account is out of money or quota: waiting does not help, so not retried."""


def _web_root(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http(s) URL like https://api.openai.com/v1, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError("must not hold a query string or fragment")
    return value


def _is_local(host: str) -> bool:
    """Loopback or a private network: where a self-hosted server may be reached over http."""
    if host == "localhost" or host.endswith((".local", ".internal", ".localhost")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


class OpenAIConfig(ConnectorConfig):
    """`[connectors.openai]` in handoff.toml."""

    base_url: str = Field(
        default="https://api.openai.com/v1",
        description="The API root that /chat/completions is under: OpenAI's, or a self-hosted "
        "server's (vLLM http://host:8000/v1, llama.cpp http://host:8080/v1, Ollama "
        "http://host:11434/v1). http:// is accepted for loopback and private addresses only.",
    )
    model: str = Field(
        min_length=1,
        max_length=200,
        description="The model to ask, as the server names it ('gpt-4o-mini', 'llama3.1:8b', "
        "the path vLLM serves).",
    )
    api_key_required: bool = Field(
        default=True,
        description="False for a self-hosted server that takes no key: then the secret api_key "
        "is sent only when set.",
    )
    max_tokens: int = Field(
        default=400,
        ge=1,
        le=32_000,
        description="Most tokens a reply may have, unless the prompt says otherwise.",
    )
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        default="max_tokens",
        description="The request field carrying it: max_tokens (self-hosted servers, older "
        "OpenAI models) or max_completion_tokens (OpenAI's reasoning models require it).",
    )
    temperature: float | None = Field(
        default=None,
        ge=0.0,
        le=2.0,
        description="Sampling temperature; none: the server's default.",
    )
    organization: str | None = Field(
        default=None, description="OpenAI-Organization header (OpenAI only; optional)."
    )

    @field_validator("base_url")
    @classmethod
    def _root(cls, value: str) -> str:
        """An http(s) root without a trailing slash; plain http only inside the network."""
        value = _web_root(value)
        parts = urlsplit(value)
        if parts.scheme == "http" and not _is_local(parts.hostname or ""):
            raise ValueError(
                f"http:// is accepted for loopback and private hosts only, got {parts.hostname!r}: "
                "use https:// (the API key and the conversation travel to it)"
            )
        return value

    def required_secrets(self) -> list[str]:
        """The API key, unless the server takes none."""
        return ["api_key"] if self.api_key_required else []


class _OptionalKey(ApiKeyAuth):
    """`Authorization: Bearer <api_key>` when the key is set; nothing when it is not."""

    async def async_auth_flow(self, request: httpx.Request) -> Any:
        """Attach the key if there is one; a self-hosted server takes requests without."""
        try:
            key = self._secrets.get(self._secret)
        except MissingSecretError:
            key = ""
        if key:
            request.headers[self.header] = f"{self.prefix}{key}"
        yield request


class OpenAIConnector(Connector[OpenAIConfig]):
    """Drafts the AI rep's replies with a model behind an OpenAI-compatible API."""

    name = "openai"
    title = "OpenAI-compatible model"
    secret_specs = (
        SecretSpec(
            name="api_key",
            description="API key sent as 'Authorization: Bearer <key>' (OpenAI: sk-..., from "
            "platform.openai.com/api-keys; a self-hosted server: its --api-key, if any).",
        ),
    )
    default_rate_limit = RateLimit(requests=500, per_seconds=60, concurrency=8)
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy(
        attempts=3, base_seconds=0.5, max_seconds=10.0
    )
    """A visitor is waiting: three tries, and a Retry-After beyond 10 s fails at once."""
    simulator = "handoff_openai.simulator:OpenAISimulator"

    def build_auth(self) -> httpx.Auth:
        """Bearer API key; optional when the config says the server takes none."""
        if self.config.api_key_required:
            return ApiKeyAuth(self.secret_store, "api_key", prefix="Bearer ")
        return _OptionalKey(self.secret_store, "api_key", prefix="Bearer ")

    # -- reading the server's answers -------------------------------------------------

    def classify(self, response: httpx.Response) -> Outcome:
        """OpenAI's error object; 429 retried unless it is a quota; 5xx retried."""
        status = response.status_code
        if status < 400:
            return Outcome.ok()
        code, kind, message = _error(response)
        retry_after = self._retry_after(response)
        label = code or kind or f"http_{status}"
        if status == 401:
            return Outcome(
                Verdict.REFRESH_AUTH,
                label,
                f"the API key was refused ({message}); set it with `handoff secrets set openai "
                "api_key`",
            )
        if status == 429:
            if code in QUOTA_CODES or kind in QUOTA_CODES:
                return Outcome(
                    Verdict.FAIL,
                    label,
                    f"the account is out of quota or over its spend limit ({message}); waiting "
                    "does not help: add credit or raise the limit",
                )
            return Outcome(Verdict.RETRY, label, message, retry_after, rate_limited=True)
        if status in (408, 409) or status >= 500:
            return Outcome(Verdict.RETRY, label, message, retry_after)
        if status == 404:
            return Outcome(
                Verdict.FAIL,
                label,
                f"{message} (check base_url, which ends in /v1 for most servers, and that "
                f"model '{self.config.model}' is served there)",
            )
        return Outcome(Verdict.FAIL, label, message)

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Retry-After, else retry-after-ms, else the reset of the requests limit."""
        headers = response.headers
        found = parse_retry_after(headers.get("retry-after"), self.clock.now())
        if found is not None:
            return found
        millis = headers.get("retry-after-ms")
        if millis:
            try:
                return max(0.0, float(millis) / 1000.0)
            except ValueError:
                pass
        return mapping.reset_seconds(headers.get("x-ratelimit-reset-requests"))

    # -- the capability -----------------------------------------------------------------

    @hookimpl
    async def handoff_generate_reply(self, prompt: ReplyPrompt) -> ModelReply:
        """Ask the model for the AI rep's next reply; the first choice's text, with usage.

        Raises ApiError (`unexpected_response` for a 200 that is not a chat
        completion), RateLimitedError once the retries are spent, AuthError
        for a refused key, MissingSecretError when a required key is not set.
        """
        config = self.config
        self._check_key_transport()
        headers = {"OpenAI-Organization": config.organization} if config.organization else None
        response = await self.request(
            "POST",
            f"{config.base_url}/chat/completions",
            json=mapping.chat_request(
                prompt,
                model=config.model,
                max_tokens=config.max_tokens,
                max_tokens_field=config.max_tokens_field,
                temperature=config.temperature,
            ),
            headers=headers,
        )
        reply = mapping.model_reply(response_json(response), asked_model=config.model)
        if reply is None:
            raise ApiError(
                self.name,
                response.status_code,
                "unexpected_response",
                f"HTTP {response.status_code} without a chat completion's 'choices' "
                f"({response.headers.get('content-type', 'no content type')}): is base_url "
                f"{config.base_url} an OpenAI-compatible API?",
            )
        if reply.finish_reason == "length":
            log.info("openai: the reply was cut at max_tokens (%s)", config.max_tokens)
        return reply

    def _check_key_transport(self) -> None:
        """Never send a key in clear text off this network (base_url is checked at load too)."""
        parts = urlsplit(self.config.base_url)
        if parts.scheme == "http" and not _is_local(parts.hostname or ""):
            raise ConfigError(self.name, "base_url", "http:// off the local network: use https://")


def _error(response: httpx.Response) -> tuple[str | None, str | None, str]:
    """(code, type, message) of an error answer, whatever shape the server used."""
    body = response_json(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        kind = error.get("type")
        message = str(error.get("message") or response.reason_phrase)
        code_text = str(code) if code not in (None, "") and not isinstance(code, int) else None
        return code_text, str(kind) if kind else None, message
    if isinstance(error, str):  # Ollama's native shape: {"error": "model 'x' not found"}
        return None, None, error
    text = response.text.strip()[:200] if response.content else ""
    return None, None, text or response.reason_phrase
