"""The contract every connector passes: subclass `ConnectorContract` in its tests.

    class TestAcmeContract(ConnectorContract):
        connector_class = AcmeConnector
        config = {"base_url": "https://api.acme.test"}
        secrets = {"api_key": "synthetic-key"}
        cases = [ContractCase("handoff_match_account",
                              {"email_domain": "example.com", "website": None},
                              "match_account")]

Each case names a capability, its arguments and a cassette under
cassettes/<connector>/. The contract checks what an ops person and the hub rely
on: config and secrets are declared, every capability returns canonical
entities, a 429 with Retry-After is waited out, an expired token is refreshed
once, batch writes cost the API's floor of calls, writes carry an idempotency
key, the package is discoverable, and the cassettes hold no secret.

Every test that calls the connector runs in two modes when the connector
names a simulator (`Connector.simulator`): `[cassettes]` replays the
recordings through an in-memory transport; `[simulator]` serves the
simulator on a loopback port over TLS and runs the same cases through a real
socket and the hub's own HTTP client, with faults injected by the simulator
and its limits enforced (no case may be throttled, and batches stay within
the simulator's concurrency).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Literal, get_type_hints

import httpx
import pydantic
import pytest
import pytest_asyncio

from handoff_sdk import hookspecs
from handoff_sdk._clock import FakeClock
from handoff_sdk._connector import Connector, ConnectorConfig
from handoff_sdk.auth import TokenAuth
from handoff_sdk.errors import AuthError, MissingSecretError
from handoff_sdk.hookspecs import implemented_capabilities

from .cassettes import CassetteTransport, FaultTransport
from .harness import Harness, build_harness, cassette_path
from .scrub import find_secrets_in_file
from .simulator import Refusal, Simulator, SimulatorServer

__all__ = ["CONTRACT_MODES", "ConnectorContract", "ContractCase", "contract_modes"]

CONTRACT_MODES = ("cassettes", "simulator")
"""How the contract's calls meet the network: replayed recordings, or a simulator over a socket."""


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


def contract_modes(contract: type[ConnectorContract]) -> list[str]:
    """The modes a contract class runs in: cassettes unless switched off, the simulator if any."""
    modes = ["cassettes"] if contract.replay_cassettes else []
    has_simulator = contract.connector_class.simulator is not None
    if contract.over_http is True and not has_simulator:
        raise AssertionError(
            f"{contract.__name__}.over_http is True but {contract.connector_class.__name__} "
            "names no simulator (set Connector.simulator)"
        )
    if contract.over_http is not False and has_simulator:
        modes.append("simulator")
    return modes


class _Cassettes:
    """Runs cases on the connector's cassettes, faults put in front by a FaultTransport."""

    mode = "cassettes"

    def __init__(self, contract: ConnectorContract, cassette_dir: Path) -> None:
        self.contract = contract
        self.cassette_dir = cassette_dir

    def harness(
        self,
        case: ContractCase,
        *,
        secrets: dict[str, str] | None = None,
        fault: Fault | None = None,
        times: int = 1,
    ) -> Harness:
        """A connector replaying the case's cassette; `fault` answers its first API calls."""
        c = self.contract
        path = cassette_path(self.cassette_dir, c.connector_class.name, case.cassette)
        cassette = CassetteTransport(path, allow_repeats=fault is not None)
        built: list[Harness] = []
        transport: httpx.AsyncBaseTransport = cassette
        if fault is not None:
            transport = FaultTransport(
                cassette, [self._fault(fault)] * times, lambda r: _is_api_request(built[0], r)
            )
        harness = build_harness(
            c.connector_class,
            transport=transport,
            config=c.config,
            secrets=c.secrets if secrets is None else secrets,
        )
        built.append(harness)
        return harness

    def _fault(self, fault: Fault) -> httpx.Response:
        """A bare 429 with Retry-After, or the API's answer to an expired token."""
        if fault == "rate_limited":
            retry_after = str(self.contract.retry_after_seconds)
            return httpx.Response(
                429, headers={"Retry-After": retry_after}, text="Too Many Requests"
            )
        return self.contract.expired_token_response()

    def api_requests(self, harness: Harness) -> list[dict[str, str]]:
        """Headers of every API request the connector sent (token requests left out)."""
        return [dict(r.headers) for r in harness.sent() if _is_api_request(harness, r)]

    def check_limits(self, harness: Harness) -> None:
        """Nothing to check: a cassette has no limits."""


