"""The config model: what ops writes under [connectors.marketo]."""

from __future__ import annotations

import httpx
import pydantic
import pytest
from handoff_marketo import MarketoConfig, MarketoConnector

from handoff_sdk.testing.harness import build_harness


@pytest.mark.parametrize(
    "given",
    [
        "https://123-ABC-456.mktorest.example.test",
        "https://123-ABC-456.mktorest.example.test/",
        "https://123-ABC-456.mktorest.example.test/rest",
        "https://123-ABC-456.mktorest.example.test/identity/",
    ],
)
def test_base_url_is_the_instance_root(given) -> None:
    config = MarketoConfig(base_url=given, client_id="c")
    assert config.base_url == "https://123-ABC-456.mktorest.example.test"


@pytest.mark.parametrize(
    "given",
    ["http://123-abc-456.mktorest.example.test", "mktorest", "https://x.example.test/api/v2"],
)
def test_base_url_must_be_an_https_instance_root(given) -> None:
    with pytest.raises(pydantic.ValidationError, match="base_url"):
        MarketoConfig(base_url=given, client_id="c")


def test_defaults() -> None:
    config = MarketoConfig(base_url="https://m.example.test", client_id="c")
    assert config.lookup_field == "email"
    assert config.used_with_qualified_only is True  # Q13 filter on, as in the playbook
    assert config.activity_type_ids == [46]
    assert config.partition_name is None


def test_at_most_ten_activity_types() -> None:
    with pytest.raises(pydantic.ValidationError, match="activity_type_ids"):
        MarketoConfig(
            base_url="https://m.example.test", client_id="c", activity_type_ids=list(range(1, 12))
        )


def test_budget_is_100_calls_per_20_seconds_and_10_at_once() -> None:
    limit = MarketoConnector.default_rate_limit
    assert (limit.requests, limit.per_seconds, limit.concurrency) == (100, 20, 10)


async def test_the_101st_call_in_20_seconds_waits_for_the_window(fake_clock) -> None:
    def ok(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/identity/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        return httpx.Response(200, json={"success": True, "result": []})

    harness = build_harness(
        MarketoConnector,
        transport=httpx.MockTransport(ok),
        config={"base_url": "https://m.example.test", "client_id": "c"},
        secrets={"client_secret": "s"},
        clock=fake_clock,
    )
    for _ in range(101):
        await harness.connector.request("GET", "https://m.example.test/rest/v1/activities.json")
    await harness.aclose()
    assert harness.api_calls == 101
    assert harness.connector.budget.waited == pytest.approx(20.0)


def test_only_the_client_secret_is_secret() -> None:
    config = MarketoConfig(base_url="https://m.example.test", client_id="c")
    assert MarketoConnector.required_secrets(config) == ["client_secret"]
    assert "client_id" in MarketoConfig.model_fields
