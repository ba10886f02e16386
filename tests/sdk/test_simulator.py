"""The simulator framework: declared endpoints, validation, limits, tokens, faults and the log.

Every test talks to a simulator over a real loopback socket (uvicorn in a
thread), as a connector would.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from handoff_sdk import ConfigError, Connector, ConnectorConfig, FakeClock, connector_http_client
from handoff_sdk.testing.simulator import (
    AnyOf,
    ApiKey,
    BasicPassword,
    Batch,
    BearerToken,
    Call,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    SimulatorProcess,
    SimulatorServer,
    endpoint,
)

KEY = "sim-key-1"


class Shop(Simulator):
    """A small API with every kind of declaration."""

    name = "shop"
    default_limits = Limits(windows=(RateWindow(5, 10.0, name="ten_seconds"),), concurrency=2)
    auth = AnyOf(ApiKey("api_key"), BearerToken(), BasicPassword("{email}/token", "api_token"))
    token_lifetime = 60.0
    rotate_refresh_tokens = True

    def seed(self) -> None:
        self.add_account(
            SimAccount(
                "shop-1",
                settings={"email": "agent@example.test"},
                secrets={"api_key": KEY, "api_token": "tok-1", "refresh_token": "rt-0"},
                data={"items": [{"id": 1, "sku": "A-1"}, {"id": 2, "sku": "B-2"}]},
            )
        )

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        reply = super().refuse(refusal, call)
        reply.headers = {**reply.headers, "X-Shop-Error": refusal.kind}
        return reply

    def answer_headers(self, account: SimAccount | None) -> dict[str, str]:
        if account is None:
            return {}
        used, remaining, _reset = self.usage(account, "ten_seconds")
        return {"X-Remaining": str(remaining), "X-Used": str(used)}

    @endpoint("GET", "/items", query={"sku?": str, "limit?": int})
    async def list_items(self, call: Call) -> Any:
        """Items, optionally by SKU."""
        items = call.data["items"]
        if call.query.get("sku"):
            items = [i for i in items if i["sku"] == call.query["sku"]]
        return {"items": items[: call.query.get("limit") or 100]}

    @endpoint("GET", "/items/{item_id:int}.json")
    async def get_item(self, call: Call) -> Any:
        """One item."""
        for item in call.data["items"]:
            if item["id"] == call.path_params["item_id"]:
                return {"item": item}
        raise Refusal("not_found", "no such item")

    @endpoint(
        "POST",
        "/items/batch",
        headers=("Idempotency-Key",),
        body={"items": list[dict[str, Any]], "dry_run?": bool},
        batch=Batch("items", 3),
    )
    async def create_items(self, call: Call) -> Any:
        """Create up to three items."""
        return Reply({"created": len(call.body["items"])}, status=201)

    @endpoint(
        "POST",
        "/token",
        auth=False,
        content_type="application/x-www-form-urlencoded",
        body={"refresh_token": str},
    )
    async def token(self, call: Call) -> Any:
        """A refresh-token grant."""
        issued = self.tokens.redeem(call.body["refresh_token"], self.account)
        return {"access_token": issued.access_token, "refresh_token": issued.refresh_token}

    @endpoint("GET", "/wait")
    async def wait(self, call: Call) -> Any:
        """A slow answer, to keep requests in flight."""
        await asyncio.sleep(0.1)
        return {"ok": True}

    @endpoint("GET", "/slow", limits=(RateWindow(1, 60.0, name="slow_endpoint"),))
    async def slow(self, call: Call) -> Any:
        """An endpoint with a window of its own, and a slow answer."""
        await asyncio.sleep(0.05)
        return {"ok": True}


@pytest.fixture
async def shop(fake_clock: FakeClock) -> AsyncIterator[tuple[Shop, httpx.AsyncClient]]:
    simulator = Shop(clock=fake_clock)
    async with (
        SimulatorServer(simulator) as server,
        httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}
        ) as client,
    ):
        yield simulator, client


async def test_a_declared_endpoint_answers_with_the_accounts_data(
    shop: tuple[Shop, httpx.AsyncClient],
) -> None:
    simulator, client = shop
    answer = await client.get("/items", params={"sku": "B-2"})
    assert answer.status_code == 200
    assert answer.json() == {"items": [{"id": 2, "sku": "B-2"}]}
    assert answer.headers["content-type"] == "application/json"
    one = await client.get("/items/1.json")
    assert one.json() == {"item": {"id": 1, "sku": "A-1"}}
    [first, second] = simulator.calls()
    assert (first.endpoint, first.account, first.status) == ("list_items", "shop-1", 200)
    assert first.query == "sku=B-2"
    assert second.endpoint == "get_item"


@pytest.mark.parametrize(
    ("request_kwargs", "status", "kind", "message"),
    [
        (
            {"method": "GET", "url": "/items", "params": {"limit": "ten"}},
            400,
            "bad_request",
            "query parameter limit",
        ),
        (
            {"method": "POST", "url": "/items/batch", "json": {"items": []}},
            400,
            "bad_request",
            "Idempotency-Key header is required",
        ),
        (
            {
                "method": "POST",
                "url": "/items/batch",
                "headers": {"Idempotency-Key": "k"},
                "data": {"items": "x"},
            },
            415,
            "unsupported_media_type",
            "expected Content-Type",
        ),
        (
            {
                "method": "POST",
                "url": "/items/batch",
                "headers": {"Idempotency-Key": "k"},
                "json": {"items": [{}], "dry_run": "yes"},
            },
            400,
            "bad_request",
            "dry_run",
        ),
        (
            {
                "method": "POST",
                "url": "/items/batch",
                "headers": {"Idempotency-Key": "k"},
                "json": {"items": "all"},
            },
            400,
            "bad_request",
            "items",
        ),
        (
            {
                "method": "POST",
                "url": "/items/batch",
                "headers": {"Idempotency-Key": "k"},
                "json": {"items": [{}] * 4},
            },
            413,
            "batch_too_large",
            "at most 3",
        ),
        (
            {
                "method": "POST",
                "url": "/items/batch",
                "headers": {"Idempotency-Key": "k"},
                "content": b"{not json",
                "params": {},
            },
            400,
            "bad_request",
            "not valid JSON",
        ),
        ({"method": "DELETE", "url": "/items"}, 405, "method_not_allowed", "use GET"),
        ({"method": "GET", "url": "/nowhere"}, 404, "not_found", "/nowhere"),
        ({"method": "GET", "url": "/items/9.json"}, 404, "not_found", "no such item"),
    ],
)
async def test_a_request_the_declaration_refuses_gets_the_vendors_error_shape(
    shop: tuple[Shop, httpx.AsyncClient],
    request_kwargs: dict[str, Any],
    status: int,
    kind: str,
    message: str,
) -> None:
    simulator, client = shop
    if "content" in request_kwargs:
        request_kwargs["headers"] = {"Idempotency-Key": "k", "Content-Type": "application/json"}
    answer = await client.request(**request_kwargs)
    assert answer.status_code == status
    assert answer.headers["X-Shop-Error"] == kind
    assert message in answer.json()["message"]
    assert simulator.log[-1].refusal == kind


async def test_a_valid_write_reaches_its_handler(shop: tuple[Shop, httpx.AsyncClient]) -> None:
    simulator, client = shop
    answer = await client.post(
        "/items/batch", json={"items": [{}, {}, {}]}, headers={"Idempotency-Key": "k-1"}
    )
    assert answer.status_code == 201
    assert answer.json() == {"created": 3}
    assert simulator.log[-1].headers["idempotency-key"] == "k-1"
    assert "authorization" not in simulator.log[-1].headers, "the log keeps no credential"


async def test_unknown_credentials_are_refused_by_every_scheme(
    shop: tuple[Shop, httpx.AsyncClient],
) -> None:
    _simulator, client = shop
    for header in ("Bearer wrong", "Basic " + base64.b64encode(b"x:y").decode(), "Token z"):
        answer = await client.get("/items", headers={"Authorization": header})
        assert answer.status_code == 401, header
    basic = base64.b64encode(b"agent@example.test/token:tok-1").decode()
    assert (await client.get("/items", headers={"Authorization": f"Basic {basic}"})).is_success


async def test_tokens_expire_on_the_clock_and_refresh_tokens_rotate(
    shop: tuple[Shop, httpx.AsyncClient], fake_clock: FakeClock
) -> None:
    simulator, client = shop
    first = (await client.post("/token", data={"refresh_token": "rt-0"})).json()
    assert first["refresh_token"] != "rt-0"
    assert simulator.account.secrets["refresh_token"] == first["refresh_token"]
    reused = await client.post("/token", data={"refresh_token": "rt-0"})
    assert reused.status_code == 400, "a rotated refresh token stops working"
    assert reused.json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert (await client.get("/items", headers=bearer)).is_success
    fake_clock.advance(61)
    expired = await client.get("/items", headers=bearer)
    assert expired.status_code == 401
    assert simulator.log[-1].refusal == "token_expired"
    second = (await client.post("/token", data={"refresh_token": first["refresh_token"]})).json()
    fresh = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await client.get("/items", headers=fresh)).is_success
    simulator.tokens.expire_all()
    assert (await client.get("/items", headers=fresh)).status_code == 401
    assert simulator.tokens.issued == 2


async def test_a_rate_window_refuses_with_retry_after_until_it_frees_up(
    shop: tuple[Shop, httpx.AsyncClient], fake_clock: FakeClock
) -> None:
    simulator, client = shop
    for n in range(5):
        answer = await client.get("/items")
        assert answer.headers["X-Remaining"] == str(4 - n)
        fake_clock.advance(1)
    refused = await client.get("/items")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "6", "the oldest call leaves the window in 5 s"
    assert simulator.log[-1].refusal == "rate_limited"
    fake_clock.advance(5)
    assert (await client.get("/items")).is_success, "a refused call does not use up the window"
    assert [s.seq for s in simulator.throttled()] == [6]


async def test_an_endpoint_window_counts_only_that_endpoint(
    shop: tuple[Shop, httpx.AsyncClient],
) -> None:
    simulator, client = shop
    assert (await client.get("/slow")).is_success
    assert (await client.get("/slow")).status_code == 429
    assert (await client.get("/items")).is_success
    assert simulator.throttled()[0].endpoint == "slow"


async def test_concurrency_above_the_cap_is_refused_and_the_peak_is_logged(
    shop: tuple[Shop, httpx.AsyncClient],
) -> None:
    simulator, client = shop
    answers = await asyncio.gather(*(client.get("/wait") for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [200, 200, 429]
    assert simulator.peak_concurrency() == 3
    assert [s.refusal for s in simulator.throttled()] == ["too_many_concurrent"]


async def test_faults_answer_refuse_drop_and_slow_the_next_api_calls(
    shop: tuple[Shop, httpx.AsyncClient],
) -> None:
    simulator, client = shop
    simulator.fail_next(503, body="down for maintenance", headers={"Retry-After": "2"})
    answer = await client.get("/items")
    assert (answer.status_code, answer.text, answer.headers["Retry-After"]) == (
        503,
        "down for maintenance",
        "2",
    )
    simulator.refuse_next(Refusal("rate_limited", "slow down", retry_after=7))
    refused = await client.get("/items")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "8")
    assert refused.headers["X-Shop-Error"] == "rate_limited", "rendered in the vendor's shape"
    simulator.drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get("/items")
    simulator.slow_next(0.3)
    started = time.monotonic()
    assert (await client.get("/items")).is_success
    assert time.monotonic() - started >= 0.3
    assert [s.fault for s in simulator.log] == [
        "answer 503",
        "refuse rate_limited",
        "drop",
        "slow 0.3s",
    ]
    assert (await client.get("/items")).is_success, "faults are used up"
    assert simulator.faults.pending == 0


async def test_a_fault_without_an_endpoint_spares_the_login(
    shop: tuple[Shop, httpx.AsyncClient],
) -> None:
    simulator, client = shop
    simulator.fail_next(500)
    assert (await client.post("/token", data={"refresh_token": "rt-0"})).is_success
    assert (await client.get("/items")).status_code == 500
    simulator.fail_next(502, endpoint="token")
    assert (await client.post("/token", data={"refresh_token": "x"})).status_code == 502


async def test_latency_is_added_to_every_answer(fake_clock: FakeClock) -> None:
    simulator = Shop(clock=fake_clock, latency=0.05)
    async with SimulatorServer(simulator) as server, httpx.AsyncClient() as client:
        started = time.monotonic()
        await client.get(f"{server.url}/nowhere")
        assert time.monotonic() - started >= 0.05


async def test_reset_returns_to_the_seeded_state(shop: tuple[Shop, httpx.AsyncClient]) -> None:
    simulator, client = shop
    simulator.account.data["items"].clear()
    simulator.fail_next(500, times=3)
    await client.get("/items")
    simulator.reset()
    assert simulator.log == []
    assert simulator.faults.pending == 0
    assert len((await client.get("/items")).json()["items"]) == 2


async def test_a_bug_in_a_handler_is_a_500_and_logged(
    shop: tuple[Shop, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    simulator, client = shop
    simulator.account.data["items"] = None
    answer = await client.get("/items")
    assert answer.status_code == 500
    assert "Shop: GET /items failed" in caplog.text


async def test_tls_with_a_throwaway_certificate_is_verified(fake_clock: FakeClock) -> None:
    simulator = Shop(clock=fake_clock)
    async with SimulatorServer(simulator, tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        async with httpx.AsyncClient(verify=server.verify) as client:
            answer = await client.get(
                f"{server.url}/items", headers={"Authorization": f"Bearer {KEY}"}
            )
            assert answer.is_success
        async with httpx.AsyncClient() as untrusting:
            with pytest.raises(httpx.ConnectError):
                await untrusting.get(f"{server.url}/items")


def test_a_simulator_runs_in_a_process_of_its_own() -> None:
    with SimulatorProcess("tests.sdk.test_simulator:Shop") as process:
        assert process.url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{process.url}/items", headers={"Authorization": f"Bearer {KEY}"})
        assert answer.json()["items"][0]["sku"] == "A-1"
        served = httpx.get(f"{process.url}/_simulator/log").json()
        assert [row["endpoint"] for row in served] == ["list_items"]
        assert httpx.post(f"{process.url}/_simulator/reset").status_code == 204
        assert httpx.get(f"{process.url}/_simulator/log").json() == []


def test_endpoints_are_collected_from_the_class_and_its_bases() -> None:
    class BiggerShop(Shop):
        @endpoint("GET", "/health", auth=False)
        async def health(self, call: Call) -> Any:
            """Always fine."""
            return {"ok": True}

    names = [e.name for e in BiggerShop.endpoints]
    assert names == [e.name for e in Shop.endpoints] + ["health"]
    assert BiggerShop.endpoints[-1].summary == "Always fine."


def test_a_connector_names_its_simulator_and_loads_it_on_demand() -> None:
    class WithSimulator(Connector):
        name = "shop"
        simulator = "tests.sdk.test_simulator:Shop"

    class WithoutSimulator(Connector):
        name = "plain"

    class Broken(Connector):
        name = "broken"
        simulator = "tests.sdk.test_simulator:NoSuchSimulator"

    assert WithSimulator.load_simulator() is Shop
    assert WithoutSimulator.load_simulator() is None
    with pytest.raises(ImportError, match=r"Broken\.simulator is .*NoSuchSimulator"):
        Broken.load_simulator()


class PathKeyed(Simulator):
    """Credentials in the URL path (as Slack's incoming webhooks), and refusals by endpoint."""

    name = "path-keyed"

    def seed(self) -> None:
        self.add_account(SimAccount("hook-1", secrets={"hook": "s3cr3t-path"}))

    def authenticate(self, request: Any, endpoint: Any, path_params: Any) -> SimAccount:
        found = self.find_account(hook=path_params.get("hook", ""))
        if found is None:
            raise Refusal("unauthorized", "no such hook")
        return found

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        return Reply(f"{refusal.endpoint}:{refusal.kind}", status=refusal.status)

    @endpoint("POST", "/hooks/{hook}")
    async def post_hook(self, call: Call) -> Any:
        """Take a post."""
        return Reply("ok", content_type="text/plain")


async def test_a_simulator_may_read_credentials_from_the_path(fake_clock: FakeClock) -> None:
    simulator = PathKeyed(clock=fake_clock)
    async with SimulatorServer(simulator) as server, httpx.AsyncClient() as client:
        good = await client.post(f"{server.url}/hooks/s3cr3t-path", content=b"x")
        bad = await client.post(f"{server.url}/hooks/guess", content=b"x")
        simulator.refuse_next(Refusal("rate_limited", "slow down", retry_after=3))
        faulted = await client.post(f"{server.url}/hooks/s3cr3t-path", content=b"x")
    assert (good.status_code, good.text) == (200, "ok")
    assert simulator.log[0].account == "hook-1"
    assert (bad.status_code, bad.text) == (401, "post_hook:unauthorized")
    assert (faulted.status_code, faulted.text) == (429, "post_hook:rate_limited"), (
        "an injected fault is rendered knowing its endpoint"
    )


async def test_a_connectors_ca_file_is_trusted_besides_the_systems(
    fake_clock: FakeClock, tmp_path: Any
) -> None:
    """`ca_file` in a connector's table: the hub's client trusts that CA (the sandbox's)."""

    class Plain(Connector):
        name = "plain"

    simulator = Shop(clock=fake_clock)
    async with SimulatorServer(simulator, tls=True, cert_dir=tmp_path) as server:
        assert server.certificate is not None
        trusting = ConnectorConfig(ca_file=str(server.certificate.cert_file))
        async with connector_http_client(Plain, trusting) as client:
            answer = await client.get(
                f"{server.url}/items", headers={"Authorization": f"Bearer {KEY}"}
            )
        assert answer.status_code == 200
        async with connector_http_client(Plain, ConnectorConfig()) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"{server.url}/items")
    with pytest.raises(ConfigError, match="ca_file"):
        connector_http_client(Plain, ConnectorConfig(ca_file=str(tmp_path / "missing.pem")))
