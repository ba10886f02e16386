"""Recording cassettes from a live API (here a simulator): real waits, and no cassette of failures.

Each test runs a connector author's test file with `--record-cassettes`
(pytester, in process) against a simulator on a loopback port, the way an
author records from a vendor's sandbox.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from handoff_sdk.testing import (
    ApiKey,
    Call,
    SimAccount,
    Simulator,
    SimulatorServer,
    endpoint,
    find_secrets_in_file,
)

pytest_plugins = ["pytester"]

LIVE_KEY = "live-key-0123456789abcdef"

AUTHOR_TEST = """
import os
from typing import Any

import httpx
from handoff_sdk import ApiKeyAuth, Connector, ConnectorConfig, RetryPolicy, SecretSpec
from handoff_sdk.testing import HarnessFactory


class ShopConfig(ConnectorConfig):
    base_url: str


class Shop(Connector[ShopConfig]):
    name = "shop"
    secret_specs = (SecretSpec(name="api_key", description="The shop's key."),)
    retry_policy = RetryPolicy(attempts=5, base_seconds=0.01)  # short backoffs: real waits here

    def build_auth(self) -> httpx.Auth:
        return ApiKeyAuth(self.secret_store, "api_key", prefix="Bearer ")

    async def items(self) -> Any:
        return await self.request_json("GET", f"{self.config.base_url}/items")


async def test_items(connector_harness: HarnessFactory) -> None:
    harness = connector_harness(
        Shop,
        config={"base_url": os.environ["SHOP_URL"]},
        secrets={"api_key": "synthetic-key"},
        cassette="items",
    )
    assert (await harness.connector.items())["items"] == [{"sku": "A-1"}]
"""


class LiveShop(Simulator):
    """The 'live' API the author records from."""

    name = "shop"
    auth = ApiKey("api_key")

    def seed(self) -> None:
        self.add_account(SimAccount("shop-1", secrets={"api_key": LIVE_KEY}))

    @endpoint("GET", "/items")
    async def items(self, call: Call) -> Any:
        """The shop's items."""
        return {"items": [{"sku": "A-1"}]}


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveShop]:
    shop = LiveShop()
    with SimulatorServer(shop) as server:
        monkeypatch.setenv("SHOP_URL", server.url)
        monkeypatch.setenv("HANDOFF_SHOP_API_KEY", LIVE_KEY)
        yield shop


@pytest.fixture
def author(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_shop=AUTHOR_TEST)
    return pytester


def test_a_429_while_recording_is_waited_out_in_real_time(
    author: pytest.Pytester, live: LiveShop
) -> None:
    live.fail_next(429, body="Too Many Requests", headers={"Retry-After": "0.4"})
    started = time.monotonic()
    result = author.runpytest("--record-cassettes", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    first, second = live.log
    assert second.started - first.finished >= 0.4, "the live API was not hammered"
    assert time.monotonic() - started >= 0.4
    cassette = author.path / "cassettes" / "shop" / "items.yaml"
    statuses = [
        i["response"]["status"]["code"]
        for i in yaml.safe_load(cassette.read_text())["interactions"]
    ]
    assert statuses == [429, 200]
    assert LIVE_KEY not in cassette.read_text()
    assert find_secrets_in_file(cassette) == []
    replay = author.runpytest("-p", "no:cacheprovider")
    replay.assert_outcomes(passed=1)


def test_a_recording_that_ends_in_errors_leaves_no_cassette(
    author: pytest.Pytester, live: LiveShop
) -> None:
    live.fail_next(429, body="Too Many Requests", headers={"Retry-After": "0.01"}, times=5)
    result = author.runpytest("--record-cassettes", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert len(live.log) == 5, "five tries, each after its Retry-After"
    assert not (author.path / "cassettes" / "shop" / "items.yaml").exists()


def test_a_recording_whose_last_answer_is_a_5xx_is_not_kept_even_if_the_test_passed(
    author: pytest.Pytester, live: LiveShop
) -> None:
    author.makepyfile(
        test_shop=AUTHOR_TEST.replace(
            'assert (await harness.connector.items())["items"] == [{"sku": "A-1"}]',
            "import pytest\n    from handoff_sdk import ApiError\n"
            "    with pytest.raises(ApiError):\n        await harness.connector.items()",
        )
    )
    live.fail_next(503, body="down", times=5)
    result = author.runpytest("--record-cassettes", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (author.path / "cassettes" / "shop" / "items.yaml").exists()
