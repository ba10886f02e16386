"""`Connector[MyConfig]`: the config model as a type parameter, typing `self.config`.

SDK plumbing, no business rule: a connector names its config model once, as the
type parameter, and gets `config_model` set from it and `self.config` typed as
it. The older spelling (bare `Connector` plus `config_model = ...`) keeps
working; a parameter and an explicit `config_model` that disagree are refused
when the class is defined, naming it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import httpx
import pytest

from handoff_sdk import Connector, ConnectorConfig, FakeClock
from handoff_sdk.secrets import DictSecrets


class AcmeConfig(ConnectorConfig):
    base_url: str = "https://api.acme.example.test"


class OtherConfig(ConnectorConfig):
    region: str = "eu"


class AcmeConfigWithTenant(AcmeConfig):
    tenant: str = "t1"


class TypedConnector(Connector[AcmeConfig]):
    name = "typed"

    def accounts_url(self) -> str:
        # Type-checks without a cast: self.config is AcmeConfig here.
        return f"{self.config.base_url}/v1/accounts"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def build(cls: type[Connector], config: ConnectorConfig, http: httpx.AsyncClient) -> Connector:
    return cls(config=config, secrets=DictSecrets(cls.name, {}), http=http, clock=FakeClock())


def test_config_model_is_inferred_from_the_type_parameter() -> None:
    assert TypedConnector.config_model is AcmeConfig
    assert Connector.config_model is ConnectorConfig


async def test_self_config_is_the_validated_model(http: httpx.AsyncClient) -> None:
    connector = TypedConnector(
        config=AcmeConfig.model_validate({"base_url": "https://x.example.test"}),
        secrets=DictSecrets("typed", {}),
        http=http,
        clock=FakeClock(),
    )
    assert isinstance(connector.config, AcmeConfig)
    assert connector.accounts_url() == "https://x.example.test/v1/accounts"


def test_the_inferred_model_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="base_ur"):
        TypedConnector.config_model.model_validate({"base_ur": "https://x.example.test"})


async def test_an_explicit_config_model_on_a_bare_connector_still_works(
    http: httpx.AsyncClient,
) -> None:
    class Explicit(Connector):
        name = "explicit"
        config_model = AcmeConfig

    assert Explicit.config_model is AcmeConfig
    connector = build(Explicit, AcmeConfig(), http)
    assert isinstance(connector.config, AcmeConfig)


def test_an_explicit_config_model_equal_to_the_parameter_is_allowed() -> None:
    class Both(Connector[AcmeConfig]):
        name = "both"
        config_model = AcmeConfig

    assert Both.config_model is AcmeConfig


def test_a_config_model_that_contradicts_the_parameter_is_refused_naming_the_class() -> None:
    with pytest.raises(TypeError) as info:

        class Conflicting(Connector[AcmeConfig]):
            name = "conflicting"
            config_model = OtherConfig

    message = str(info.value)
    assert f"{__name__}." in message
    assert "Conflicting.config_model is OtherConfig" in message
    assert "AcmeConfig" in message


def test_even_a_subclass_of_the_parameter_is_refused_as_config_model() -> None:
    with pytest.raises(TypeError, match=r"Narrower\.config_model is AcmeConfigWithTenant"):

        class Narrower(Connector[AcmeConfig]):
            name = "narrower"
            config_model = AcmeConfigWithTenant


async def test_a_plain_connector_still_takes_a_connector_config(
    http: httpx.AsyncClient,
) -> None:
    class Plain(Connector):
        name = "plain"

    assert Plain.config_model is ConnectorConfig
    assert isinstance(build(Plain, ConnectorConfig(), http).config, ConnectorConfig)
    # The base model accepts any connector's config, as it did before.
    assert isinstance(build(Plain, AcmeConfig(), http).config, AcmeConfig)


async def test_a_config_of_another_model_is_refused_naming_the_class(
    http: httpx.AsyncClient,
) -> None:
    with pytest.raises(
        TypeError, match=r"TypedConnector: config must be of model AcmeConfig, got OtherConfig"
    ):
        build(TypedConnector, OtherConfig(), http)


def test_a_subclass_inherits_the_model_and_may_narrow_it() -> None:
    class Child(TypedConnector):
        name = "child"

    class Narrowed(TypedConnector):
        name = "narrowed"
        config_model = AcmeConfigWithTenant

    assert Child.config_model is AcmeConfig
    assert Narrowed.config_model is AcmeConfigWithTenant


def test_a_subclass_may_not_swap_in_an_unrelated_model() -> None:
    with pytest.raises(TypeError, match=r"Swapped\.config_model is OtherConfig .*AcmeConfig"):

        class Swapped(TypedConnector):
            name = "swapped"
            config_model = OtherConfig


C = TypeVar("C", bound=ConnectorConfig)


def test_a_generic_intermediate_base_passes_its_parameter_through() -> None:
    class SharedBase(Connector[C]):
        """E.g. one OAuth flow shared by several connectors."""

    class Concrete(SharedBase[AcmeConfig]):
        name = "concrete"

    assert SharedBase.config_model is ConnectorConfig
    assert Concrete.config_model is AcmeConfig


def test_a_parameter_that_is_not_a_connector_config_is_refused() -> None:
    with pytest.raises(TypeError, match=r"NotAConfig is declared with config type int"):

        class NotAConfig(Connector[int]):  # type: ignore[type-var]
            name = "not-a-config"
