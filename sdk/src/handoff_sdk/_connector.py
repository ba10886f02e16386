"""The Connector base class: what every connector gets for free.

A connector subclass declares its name, config model (as the type parameter,
`class ZoomConnector(Connector[ZoomConfig])`, which also types `self.config`),
secrets and rate limit, builds its auth, and writes thin capability methods
that call `request` or `request_json`. Everything between a capability and
the wire lives here, once: the rate budget, the auth flow, classifying the
response, retrying with backoff that honours Retry-After, refreshing an
expired token once, and putting the idempotency key on writes.
"""

from __future__ import annotations

import contextlib
import importlib
import random
from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Generic,
    NoReturn,
    TypeVar,
    get_args,
    get_origin,
)

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ._clock import Clock, SystemClock
from ._rate import RateBudget, RateLimit
from ._retry import RetryPolicy
from .auth import SecretAccess, TokenAuth
from .classify import Outcome, Verdict, default_classify, response_json
from .errors import ApiError, AuthError, RateLimitedError
from .observe import RequestOutcome, RequestRecord, RequestSink

__all__ = ["Connector", "ConnectorConfig", "HttpsUrl", "SecretSpec"]


def _https_root(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith("https://"):
        raise ValueError("must start with https:// (the connector's credential travels to it)")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_root)]
"""A config URL a credential is sent to: https only, no trailing slash (paths join cleanly)."""


class ConnectorConfig(BaseModel):
    """Base of every connector's config model: unknown keys are errors, not ignored."""

    model_config = ConfigDict(extra="forbid")

    rate_limit: RateLimit | None = Field(
        default=None, description="Override the connector's default rate budget."
    )
    ca_file: str | None = Field(
        default=None,
        description="PEM file of CA certificates to trust for this connector's TLS connections, "
        "besides the system's: a TLS-inspecting proxy's CA, or the one `handoff sandbox` writes.",
    )

    def effective_rate_limit(self, default: RateLimit) -> RateLimit:
        """The budget in force; a connector whose config has its own budget keys overrides this."""
        return self.rate_limit or default

    def required_secrets(self) -> list[str] | None:
        """Names of the secrets this configuration needs; None means every declared one.

        Override when the settings choose among credentials (an `auth` mode, a
        username that makes a password necessary), or when some declared
        secrets are read only later (a webhook signing secret): `handoff check`
        then reports exactly what is missing for this configuration.
        """
        return None


class SecretSpec(BaseModel):
    """A secret a connector may need, with a line saying what it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Name used with `handoff secrets set CONNECTOR NAME`.")
    description: str = Field(description="What it is and where to get it.")


if TYPE_CHECKING:
    from .testing.simulator import Simulator

if TYPE_CHECKING:
    # The default lets `Connector` written bare mean `Connector[ConnectorConfig]`. Only type
    # checkers read it, and they ship typing_extensions' stubs; Python 3.11's own TypeVar has
    # no `default=`, and at run time a bare subclass needs none, so no runtime dependency.
    from typing_extensions import TypeVar as _TypeVarWithDefault

    ConfigT_co = _TypeVarWithDefault(
        "ConfigT_co", bound=ConnectorConfig, covariant=True, default=ConnectorConfig
    )
else:
    ConfigT_co = TypeVar("ConfigT_co", bound=ConnectorConfig, covariant=True)
"""The config model of a connector, `XConfig` in `Connector[XConfig]`.

