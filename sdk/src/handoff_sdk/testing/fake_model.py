"""A deterministic fake model server: OpenAI's Chat Completions and Anthropic's Messages API.

The AI rep's model backends (issue 12) are tested, benchmarked and run in
`handoff sandbox` against this server instead of a model: the same answer
for the same prompt, every time, over a real socket.

    fake = FakeModelServer(replies=[ScriptedReply(r"discount", "Sure: 20% off today!")])
    with SimulatorServer(fake, tls=True) as server:
        ...  # POST {server.url}/v1/chat/completions, or {server.url}/v1/messages

Both wire formats are served by one instance:

- `POST /v1/chat/completions` (OpenAI and every server speaking its format:
  vLLM, llama.cpp's server, Ollama): `Authorization: Bearer <key>`; the
  answer's `choices[0].message.content`, `finish_reason` (`stop`,
  `length`) and `usage` (`prompt_tokens`, `completion_tokens`); errors as
  `{"error": {"message", "type", "param", "code"}}`; rate-limit headers
  `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`,
  `x-ratelimit-reset-requests`;
- `POST /v1/messages` (Anthropic): `x-api-key` and a required
  `anthropic-version` header, a required `max_tokens`, the system prompt as
  the top-level `system` (a "system" role among the messages is refused, as
  Anthropic does); the answer's `content` blocks, `stop_reason`
  (`end_turn`, `max_tokens`) and `usage` (`input_tokens`, `output_tokens`);
  errors as `{"type": "error", "error": {"type", "message"}, "request_id"}`,
  overload as 529 `overloaded_error`; headers `anthropic-ratelimit-requests-*`.

What it answers: the first `ScriptedReply` whose pattern is found in the
last visitor (user) message; else, when the system prompt carries approved
content (`ReplyPrompt.system_prompt()`'s "[1] title (source)" passages), a
sentence quoting the first passage and its source; else a fixed greeting.
A token is a word (split on white space); a reply longer than `max_tokens`
is cut there and ends with `length` / `max_tokens`. Every prompt received is
kept in `prompts` for a test to read.

Latency is the base simulator's `latency` (real seconds per answer: the
benchmark's 200 ms); `throttle_next`, `overload_next` and the inherited
`fail_next` / `drop_next` / `slow_next` inject faults. `require_key=False`
serves like a self-hosted server that takes no API key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request

from handoff_sdk._clock import Clock

from .simulator import (
    Call,
    Endpoint,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    endpoint,
)

__all__ = ["ANTHROPIC_VERSION", "FakeModelServer", "ScriptedReply"]

ANTHROPIC_VERSION = "2023-06-01"
"""The `anthropic-version` the fake accepts (the Messages API's current version)."""

DEFAULT_MODEL = "sim-chat-1"
GREETING = "Thanks for your message! I'm happy to help: what would you like to know?"
_PASSAGE = re.compile(r"^\[1\] (?P<title>.*) \((?P<source>[^()\s]+)\)\n(?P<text>.+)$", re.M)

_OPENAI_ERRORS = {
    "bad_request": "invalid_request_error",
    "unauthorized": "invalid_request_error",
    "token_expired": "invalid_request_error",
    "forbidden": "invalid_request_error",
    "not_found": "invalid_request_error",
    "method_not_allowed": "invalid_request_error",
    "unsupported_media_type": "invalid_request_error",
    "batch_too_large": "invalid_request_error",
    "rate_limited": "requests",
    "too_many_concurrent": "requests",
    "conflict": "invalid_request_error",
    "server_error": "server_error",
}
"""OpenAI's `error.type` for each refusal (a rate limit's type names the limit: requests)."""

_OPENAI_CODES = {
    "unauthorized": "invalid_api_key",
    "token_expired": "invalid_api_key",
    "not_found": "unknown_url",
    "rate_limited": "rate_limit_exceeded",
    "too_many_concurrent": "rate_limit_exceeded",
}

_ANTHROPIC_ERRORS = {
    "bad_request": (400, "invalid_request_error"),
    "unauthorized": (401, "authentication_error"),
    "token_expired": (401, "authentication_error"),
    "forbidden": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "method_not_allowed": (405, "invalid_request_error"),
    "unsupported_media_type": (415, "invalid_request_error"),
    "batch_too_large": (413, "request_too_large"),
    "rate_limited": (429, "rate_limit_error"),
    "too_many_concurrent": (429, "rate_limit_error"),
    "conflict": (409, "invalid_request_error"),
    "server_error": (500, "api_error"),
}
"""Anthropic's status and `error.type` for each refusal."""


@dataclass(frozen=True)
class ScriptedReply:
    """What the fake model says when the last visitor message matches `when`.

    `when` is a regular expression searched case-insensitively ("" matches
    every message), so a test can make the model answer an attack with a
    reply that breaks a rule: `ScriptedReply(r"discount", "Sure, 20% off!")`.
    """

    when: str
    reply: str


def _words(text: str) -> int:
    return len(text.split())


def _text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") in ("text", None)
        )
    return ""


