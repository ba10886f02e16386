"""The HTTP contract fails for connectors that break its promises, in its simulator mode.

A small connector that upserts leads in batches of three passes the contract;
each test breaks one behaviour (ignores Retry-After, drops the idempotency
key, calls once per record, claims a bigger budget than the API allows) and
checks that the matching contract test fails against the simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from handoff_sdk import (
    ApiKeyAuth,
    Connector,
    ConnectorConfig,
    FakeClock,
    Outcome,
    RateLimit,
    SecretSpec,
    hookimpl,
    write_in_batches,
)
from handoff_sdk.entities import Lead, WriteResult
from handoff_sdk.testing import (
    ApiKey,
    Batch,
    Call,
    ConnectorContract,
    ContractCase,
    Limits,
    RateWindow,
    SimAccount,
    Simulator,
)
from handoff_sdk.testing import endpoint as api

BATCH = 3


class TallyConfig(ConnectorConfig):
    base_url: str


class TallySimulator(Simulator):
    """Upserts leads, at most three per call, two calls at once."""

    name = "tally"
    default_limits = Limits(windows=(RateWindow(100, 1.0),), concurrency=2)
    auth = ApiKey("api_key")

    def seed(self) -> None:
        self.add_account(SimAccount("t-1", secrets={"api_key": "k"}, data={"leads": {}}))

    def connector_config(self, url: str) -> dict[str, Any]:
        return {"base_url": url}

    @api("POST", "/leads", body={"leads": list[dict[str, Any]]}, batch=Batch("leads", BATCH))
    async def upsert(self, call: Call) -> Any:
        """Upsert by email."""
        results = []
        for lead in call.body["leads"]:
            created = lead["email"] not in call.data["leads"]
            call.data["leads"][lead["email"]] = lead
            results.append({"id": lead["email"], "created": created})
        return {"results": results}


class Tally(Connector[TallyConfig]):
    name = "tally"
    secret_specs = (SecretSpec(name="api_key", description="The key."),)
    default_rate_limit = RateLimit(requests=100, per_seconds=1, concurrency=2)
    batch_limits: ClassVar[Mapping[str, int]] = {"handoff_upsert_leads": BATCH}
    simulator = "tests.sdk.test_contract_catches:TallySimulator"
    per_call = BATCH

    def build_auth(self) -> httpx.Auth:
        return ApiKeyAuth(self.secret_store, "api_key", prefix="Bearer ")

    def key_for(self, key: str) -> str | None:
        return key

    @hookimpl
    async def handoff_upsert_leads(
        self, leads: Sequence[Lead], idempotency_key: str
    ) -> list[WriteResult]:
        async def send(chunk: Sequence[Lead], key: str) -> list[WriteResult]:
            body = await self.request_json(
                "POST",
                f"{self.config.base_url}/leads",
                json={"leads": [{"email": lead.email} for lead in chunk]},
                idempotency_key=self.key_for(key),
            )
            return [
                WriteResult(index=i, ok=True, id=r["id"], created=r["created"])
                for i, r in enumerate(body["results"])
            ]

        return await write_in_batches(
            leads, self.per_call, send, idempotency_key, concurrency=self.budget.limit.concurrency
        )


LEADS = [Lead(email=f"lead{i}@example.test") for i in range(10)]


class Contract(ConnectorContract):
    """The contract of the well-behaved connector, under a name pytest does not collect."""

    connector_class: ClassVar[type[Connector]] = Tally
    config: ClassVar[dict[str, Any]] = {"base_url": "https://tally.example.test"}
    secrets: ClassVar[dict[str, str]] = {"api_key": "k"}
    cases = (
        ContractCase("handoff_upsert_leads", {"leads": LEADS[:2], "idempotency_key": "j1"}, ""),
    )
    batch_cases = (
        ContractCase("handoff_upsert_leads", {"leads": LEADS, "idempotency_key": "j2"}, ""),
    )


def contract_for(connector: type[Connector]) -> Contract:
    contract = Contract()
    contract.connector_class = connector  # type: ignore[misc]
    return contract


@pytest.fixture
async def backend_of(tmp_path: Path, fake_clock: FakeClock) -> AsyncIterator[Any]:
    opened: list[Any] = []

    async def open_for(contract: Contract) -> Any:
        manager = contract.open_backend("simulator", tmp_path, fake_clock)
        opened.append(manager)
        return await manager.__aenter__()

    yield open_for
    for manager in opened:
        await manager.__aexit__(None, None, None)


async def test_the_well_behaved_connector_passes(backend_of: Any) -> None:
    contract = Contract()
    backend = await backend_of(contract)
    await contract.test_capabilities_return_canonical_entities(backend)
    await contract.test_429_with_retry_after_is_waited_out(backend)
    await contract.test_batch_writes_respect_the_api_maximum(backend)
    await contract.test_writes_carry_an_idempotency_key(backend)
    assert backend.simulator.calls("upsert"), "it really went over the socket"


async def test_ignoring_retry_after_fails_the_429_test(backend_of: Any) -> None:
    class Impatient(Tally):
        def classify(self, response: httpx.Response) -> Outcome:
            outcome = super().classify(response)
            return Outcome(outcome.verdict, outcome.code, outcome.message)  # Retry-After dropped

    contract = contract_for(Impatient)
    with pytest.raises(AssertionError, match="slept"):
        await contract.test_429_with_retry_after_is_waited_out(await backend_of(contract))


async def test_dropping_the_idempotency_key_fails_the_key_test(backend_of: Any) -> None:
    class Forgetful(Tally):
        def key_for(self, key: str) -> str | None:
            return None

    contract = contract_for(Forgetful)
    with pytest.raises(AssertionError, match="lacks Idempotency-Key"):
        await contract.test_writes_carry_an_idempotency_key(await backend_of(contract))


async def test_one_call_per_record_fails_the_batch_test(backend_of: Any) -> None:
    class OneByOne(Tally):
        per_call = 1

    contract = contract_for(OneByOne)
    with pytest.raises(AssertionError, match="api_calls"):
        await contract.test_batch_writes_respect_the_api_maximum(await backend_of(contract))


async def test_a_budget_beyond_the_apis_concurrency_fails_the_batch_test(
    backend_of: Any,
) -> None:
    class Greedy(Tally):
        default_rate_limit = RateLimit(requests=100, per_seconds=1, concurrency=8)

    contract = contract_for(Greedy)
    with pytest.raises(AssertionError, match="refused as too fast"):
        await contract.test_batch_writes_respect_the_api_maximum(await backend_of(contract))