class _Simulator:
    """Runs cases against the connector's simulator on a loopback port, over TLS."""

    mode = "simulator"

    def __init__(
        self, contract: ConnectorContract, simulator: Simulator, server: SimulatorServer
    ) -> None:
        self.contract = contract
        self.simulator = simulator
        self.server = server

    def harness(
        self,
        case: ContractCase,
        *,
        secrets: dict[str, str] | None = None,
        fault: Fault | None = None,
        times: int = 1,
    ) -> Harness:
        """A connector pointed at a freshly reset simulator; `fault` is queued there."""
        c = self.contract
        self.simulator.reset()
        if fault == "rate_limited":
            retry_after = str(c.retry_after_seconds)
            self.simulator.fail_next(
                429, body="Too Many Requests", headers={"Retry-After": retry_after}, times=times
            )
        elif fault is not None:  # the vendor's own answer to a refused token
            refusal = Refusal(fault, "the session has expired or the key was revoked")
            self.simulator.refuse_next(refusal, times=times)
        config = {**c.config, **self.simulator.connector_config(self.server.url)}
        # The simulator's credentials win; the contract's others stay (a webhook's signing
        # secret is the hub's, not something the vendor's API checks).
        base = {**c.secrets, **self.simulator.connector_secrets()}
        if secrets is not None:
            base = {k: v for k, v in base.items() if k in secrets}
        return build_harness(
            c.connector_class,
            transport=None,
            config=config,
            secrets=base,
            clock=self.simulator.clock if isinstance(self.simulator.clock, FakeClock) else None,
            verify=self.server.verify,
        )

    def api_requests(self, harness: Harness) -> list[dict[str, str]]:
        """Headers of every request the simulator answered on an authenticated endpoint."""
        api = {e.name for e in self.simulator.endpoints if e.auth}
        return [s.headers for s in self.simulator.log if s.endpoint in api]

    def check_limits(self, harness: Harness) -> None:
        """No request was throttled, and no more were in flight than the budget allows."""
        throttled = self.simulator.throttled()
        assert not throttled, f"{len(throttled)} requests were refused as too fast: " + ", ".join(
            f"{s.method} {s.path} ({s.refusal})" for s in throttled[:5]
        )
        budget = harness.connector.budget.limit.concurrency
        peak = self.simulator.peak_concurrency()
        assert peak <= budget, f"{peak} requests in flight at once; the budget allows {budget}"


def _is_api_request(harness: Harness, request: httpx.Request) -> bool:
    """True unless `request` is the connector's token request (read from its auth lazily)."""
    auth = harness.connector.auth
    if isinstance(auth, TokenAuth):
        token_url = auth.build_token_request().url.copy_with(query=None)
        return request.url.copy_with(query=None) != token_url
    return True


Backend = _Cassettes | _Simulator
Fault = Literal["rate_limited", "token_expired", "unauthorized"]
"""What the contract puts in front of a case: a 429, an expired token, a refused static key."""