class FakeModelServer(Simulator):
    """A model that answers by script, in OpenAI's and Anthropic's wire formats."""

    name = "fake-model"
    default_limits = Limits(windows=(RateWindow(600, 60.0, name="requests"),), concurrency=16)
    token_lifetime = None

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        latency: float = 0.0,
        limits: Limits | None = None,
        replies: Iterable[ScriptedReply] = (),
        require_key: bool = True,
        model: str = DEFAULT_MODEL,
    ) -> None:
        self.replies: list[ScriptedReply] = list(replies)
        """The script, first match wins; `script()` adds to it."""
        self.require_key = require_key
        """False: answer without an API key, as a self-hosted server does."""
        self.model = model
        """The model named in answers when the request names none."""
        self.prompts: list[dict[str, Any]] = []
        """Every prompt answered: {"format", "model", "system", "messages", "max_tokens"}."""
        super().__init__(clock=clock, latency=latency, limits=limits)

    # -- set up --------------------------------------------------------------------------

    def seed(self) -> None:
        """One organisation with one API key; no prompts yet."""
        self.prompts = []
        self.add_account(
            SimAccount("sim-org", secrets={"api_key": f"sk-sim-{secrets.token_hex(12)}"})
        )

    def script(self, when: str, reply: str) -> None:
        """Add a scripted reply after those already there (the first match wins)."""
        re.compile(when)  # a bad pattern fails here, in the test, not in the server thread
        self.replies.append(ScriptedReply(when, reply))

    def throttle_next(self, *, retry_after: float = 7.0, times: int = 1) -> None:
        """Answer the next `times` calls 429 with Retry-After, in each format's shape."""
        refusal = Refusal(
            "rate_limited", "Rate limit reached for requests", retry_after=retry_after
        )
        self.refuse_next(refusal, times=times)

    def overload_next(self, *, times: int = 1) -> None:
        """Answer the next `times` calls as overloaded: Anthropic's 529, OpenAI's 503."""
        refusal = Refusal("server_error", "Overloaded", code="overloaded")
        self.refuse_next(refusal, times=times)

    def connector_config(self, url: str) -> dict[str, Any]:
        """Not one connector's server: its subclasses next to each connector say how."""
        raise NotImplementedError(
            "FakeModelServer serves both formats: use the openai or anthropic connector's "
            "simulator (or point base_url at the URL yourself)"
        )

    # -- who is calling ------------------------------------------------------------------

    def authenticate(
        self, request: Request, endpoint: Endpoint, path_params: Mapping[str, Any]
    ) -> SimAccount:
        """A Bearer key for Chat Completions, `x-api-key` for Messages; none when not required."""
        if endpoint.name == "messages":
            key = request.headers.get("x-api-key")
            where = "x-api-key header"
        else:
            value = request.headers.get("authorization", "")
            key = value[7:].strip() if value.lower().startswith("bearer ") else None
            where = "Authorization header"
        if not key:
            if not self.require_key:
                return self.account
            raise Refusal("unauthorized", f"no API key in the {where}")
        found = self.find_account(api_key=key)
        if found is None:
            raise Refusal("unauthorized", f"the API key in the {where} is not valid")
        return found

    # -- the answers -----------------------------------------------------------------------

    def answer_to(self, system: str, last_visitor: str) -> str:
        """The reply the script gives to this prompt (what both formats answer)."""
        for scripted in self.replies:
            if re.search(scripted.when, last_visitor, re.IGNORECASE):
                return scripted.reply
        passage = _PASSAGE.search(system)
        if passage is not None:
            title = passage.group("title")
            return f"{passage.group('text').strip()} More in {title}: {passage.group('source')}"
        return GREETING

    @staticmethod
    def _cut(reply: str, max_tokens: int | None) -> tuple[str, bool]:
        if max_tokens is None or _words(reply) <= max_tokens:
            return reply, False
        return " ".join(reply.split()[:max_tokens]), True

    def _seq(self) -> int:
        return len(self.prompts) + 1

    def _usage_headers(self, call: Call, prefix: str, reset: str) -> dict[str, str]:
        """The requests window's counters, when the limits in force have one named 'requests'."""
        window = next((w for w in self.limits.windows if w.name == "requests"), None)
        if window is None or call.account is None:
            return {}
        _used, remaining, seconds = self.usage(call.account, "requests")
        return {
            f"{prefix}-limit-requests": str(window.requests),
            f"{prefix}-remaining-requests": str(remaining),
            f"{prefix}-reset-requests": reset.format(seconds=max(seconds, 0.0)),
        }

    @endpoint(
        "POST",
        "/v1/chat/completions",
        body={
            "model": str,
            "messages": list[dict[str, Any]],
            "max_tokens?": int,
            "max_completion_tokens?": int,
            "temperature?": float,
            "stream?": bool,
        },
    )
    async def chat_completions(self, call: Call) -> Any:
        """OpenAI Chat Completions: the scripted reply as the first choice."""
        body = call.body
        messages: Sequence[dict[str, Any]] = body["messages"]
        if not messages:
            raise Refusal("bad_request", "'messages' must not be empty", field="messages")
        if body.get("stream"):
            raise Refusal("bad_request", "the fake model does not stream", field="stream")
        roles = ("system", "developer", "user", "assistant", "tool")
        system_parts: list[str] = []
        for index, message in enumerate(messages):
            role = message.get("role")
            if role not in roles:
                raise Refusal(
                    "bad_request",
                    f"Invalid value: '{role}'. Supported values are: {', '.join(roles)}.",
                    field=f"messages[{index}].role",
                )
            if role in ("system", "developer"):
                system_parts.append(_text_of(message.get("content")))
        users = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
        system = "\n".join(system_parts)
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        text, cut = self._cut(self.answer_to(system, users[-1] if users else ""), limit)
        model = body["model"] or self.model
        seq = self._seq()
        self.prompts.append(
            {"format": "openai", "model": model, "system": system,
             "messages": list(messages), "max_tokens": limit}
        )  # fmt: skip
        prompt_tokens = sum(_words(_text_of(m.get("content"))) for m in messages)
        answer = {
            "id": f"chatcmpl-sim{seq:06d}",
            "object": "chat.completion",
            "created": int(self.clock.now().timestamp()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "length" if cut else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": _words(text),
                "total_tokens": prompt_tokens + _words(text),
            },
            "system_fingerprint": "fp_sim",
        }
        headers = {
            "x-request-id": f"req_sim{seq:06d}",
            **self._usage_headers(call, "x-ratelimit", "{seconds:.0f}s"),
        }
        return Reply(answer, headers=headers)

    @endpoint(
        "POST",
        "/v1/messages",
        headers=("anthropic-version",),
        body={
            "model": str,
            "messages": list[dict[str, Any]],
            "max_tokens": int,
            "system?": str | list[dict[str, Any]],
            "temperature?": float,
            "stream?": bool,
        },
    )
    async def messages(self, call: Call) -> Any:
        """Anthropic Messages: the scripted reply as one text block."""
        version = call.headers.get("anthropic-version", "")
        if version != ANTHROPIC_VERSION:
            raise Refusal(
                "bad_request",
                f"anthropic-version: invalid version '{version}'",
                field="anthropic-version",
            )
        body = call.body
        messages: Sequence[dict[str, Any]] = body["messages"]
        if not messages:
            raise Refusal("bad_request", "messages: at least one message is required")
        if body["max_tokens"] < 1:
            raise Refusal("bad_request", "max_tokens: must be greater than or equal to 1")
        if body.get("stream"):
            raise Refusal("bad_request", "the fake model does not stream", field="stream")
        for index, message in enumerate(messages):
            role = message.get("role")
            if role == "system":
                raise Refusal(
                    "bad_request",
                    'messages: Unexpected role "system". The Messages API accepts a top-level '
                    '`system` parameter, not "system" as an input message role.',
                    field=f"messages.{index}.role",
                )
            if role not in ("user", "assistant"):
                raise Refusal(
                    "bad_request",
                    f"messages.{index}.role: Input should be 'user' or 'assistant'",
                    field=f"messages.{index}.role",
                )
        system = _text_of(body.get("system", ""))
        users = [_text_of(m.get("content")) for m in messages if m["role"] == "user"]
        text, cut = self._cut(
            self.answer_to(system, users[-1] if users else ""), body["max_tokens"]
        )
        model = body["model"] or self.model
        seq = self._seq()
        self.prompts.append(
            {"format": "anthropic", "model": model, "system": system,
             "messages": list(messages), "max_tokens": body["max_tokens"]}
        )  # fmt: skip
        input_tokens = _words(system) + sum(_words(_text_of(m.get("content"))) for m in messages)
        answer = {
            "id": f"msg_sim{seq:06d}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "max_tokens" if cut else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": _words(text)},
        }
        reset = (self.clock.now() + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "request-id": f"req_sim{seq:06d}",
            **self._usage_headers(call, "anthropic-ratelimit", reset),
        }
        # Anthropic names the headers anthropic-ratelimit-requests-limit, not ...-limit-requests
        headers = {_anthropic_header(k): v for k, v in headers.items()}
        return Reply(answer, headers=headers)

    # -- refusals, in each format's shape ---------------------------------------------------

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """OpenAI's `{"error": {...}}` or Anthropic's `{"type": "error", ...}`, by endpoint."""
        headers: dict[str, str] = {}
        if refusal.retry_after is not None:
            headers["retry-after"] = str(max(1, round(refusal.retry_after + 0.5)))
        overloaded = refusal.code == "overloaded"
        if refusal.endpoint == "messages":
            status, kind = _ANTHROPIC_ERRORS.get(refusal.kind, (refusal.status, "api_error"))
            if overloaded:
                status, kind = 529, "overloaded_error"
            body = {
                "type": "error",
                "error": {"type": kind, "message": refusal.message},
                "request_id": f"req_sim{self._seq():06d}",
            }
            return Reply(body, status=status, headers=headers)
        status = 503 if overloaded else refusal.status
        error = {
            "message": refusal.message,
            "type": _OPENAI_ERRORS.get(refusal.kind, "server_error"),
            "param": refusal.field,
            "code": None if overloaded else refusal.code or _OPENAI_CODES.get(refusal.kind),
        }
        return Reply({"error": error}, status=status, headers=headers)


def _anthropic_header(name: str) -> str:
    """`anthropic-ratelimit-limit-requests` -> `anthropic-ratelimit-requests-limit`."""
    prefix = "anthropic-ratelimit-"
    if not name.startswith(prefix):
        return name
    what, _, which = name[len(prefix) :].partition("-")
    return f"{prefix}{which}-{what}"
