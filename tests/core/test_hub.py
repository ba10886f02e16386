"""Plugin loading and the hub's one call site: isolation, one named connector, all of them."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from importlib.metadata import EntryPoint

import httpx
import pytest

from handoff.config import ConnectorSettings, HubConfig
from handoff.errors import ConfigFileError, HandoffError, UnknownConnectorError
from handoff.hub import HookAnswerError, Hub
from handoff.plugins import Discovery, PluginWarning, discover
from handoff.runtime import JobSpec
from handoff_sdk import Connector, FakeClock, hookimpl, hookspecs
from handoff_sdk.entities import Firmographics, User, Visitor
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
        account = await hub.match_account("echo", email_domain="acme.example", website=None)
        assert account is not None
        assert account.ids == {"echo": "A-1"}
        assert await hub.match_account("echo", email_domain=None, website="none.example") is None


async def test_call_all_isolates_a_failing_connector(
    echo_classes: dict[str, type[Connector]],
) -> None:
    async with make_hub(echo_classes, ["echo", "broken"]) as hub:
        outcomes = await hub.enrich_visitor_all(Visitor(id="v1", ip="192.0.2.1"))
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
            await hub.enrich_visitor("broken", Visitor(id="v"))


async def test_unimplemented_and_unknown_hooks_are_clear(
    echo_classes: dict[str, type[Connector]],
) -> None:
    async with make_hub(echo_classes, ["broken"]) as hub:
        with pytest.raises(HandoffError, match="does not implement handoff_match_account"):
            await hub.match_account("broken", email_domain=None, website=None)
        with pytest.raises(HandoffError, match="no such capability hook"):
            await hub.call("broken", "handoff_match_acount")


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


class WrongAnswer(Connector):
    """Answers the enrichment hook with something that is not firmographics."""

    name = "wrong"

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        return "Acme"  # type: ignore[return-value]


class Buggy(Connector):
    """Has a bug of its own: not an outside system's failure."""

    name = "buggy"

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        raise ValueError("a bug in the connector")


class Directory(Connector):
    """A CRM's users: the Pooled Sales User, and a deactivated user who kept the same email."""

    name = "directory"

    asked: list[tuple[list[str], list[str]]]

    @hookimpl
    async def handoff_find_users(
        self, user_ids: Sequence[str], emails: Sequence[str]
    ) -> list[User]:
        type(self).asked.append((list(user_ids), list(emails)))
        users = [
            User(ids={"directory": "005-old"}, name="Old Pool", email="pool@x.test", active=False),
            User(ids={"directory": "005-new"}, name="Pooled Sales User", email="pool@x.test"),
        ]
        return [u for u in users if u.email in emails or u.ids["directory"] in user_ids]


def plain_hub(classes: dict[str, type[Connector]]) -> Hub:
    config = HubConfig(connectors={n: ConnectorSettings() for n in classes})
    return Hub(config, secrets=DictSecrets, discovery=discovery_of(classes), clock=FakeClock())


async def test_an_answer_of_the_wrong_type_is_the_connectors_failure_named() -> None:
    async with plain_hub({"wrong": WrongAnswer}) as hub:
        with pytest.raises(HookAnswerError, match="wrong: handoff_enrich_visitor answered a str"):
            await hub.enrich_visitor("wrong", Visitor(id="v"))
        [outcome] = await hub.enrich_visitor_all(Visitor(id="v"))
    assert not outcome.ok
    assert isinstance(outcome.error, HookAnswerError)


async def test_call_all_isolates_outside_failures_but_raises_bugs() -> None:
    async with plain_hub({"buggy": Buggy}) as hub:
        with pytest.raises(ValueError, match="a bug in the connector"):
            await hub.enrich_visitor_all(Visitor(id="v"))


async def test_find_user_is_one_question_of_the_one_user_lookup() -> None:
    """P1, P4: hub.find_user asks handoff_find_users by email and takes the active user."""
    Directory.asked = []
    async with plain_hub({"directory": Directory}) as hub:
        user = await hub.find_user("directory", email=" Pool@X.test ")
        assert await hub.find_user("directory", email="nobody@x.test") is None
        assert await hub.find_user("directory", email="not an email") is None
        both = await hub.find_users("directory", user_ids=["005-old", "005-new"])
    assert user is not None
    assert user.id_in("directory") == "005-new"
    assert Directory.asked == [
        ([], ["pool@x.test"]),
        ([], ["nobody@x.test"]),
        (["005-old", "005-new"], []),
    ]
    assert [u.active for u in both] == [False, True]
    assert "handoff_find_user" not in hookspecs.CAPABILITY_HOOKS


def test_every_capability_has_a_typed_method_matching_its_spec() -> None:
    """The front door: hub.<hook without its prefix>(connector, ...) with the spec's parameters."""
    for hook in hookspecs.CAPABILITY_HOOKS:
        method = getattr(Hub, hook.removeprefix("handoff_"), None)
        assert method is not None, f"Hub has no typed method for {hook}"
        spec = inspect.signature(getattr(hookspecs, hook))
        typed = inspect.signature(method)
        assert list(typed.parameters)[:2] == ["self", "connector"], hook
        assert list(typed.parameters)[2:] == list(spec.parameters), hook
        for name, parameter in spec.parameters.items():
            assert typed.parameters[name].annotation == parameter.annotation, (hook, name)
        assert typed.return_annotation == spec.return_annotation, hook


def test_write_hooks_are_those_taking_an_idempotency_key() -> None:
    takes_key = {
        hook
        for hook in hookspecs.CAPABILITY_HOOKS
        if "idempotency_key" in inspect.signature(getattr(hookspecs, hook)).parameters
    }
    assert takes_key == hookspecs.WRITE_HOOKS
    assert "handoff_update_contacts" in hookspecs.WRITE_HOOKS
    assert "handoff_find_person" not in hookspecs.WRITE_HOOKS


async def test_hub_call_and_jobspec_call_take_connector_then_hook(
    echo_classes: dict[str, type[Connector]],
) -> None:
    async with make_hub(echo_classes, ["echo"]) as hub:
        account = await hub.call(
            "echo", "handoff_match_account", email_domain="acme.example", website=None
        )
    assert account is not None
    job = JobSpec.call("salesforce", "handoff_upsert_leads", "k", leads=[])
    assert (job.connector, job.hook) == ("salesforce", "handoff_upsert_leads")
    assert list(inspect.signature(Hub.call).parameters)[1:3] == ["connector", "hook"]
    assert list(inspect.signature(JobSpec.call).parameters)[:2] == ["connector", "hook"]
