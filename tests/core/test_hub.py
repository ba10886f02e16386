"""Plugin loading and the hub's one call site: isolation, one named connector, all of them."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import httpx
import pytest

from handoff.config import ConnectorSettings, HubConfig
from handoff.errors import ConfigFileError, HandoffError, UnknownConnectorError
from handoff.hub import Hub
from handoff.plugins import Discovery, PluginWarning, discover
from handoff_sdk import Connector, FakeClock
from handoff_sdk.entities import Visitor
from handoff_sdk.secrets import DictSecrets


def discovery_of(classes: dict[str, type[Connector]]) -> Discovery:
    return Discovery(connectors=classes, packages=dict.fromkeys(classes, "test"))


def echo_api(request: httpx.Request) -> httpx.Response:
    assert request.headers["X-Key"] == "k"
    if request.url.params["domain"] == "acme.example":
        return httpx.Response(200, json={"id": "A-1", "name": "Acme"})
    return httpx.Response(200, content=b"null")


def make_hub(classes: dict[str, type[Connector]], enabled: list[str]) -> Hub:
    config = HubConfig(connectors={n: ConnectorSettings() for n in enabled})
    return Hub(
        config,
        secrets=lambda name: DictSecrets(name, {"api_key": "k"}),
        transport=lambda name: httpx.MockTransport(echo_api),
        discovery=discovery_of(classes),
        clock=FakeClock(),
    )


async def test_call_one_named_connector(echo_classes: dict[str, type[Connector]]) -> None:
    async with make_hub(echo_classes, ["echo"]) as hub:
        account = await hub.call(
            "handoff_match_account", "echo", email_domain="acme.example", website=None
        )
        assert account is not None
        assert account.ids == {"echo": "A-1"}
        assert (
            await hub.call(
                "handoff_match_account", "echo", email_domain=None, website="none.example"
            )
            is None
        )


async def test_call_all_isolates_a_failing_connector(
    echo_classes: dict[str, type[Connector]],
) -> None:
    async with make_hub(echo_classes, ["echo", "broken"]) as hub:
        outcomes = await hub.call_all(
            "handoff_enrich_visitor", visitor=Visitor(id="v1", ip="192.0.2.1")
        )
    by_name = {o.connector: o for o in outcomes}
    assert by_name["echo"].ok
    assert by_name["echo"].value.company_name == "Company of 192.0.2.1"
    assert not by_name["broken"].ok
    assert isinstance(by_name["broken"].error, httpx.ConnectError)


async def test_only_enabled_connectors_are_built(echo_classes: dict[str, type[Connector]]) -> None:
    async with make_hub(echo_classes, ["echo"]) as hub:
        assert list(hub.connectors) == ["echo"]
        assert hub.implementing("handoff_enrich_visitor") == ["echo"]
        with pytest.raises(UnknownConnectorError, match="broken"):
            await hub.call("handoff_enrich_visitor", "broken", visitor=Visitor(id="v"))


async def test_unimplemented_and_unknown_hooks_are_clear(
    echo_classes: dict[str, type[Connector]],
) -> None:
    async with make_hub(echo_classes, ["broken"]) as hub:
        with pytest.raises(HandoffError, match="does not implement handoff_match_account"):
            await hub.call("handoff_match_account", "broken", email_domain=None, website=None)
        with pytest.raises(HandoffError, match="no such capability hook"):
            await hub.call("handoff_match_acount", "broken")


def test_bad_connector_config_stops_the_hub_with_the_field(
    echo_classes: dict[str, type[Connector]],
) -> None:
    config = HubConfig(connectors={"echo": ConnectorSettings(settings={"base_url": 5})})
    with pytest.raises(ConfigFileError, match=r"connectors\.echo\.base_url"):
        Hub(config, secrets=DictSecrets, discovery=discovery_of(echo_classes))


def test_a_plugin_that_fails_to_import_warns_and_is_skipped() -> None:
    eps = [
        EntryPoint("ghost", "handoff_no_such_module.plugin", "handoff"),
        EntryPoint("json", "json", "handoff"),
    ]
    with pytest.warns(PluginWarning) as caught:
        found = discover(eps)
    messages = [str(w.message) for w in caught]
    assert any(
        m.startswith("plugin 'ghost'") and "failed to load and was skipped" in m for m in messages
    )
    assert any("module 'json' has no attribute 'handoff_connectors'" in m for m in messages)
    assert found.connectors == {}
    assert len(found.problems) == 2


def test_installed_connectors_are_discovered() -> None:
    found = discover()
    assert {"salesforce", "6sense"} <= set(found.connectors), found.problems
