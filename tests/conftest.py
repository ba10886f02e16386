"""Shared fixtures: a small in-test connector, so core tests need no real vendor."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from handoff_sdk import ApiKeyAuth, Connector, ConnectorConfig, SecretSpec, hookimpl
from handoff_sdk.entities import Account, Firmographics, Visitor


class EchoConfig(ConnectorConfig):
    """Config of the test connector."""

    base_url: str = "https://echo.example.test"


class EchoConnector(Connector):
    """A connector whose API is an httpx.MockTransport in the tests."""

    name = "echo"
    title = "Echo"
    config_model = EchoConfig
    secrets = (SecretSpec(name="api_key", description="Key for the echo API."),)

    def build_auth(self) -> httpx.Auth:
        return ApiKeyAuth(self.secret_store, "api_key", header="X-Key")

    @hookimpl
    async def handoff_match_account(
        self, email_domain: str | None, website: str | None
    ) -> Account | None:
        assert isinstance(self.config, EchoConfig)
        body = await self.request_json(
            "GET", f"{self.config.base_url}/accounts", params={"domain": email_domain or website}
        )
        return Account(name=body["name"], ids={"echo": body["id"]}) if body else None

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        return Firmographics(source="echo", company_name=f"Company of {visitor.ip}")


class BrokenEnricher(Connector):
    """Always fails: the hub must isolate it."""

    name = "broken"

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        raise httpx.ConnectError("connection refused")


@pytest.fixture
def echo_classes() -> dict[str, type[Connector]]:
    return {"echo": EchoConnector, "broken": BrokenEnricher}


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real keyring, no real env secrets, a private working folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HANDOFF_SECRETS_BACKEND", "file")
    monkeypatch.delenv("HANDOFF_CONFIG", raising=False)
    for key in list(os.environ):
        if key.startswith("HANDOFF_") and key not in ("HANDOFF_SECRETS_BACKEND",):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path