class ConnectorContract:
    """Subclass as `Test<Name>Contract` and fill in the class attributes."""

    connector_class: ClassVar[type[Connector]]
    config: ClassVar[dict[str, Any]] = {}
    secrets: ClassVar[dict[str, str]] = {}
    cases: ClassVar[Sequence[ContractCase]] = ()
    batch_cases: ClassVar[Sequence[ContractCase]] = ()
    retry_after_seconds: ClassVar[int] = 7
    replay_cassettes: ClassVar[bool] = True
    """Run the calls on the cassettes (`[cassettes]`); False for a connector tested only live."""
    over_http: ClassVar[bool | None] = None
    """Run the calls against the simulator (`[simulator]`): None when the connector has one."""

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """What this API answers to an expired token; override for errors inside HTTP 200.

        Cassette mode only: the simulator answers in the vendor's own shape.
        """
        return httpx.Response(401, json={"error": "invalid_token", "message": "token expired"})

    # -- plumbing ---------------------------------------------------------------

    @pytest_asyncio.fixture
    async def contract(
        self, contract_mode: str, cassette_dir: Path, fake_clock: FakeClock
    ) -> AsyncIterator[Backend]:
        """Where this run's calls go: the cassettes, or the simulator on a loopback port."""
        async with self.open_backend(contract_mode, Path(cassette_dir), fake_clock) as backend:
            yield backend

    @asynccontextmanager
    async def open_backend(
        self, mode: str, cassette_dir: Path, clock: FakeClock
    ) -> AsyncIterator[Backend]:
        """The cassettes, or the connector's simulator served over TLS for the duration."""
        if mode == "cassettes":
            yield _Cassettes(self, cassette_dir)
            return
        simulator_class = self.connector_class.load_simulator()
        if simulator_class is None:
            raise AssertionError(f"{self.connector_class.__name__} names no simulator")
        simulator = simulator_class(clock=clock)
        async with SimulatorServer(simulator, tls=True) as server:
            yield _Simulator(self, simulator, server)

    async def _run(self, harness: Harness, case: ContractCase) -> Any:
        try:
            return await getattr(harness.connector, case.hook)(**case.kwargs)
        finally:
            await harness.aclose()

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

    async def test_capabilities_return_canonical_entities(self, contract: Backend) -> None:
        """What comes back is the hookspec's declared canonical type, nothing vendor-shaped."""
        for case in self.cases:
            harness = contract.harness(case)
            result = await self._run(harness, case)
            pydantic.TypeAdapter(_return_type(case.hook)).validate_python(result, strict=True)
            contract.check_limits(harness)

    async def test_missing_secret_is_a_clear_error(self, contract: Backend) -> None:
        """Without a required secret, the error names the connector and the secret."""
        config = self.connector_class.config_model.model_validate(self.config)
        for name in self.connector_class.required_secrets(config):
            secrets = {k: v for k, v in self.secrets.items() if k != name}
            case = self._first_case()
            harness = contract.harness(case, secrets=secrets)
            with pytest.raises(MissingSecretError) as info:
                await self._run(harness, case)
            assert name in str(info.value)
            assert self.connector_class.name in str(info.value)

    async def test_429_with_retry_after_is_waited_out(self, contract: Backend) -> None:
        """A 429 with Retry-After is waited out on the clock, then the call succeeds."""
        case = self._first_case()
        baseline = contract.harness(case)
        expected = await self._run(baseline, case)
        harness = contract.harness(case, fault="rate_limited")
        slept_before = harness.clock.slept
        result = await self._run(harness, case)
        assert result == expected
        assert harness.clock.slept - slept_before >= self.retry_after_seconds
        assert harness.api_calls == baseline.api_calls + 1

    async def test_expired_token_is_refreshed_once(self, contract: Backend) -> None:
        """An expired token is refreshed once and the call retried; a static key is not retried."""
        case = self._first_case()
        baseline = contract.harness(case)
        expected = await self._run(baseline, case)
        is_token_flow = isinstance(baseline.connector.auth, TokenAuth)
        if is_token_flow:
            harness = contract.harness(case, fault="token_expired")
        else:
            harness = contract.harness(case, fault="unauthorized", times=50)
        if is_token_flow:
            result = await self._run(harness, case)
            assert result == expected
            assert harness.token_requests == baseline.token_requests + 1
            assert harness.api_calls == baseline.api_calls + 1
        else:
            with pytest.raises(AuthError):
                await self._run(harness, case)
            assert harness.api_calls == 1

    async def test_batch_writes_respect_the_api_maximum(self, contract: Backend) -> None:
        """N records cost ceil(N / maximum) calls, with one result per record, within limits."""
        limits = self.connector_class.batch_limits
        covered = {c.hook for c in self.batch_cases}
        assert set(limits) <= covered, f"no batch case for {set(limits) - covered}"
        for case in self.batch_cases:
            size = _batch_size(case.kwargs)
            limit = limits[case.hook]
            assert size > limit, f"batch case for {case.hook} must exceed {limit} records"
            harness = contract.harness(case)
            results = await self._run(harness, case)
            assert len(results) == size
            assert [r.index for r in results] == list(range(size)), "results in input order"
            contract.check_limits(harness)
            assert harness.api_calls == math.ceil(size / limit)

    async def test_writes_carry_an_idempotency_key(self, contract: Backend) -> None:
        """Every request a write capability sends carries the caller's idempotency key."""
        header = self.connector_class.idempotency_header.lower()
        for case in [*self.cases, *self.batch_cases]:
            if case.hook not in hookspecs.WRITE_HOOKS:
                continue
            key = case.kwargs["idempotency_key"]
            harness = contract.harness(case)
            await self._run(harness, case)
            sent = contract.api_requests(harness)
            assert sent, f"{case.hook} sent nothing"
            for headers in sent:
                lowered = {k.lower(): v for k, v in headers.items()}
                assert lowered.get(header, "").startswith(key), (
                    f"{case.hook}: a request lacks {self.connector_class.idempotency_header}"
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
