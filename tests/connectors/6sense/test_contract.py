"""The SDK's connector contract, run against the 6sense connector (rule Q1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from handoff_6sense import SixsenseConnector

from handoff_sdk.entities import Visitor
from handoff_sdk.testing import ConnectorContract, ContractCase


class TestSixsenseContract(ConnectorContract):
    """Q1: 6sense identifies a visitor's company; it must meet the contract like any connector."""

    connector_class = SixsenseConnector
    config: ClassVar[dict[str, Any]] = {
        "base_url": "https://epsilon.6sense.com",
        "requests_per_minute": 100,
    }
    secrets: ClassVar[dict[str, str]] = {"api_key": "synthetic-contract-key"}
    cases: ClassVar[Sequence[ContractCase]] = [
        ContractCase(
            "handoff_enrich_visitor",
            {"visitor": Visitor(id="visitor-contract", ip="203.0.113.77")},
            "enrich_visitor",
        )
    ]
