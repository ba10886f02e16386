"""The contract every connector passes: subclass `ConnectorContract` in its tests.

    class TestAcmeContract(ConnectorContract):
        connector_class = AcmeConnector
        config = {"base_url": "https://api.acme.test"}
        secrets = {"api_key": "synthetic-key"}
        cases = [ContractCase("handoff_match_account", {"email_domain": "example.com",
                                                "website": None}, "match_account")]

Each case names a capability, its arguments and a cassette under
cassettes/<connector>/. The contract checks what an ops person and the hub rely
on: config and secrets are declared, every capability returns canonical
entities, a 429 with Retry-After is waited out, an expired token is refreshed
once, batch writes cost the API's floor of calls, writes carry an idempotency
key, the package is discoverable, and the cassettes hold no secret.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

import httpx
import pydantic
import pytest

from handoff_sdk import hookspecs
from handoff_sdk._connector import Connector, ConnectorConfig
from handoff_sdk.auth import TokenAuth
from handoff_sdk.errors import AuthError, MissingSecretError
from handoff_sdk.hookspecs import implemented_capabilities

from .cassettes import CassetteTransport, FaultTransport
from .harness import Harness, build_harness, cassette_path
from .scrub import find_secrets_in_file

__all__ = ["ConnectorContract", "ContractCase"]


@dataclass(frozen=True)
class ContractCase:
    """One capability call of the contract: the hook, its arguments and the cassette it replays."""

    hook: str
    kwargs: Mapping[str, Any]
    cassette: str
    extra: Mapping[str, Any] = field(default_factory=dict)


def _return_type(hook: str) -> Any:
    return get_type_hints(getattr(hookspecs, hook))["return"]


def _batch_size(kwargs: Mapping[str, Any]) -> int:
    sizes = [len(v) for v in kwargs.values() if isinstance(v, Sequence) and not isinstance(v, str)]
    if not sizes:
        raise AssertionError("a batch case needs a sequence argument")
    return max(sizes)


class ConnectorContract:
    """Subclass as `Test<Name>Contract` and fill in the class attributes."""

    connector_class: ClassVar[type[Connector]]
    config: ClassVar[dict[str, Any]] = {}
    secrets: ClassVar[dict[str, str]] = {}
    cases: ClassVar[Sequence[ContractCase]] = ()
    batch_cases: ClassVar[Sequence[ContractCase]] = ()
    retry_after_seconds: ClassVar[int] = 7

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """What this API answers to an expired token; override for errors inside HTTP 200."""
        return httpx.Response(401, json={"error": "invalid_token", "message": "token expired"})

    # -- plumbing ---------------------------------------------------------------

    @pytest.fixture
    def contract_dir(self, cassette_dir: Path) -> Path:
        """The connector's cassette folder."""
        return Path(cassette_dir)

    def _transport(self, cassette_dir: Path, case: ContractCase, **kw: Any) -> CassetteTransport:
        return CassetteTransport(
            cassette_path(cassette_dir, self.connector_class.name, case.cassette), **kw
        )

    def _harness(
        self, transport: httpx.AsyncBaseTransport, secrets: dict[str, str] | None = None
    ) -> Harness:
        return build_harness(
            self.connector_class,
            transport=transport,
            config=self.config,
            secrets=self.secrets if secrets is None else secrets,
        )

    async def _run(self, harness: Harness, case: ContractCase) -> Any:
        try:
            return await getattr(harness.connector, case.hook)(**case.kwargs)
        finally:
            await harness.aclose()

    def _is_api_request(self, harness: Harness) -> Callable[[httpx.Request], bool]:
        auth = harness.connector.auth

        def check(request: httpx.Request) -> bool:
            if isinstance(auth, TokenAuth):
                token_request = auth.build_token_request()
                return request.url.copy_with(query=None) != token_request.url.copy_with(query=None)
            return True

        return check

    def _first_case(self) -> ContractCase:
        if not self.cases:
            raise AssertionError(f"{type(self).__name__}.cases is empty")
        return self.cases[0]

    # -- the contract -----------------------------------------------------------

    def test_config_model_and_secrets_are_declared(self) -> None:
        """Ops can configure it: a strict config model, every secret declared and described."""
        cls = self.connector_class
        assert isinstance(cls.name, str), "connector needs a name"
        assert cls.name, "connector needs a name"
        assert issubclass(cls.config_model, ConnectorConfig)
        config = cls.config_model.model_validate(self.config)
        with pytest.raises(pydantic.ValidationError):
            cls.config_model.model_validate({**self.config, "no_such_field_xyz": 1})
        declared = {s.name for s in cls.secret_specs}
        for spec in cls.secret_specs:
            assert spec.description.strip(), f"secret {spec.name} needs a description"
        required = cls.required_secrets(config)
        assert set(required) <= declared, f"undeclared secrets: {set(required) - declared}"
        assert set(required) <= set(self.secrets), "the contract's secrets must cover the required"

    def test_every_capability_has_a_case(self) -> None:
        """Each capability it implements is exercised against a cassette."""
        implemented = implemented_capabilities(self.connector_class)
        assert implemented, "a connector implements at least one capability"
        covered = {c.hook for c in self.cases}
        assert set(implemented) <= covered, f"no case for {set(implemented) - covered}"
        assert covered <= set(implemented), f"cases for unimplemented {covered - set(implemented)}"

    async def test_capabilities_return_canonical_entities(self, cassette_dir: Path) -> None:
        """What comes back is the hookspec's declared canonical type, nothing vendor-shaped."""
        for case in self.cases:
            harness = self._harness(self._transport(cassette_dir, case))
            result = await self._run(harness, case)
            pydantic.TypeAdapter(_return_type(case.hook)).validate_python(result, strict=True)

    async def test_missing_secret_is_a_clear_error(self, cassette_dir: Path) -> None:
        """Without a required secret, the error names the connector and the secret."""
        config = self.connector_class.config_model.model_validate(self.config)
        for name in self.connector_class.required_secrets(config):
            secrets = {k: v for k, v in self.secrets.items() if k != name}
            case = self._first_case()
            harness = self._harness(self._transport(cassette_dir, case), secrets)
            with pytest.raises(MissingSecretError) as info:
                await self._run(harness, case)
            assert name in str(info.value)
            assert self.connector_class.name in str(info.value)

    async def test_429_with_retry_after_is_waited_out(self, cassette_dir: Path) -> None:
        """A 429 with Retry-After is waited out on the clock, then the call succeeds."""
        case = self._first_case()
        baseline = self._harness(self._transport(cassette_dir, case))
        expected = await self._run(baseline, case)
        fault = httpx.Response(
            429, headers={"Retry-After": str(self.retry_after_seconds)}, text="Too Many Requests"
        )
        inner = self._transport(cassette_dir, case)
        harness = self._harness(inner)
        harness.transport = FaultTransport(inner, [fault], self._is_api_request(harness))
        harness.client._transport = harness.transport
        result = await self._run(harness, case)
        assert result == expected
        assert harness.clock.slept >= self.retry_after_seconds
        assert harness.api_calls == baseline.api_calls + 1

    async def test_expired_token_is_refreshed_once(self, cassette_dir: Path) -> None:
        """An expired token is refreshed once and the call retried; a static key is not retried."""
        case = self._first_case()
        baseline = self._harness(self._transport(cassette_dir, case))
        expected = await self._run(baseline, case)
        inner = self._transport(cassette_dir, case, allow_repeats=True)
        harness = self._harness(inner)
        is_token_flow = isinstance(harness.connector.auth, TokenAuth)
        faults = [self.expired_token_response()] * (1 if is_token_flow else 50)
        harness.transport = FaultTransport(inner, faults, self._is_api_request(harness))
        harness.client._transport = harness.transport
        if is_token_flow:
            result = await self._run(harness, case)
            assert result == expected
            assert harness.token_requests == baseline.token_requests + 1
            assert harness.api_calls == baseline.api_calls + 1
        else:
            with pytest.raises(AuthError):
                await self._run(harness, case)
            assert harness.api_calls == 1

    async def test_batch_writes_respect_the_api_maximum(self, cassette_dir: Path) -> None:
        """N records cost ceil(N / maximum) calls, with one result per record."""
        limits = self.connector_class.batch_limits
        covered = {c.hook for c in self.batch_cases}
        assert set(limits) <= covered, f"no batch case for {set(limits) - covered}"
        for case in self.batch_cases:
            size = _batch_size(case.kwargs)
            limit = limits[case.hook]
            assert size > limit, f"batch case for {case.hook} must exceed {limit} records"
            harness = self._harness(self._transport(cassette_dir, case))
            results = await self._run(harness, case)
            assert len(results) == size
            assert harness.api_calls == math.ceil(size / limit)

    async def test_writes_carry_an_idempotency_key(self, cassette_dir: Path) -> None:
        """Every request a write capability sends carries the caller's idempotency key."""
        header = self.connector_class.idempotency_header
        for case in [*self.cases, *self.batch_cases]:
            if case.hook not in hookspecs.WRITE_HOOKS:
                continue
            key = case.kwargs["idempotency_key"]
            harness = self._harness(self._transport(cassette_dir, case))
            await self._run(harness, case)
            is_api = self._is_api_request(harness)
            sent = [r for r in harness.sent() if is_api(r)]
            assert sent, f"{case.hook} sent nothing"
            for request in sent:
                assert request.headers.get(header, "").startswith(key), (
                    f"{case.hook}: {request.method} {request.url} lacks {header}"
                )

    def test_is_discoverable_through_the_entry_point(self) -> None:
        """The package registers the connector in the `handoff` entry-point group.

        Only this connector's own package is loaded, so another installed
        plugin that is broken cannot fail this connector's contract.
        """
        package = self.connector_class.__module__.split(".")[0]
        found = []
        for ep in entry_points(group=hookspecs.PROJECT):
            if ep.value.split(".")[0].split(":")[0] != package:
                continue
            hook = getattr(ep.load(), "handoff_connectors", None)
            if hook is not None:
                found += list(hook())
        assert self.connector_class in found, (
            f"{package} registers no entry point in group 'handoff' offering "
            f"{self.connector_class.__name__}"
        )

    def test_cassettes_hold_no_secret(self, cassette_dir: Path) -> None:
        """Nothing in this connector's cassettes looks like a credential."""
        folder = Path(cassette_dir) / self.connector_class.name
        files = sorted(folder.glob("*.yaml"))
        assert files, f"no cassettes in {folder}"
        findings = [f for path in files for f in find_secrets_in_file(path)]
        assert not findings, "\n".join(findings)

    def test_capabilities_are_async(self) -> None:
        """The hub awaits capabilities; a sync one would block the event loop."""
        for name in implemented_capabilities(self.connector_class):
            assert inspect.iscoroutinefunction(getattr(self.connector_class, name)), name