Covariant, so a `ZoomConnector` is still a `Connector` wherever the hub holds
connectors of every kind (`type[Connector]`, `dict[str, Connector]`).
"""

_BODYLESS_STATUSES = frozenset({204, 205})


def _check_webhook_accepted_status(cls: type[Connector]) -> None:
    status: object = cls.webhook_accepted_status
    if (
        isinstance(status, bool)
        or not isinstance(status, int)
        or not 200 <= status <= 299
        or status in _BODYLESS_STATUSES
    ):
        raise TypeError(
            f"{cls.__module__}.{cls.__qualname__}.webhook_accepted_status is {status!r}: "
            "expected a 2xx HTTP status as an int (200-299, not 204 or 205: the hub's answer "
            "has a JSON body)"
        )


def _name(obj: object) -> str:
    return obj.__qualname__ if isinstance(obj, type) else repr(obj)


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _config_parameter(cls: type[Connector]) -> tuple[object, bool]:
    """What stands for the config model of `cls`, and whether `cls`'s own bases say it.

    The first is a class, a TypeVar (still generic) or None (bare `Connector`).
    `class Z(Connector[ZoomConfig])` gives ZoomConfig. Through a generic
    intermediate base (`class OAuthBase(Connector[C])`, `class Z(OAuthBase[ZoomConfig])`)
    the argument in C's position is taken. A class with no parameterized base
    inherits its parent's answer.
    """
    for base in cls.__dict__.get("__orig_bases__", ()):
        origin = get_origin(base)
        if not (isinstance(origin, type) and issubclass(origin, Connector)):
            continue
        source = ConfigT_co if origin is Connector else origin._config_source
        parameters: tuple[object, ...] = getattr(origin, "__parameters__", ())
        if source in parameters:
            return get_args(base)[parameters.index(source)], True
        return source, True
    return cls._config_source, False


def _settle_config_model(cls: type[Connector]) -> None:
    """Infer `config_model` from `Connector[MyConfig]`, or check it agrees with the parameter.

    Raises TypeError naming the class, at its definition, when the parameter is
    not a ConnectorConfig subclass or an explicit `config_model` contradicts it.
    """
    declared, own = _config_parameter(cls)
    cls._config_source = declared
    if declared is None or isinstance(declared, TypeVar):
        return
    if not (isinstance(declared, type) and issubclass(declared, ConnectorConfig)):
        raise TypeError(
            f"{_where(cls)} is declared with config type {_name(declared)}: expected a "
            "subclass of ConnectorConfig, as in Connector[MyConfig]"
        )
    explicit = cls.__dict__.get("config_model")
    if explicit is None:
        if own:
            cls.config_model = declared
        return
    if own and explicit is not declared:
        raise TypeError(
            f"{_where(cls)}.config_model is {_name(explicit)} but the class is declared with "
            f"config type {_name(declared)}: drop config_model (it is inferred from the type "
            "parameter) or make the two the same"
        )
    if not (isinstance(explicit, type) and issubclass(explicit, declared)):
        raise TypeError(
            f"{_where(cls)}.config_model is {_name(explicit)} but self.config is typed as the "
            f"inherited {_name(declared)}: expected a subclass of {_name(declared)}"
        )


class Connector(Generic[ConfigT_co]):
    """Base class of every connector; see docs/connectors.md for a walk-through.

    Subclass it as `Connector[MyConfig]`: `config_model` is then MyConfig and
    `self.config` is typed MyConfig. Bare `Connector` means `Connector[ConnectorConfig]`.
    """

    name: ClassVar[str]
    """Name in handoff.toml (`[connectors.NAME]`), secrets and cassettes."""
    title: ClassVar[str] = ""
    """Human name, e.g. 'Salesforce'."""
    config_model: ClassVar[type[ConnectorConfig]] = ConnectorConfig
    """Pydantic model of the non-secret config; inferred from `Connector[MyConfig]` if unset."""
    _config_source: ClassVar[object] = None
    """The config type parameter as resolved for this class; see `_config_parameter`."""
    secret_specs: ClassVar[tuple[SecretSpec, ...]] = ()
    """Every secret this connector may use, each with a line saying what it is."""
    default_rate_limit: ClassVar[RateLimit] = RateLimit(requests=60, per_seconds=60, concurrency=4)
    """The budget used when the config sets none."""
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy()
    """How calls are retried."""
    batch_limits: ClassVar[Mapping[str, int]] = {}
    """Largest batch per call of each batch-writing capability: {'handoff_upsert_leads': 200}."""
    idempotency_header: ClassVar[str] = "Idempotency-Key"
    """Header that carries the idempotency key of a write."""
    simulator: ClassVar[str | None] = None
    """Where this connector's vendor simulator is, as "module:Class" (None: it has none).

    A string, so the connector never imports the testing kit: the simulator
    is loaded only by what serves it (`load_simulator`), i.e. the contract's
    real-HTTP mode and `handoff sandbox`.
    """
    webhook_accepted_status: ClassVar[int] = 202
    """HTTP status of the hub's answer to a webhook delivery it stored, new or duplicate.

    Keep 202 unless the vendor counts only some statuses as delivered and
    retries the others (Zoom: 200 or 204). Any 2xx except 204 and 205, which
    cannot carry the hub's JSON answer; checked when the subclass is defined.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a bad class declaration at import, before any webhook is answered with it."""
        super().__init_subclass__(**kwargs)
        _check_webhook_accepted_status(cls)
        _settle_config_model(cls)

    def __init__(
        self,
        *,
        config: ConfigT_co,
        secrets: SecretAccess,
        http: httpx.AsyncClient,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        sink: RequestSink | None = None,
    ) -> None:
        if not isinstance(config, self.config_model):
            raise TypeError(
                f"{_where(type(self))}: config must be of model "
                f"{self.config_model.__qualname__}, got {type(config).__qualname__}"
            )
        self.config: ConfigT_co = config
        self.secret_store = secrets
        self.http = http
        self.clock: Clock = clock or SystemClock()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.budget = RateBudget(config.effective_rate_limit(self.default_rate_limit), self.clock)
        self.auth: httpx.Auth | None = self.build_auth()
        self.calls = 0
        self.request_sink = sink
        """Told of every HTTP try (`handoff_sdk.observe`): the hub's metrics; None: nobody."""

    @classmethod
    def required_secrets(cls, config: ConnectorConfig) -> list[str]:
        """The secrets needed before the first call (`handoff check` and the contract ask).

        The config decides (`ConnectorConfig.required_secrets`), since it holds
        the auth mode; when it says nothing, every declared secret is required.
        """
        needed = config.required_secrets()
        return [s.name for s in cls.secret_specs] if needed is None else list(needed)

    @classmethod
    def load_simulator(cls) -> type[Simulator] | None:
        """The simulator class named by `simulator`, imported now; None when there is none.

        Raises ImportError naming the connector when the module or the class
        cannot be loaded (the simulator needs `handoff-sdk[testing]`).
        """
        if cls.simulator is None:
            return None
        module_name, _, attribute = cls.simulator.partition(":")
        try:
            found = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise ImportError(
                f"{_where(cls)}.simulator is {cls.simulator!r}, which cannot be loaded: {exc} "
                "(simulators need handoff-sdk[testing])"
            ) from exc
        return found  # type: ignore[no-any-return]

    def build_auth(self) -> httpx.Auth | None:
        """The auth flow for every request of this connector; None for open APIs."""
        return None

    def classify(self, response: httpx.Response) -> Outcome:
        """Read a response. Override to find errors inside HTTP 200 bodies."""
        return default_classify(response, self.clock.now())

    def observe(self, response: httpx.Response) -> None:
        """Called with every response; override to track usage headers."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Send one API call the way every call should go, and return the usable response.

        Raises ApiError (or RateLimitedError) when the API refuses for good,
        and AuthError when credentials are refused even after one refresh.
        """
        send_headers = dict(headers or {})
        if idempotency_key is not None:
            send_headers[self.idempotency_header] = idempotency_key
        refreshed = False
        attempt = 0
        policy = self.retry_policy
        while True:
            attempt += 1
            started = self.clock.monotonic()
            try:
                async with self.budget.slot():
                    self.calls += 1
                    started = self.clock.monotonic()  # the wait for the budget is not the API's
                    response = await self.http.request(
                        method,
                        url,
                        params=params,
                        json=json,
                        data=data,
                        headers=send_headers,
                        auth=self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT,
                    )
                    await response.aread()
            except httpx.TransportError as exc:
                again = attempt < policy.attempts
                self._report(method, "network_error", None, started, retried=again)
                if not again:
                    raise ApiError(
                        self.name,
                        0,
                        type(exc).__name__,
                        str(exc) or "network error",
                        retryable=True,
                    ) from exc
                await self.clock.sleep(policy.delay(attempt, None, self.rng))
                continue
            self.observe(response)
            outcome = self.classify(response)
            status = response.status_code
            if outcome.verdict is Verdict.OK:
                self._report(method, "ok", status, started, retried=False)
                return response
            if outcome.verdict is Verdict.REFRESH_AUTH:
                if refreshed or not isinstance(self.auth, TokenAuth):
                    self._report(method, "auth_refused", status, started, retried=False)
                    raise AuthError(
                        self.name,
                        f"credentials refused (HTTP {response.status_code}"
                        f"{', ' + outcome.code if outcome.code else ''}): {outcome.message}",
                    )
                self._report(method, "auth_refused", status, started, retried=True)
                self.auth.expire_from(response.request)
                refreshed = True
                continue
            kind: RequestOutcome = (
                "throttled"
                if outcome.rate_limited
                else "server_error"
                if outcome.verdict is Verdict.RETRY
                else "auth_refused"
                if status in (401, 403)
                else "refused"
            )
            if outcome.verdict is Verdict.RETRY and attempt < policy.attempts:
                if outcome.retry_after is not None and outcome.retry_after > policy.max_seconds:
                    self._report(method, kind, status, started, retried=False)
                    self._fail(response, outcome)
                self._report(method, kind, status, started, retried=True)
                if outcome.rate_limited and outcome.retry_after is not None:
                    self.budget.pause_for(outcome.retry_after)
                await self.clock.sleep(policy.delay(attempt, outcome.retry_after, self.rng))
                continue
            self._report(method, kind, status, started, retried=False)
            self._fail(response, outcome)

    def _report(
        self,
        method: str,
        outcome: RequestOutcome,
        status: int | None,
        started: float,
        *,
        retried: bool,
    ) -> None:
        """Tell the sink about one try; a sink that fails must not fail the call."""
        if self.request_sink is None:
            return
        record = RequestRecord(
            connector=self.name,
            method=method,
            outcome=outcome,
            status=status,
            seconds=max(0.0, self.clock.monotonic() - started),
            retried=retried,
        )
        with contextlib.suppress(Exception):
            self.request_sink.record(record)

    def _fail(self, response: httpx.Response, outcome: Outcome) -> NoReturn:
        error = RateLimitedError if outcome.rate_limited else ApiError
        raise error(
            self.name,
            response.status_code,
            outcome.code,
            outcome.message or response.reason_phrase,
            retryable=outcome.verdict is Verdict.RETRY,
        )

    async def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """`request`, then the body as JSON (None for an empty body)."""
        response = await self.request(
            method,
            url,
            params=params,
            json=json,
            data=data,
            headers=headers,
            idempotency_key=idempotency_key,
        )
        return response_json(response)
