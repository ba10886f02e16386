"""Q1: the lead engineer's demo, replayed from cassettes/6sense/demo.yaml.

The demo enriches six visitors, in this order, with `handoff_enrich_visitor`,
using exactly the config and secrets below (the default base URL,
https://epsilon.6sense.com).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handoff_6sense import DEFAULT_BASE_URL, SixsenseConnector

from handoff_sdk.entities import Firmographics, Visitor
from handoff_sdk.testing.harness import Harness

DEMO_CONFIG: dict[str, Any] = {}
DEMO_SECRETS: dict[str, str] = {"api_key": "synthetic-demo-key"}

DEMO_VISITORS: list[tuple[str, dict[str, Any] | None]] = [
    (
        "203.0.113.10",
        {
            "company_name": "Northwind Traders",
            "domain": "northwind.example",
            "industry": "Software",
            "employee_count": 1200,
            "country": "United States",
            "buying_stage": "Decision",
            "segment": "Enterprise Target",
        },
    ),
    (
        "198.51.100.22",
        {
            "company_name": "Contoso Public Sector Agency",
            "domain": "contoso-gov.example",
            "industry": "Government",
            "employee_count": 5000,
            "country": "United States",
        },
    ),
    (
        "192.0.2.33",
        {
            "company_name": "Fabrikam GmbH",
            "domain": "fabrikam.example",
            "industry": "Manufacturing",
            "employee_count": 300,
            "country": "Germany",
        },
    ),
    (
        "203.0.113.44",
        {
            "company_name": "Tailspin Toys",
            "domain": "tailspin.example",
            "industry": "Retail",
            "employee_count": 80,
            "country": "Japan",
        },
    ),
    ("198.51.100.55", None),  # residential IP: 6sense has no actionable company
    (
        "192.0.2.66",
        {
            "company_name": "Adventure Works",
            "domain": "adventure-works.example",
            "industry": "Consumer Goods",
            "employee_count": 650,
            "country": "United States",
        },
    ),
]


async def test_q1_demo_visitors_are_enriched_in_order(
    connector_harness: Callable[..., Harness],
) -> None:
    harness = connector_harness(
        SixsenseConnector, config=DEMO_CONFIG, secrets=DEMO_SECRETS, cassette="demo"
    )
    connector = harness.connector
    assert isinstance(connector, SixsenseConnector)
    results: list[Firmographics | None] = []
    for n, (ip, _) in enumerate(DEMO_VISITORS, start=1):
        results.append(await connector.handoff_enrich_visitor(Visitor(id=f"demo-{n}", ip=ip)))

    for (ip, expected), firm in zip(DEMO_VISITORS, results, strict=True):
        if expected is None:
            assert firm is None, ip
            continue
        assert firm is not None, ip
        assert firm.source == "6sense"
        assert firm.company_name == expected["company_name"]
        assert firm.domain == expected["domain"]
        assert firm.industry == expected["industry"]
        assert firm.employee_count == expected["employee_count"]
        assert firm.country == expected["country"]
        if "buying_stage" in expected:
            assert firm.buying_stage == expected["buying_stage"]
        if "segment" in expected:
            assert expected["segment"] in firm.segments

    sent = harness.sent()
    assert [r.url.params["ip"] for r in sent] == [ip for ip, _ in DEMO_VISITORS]
    assert all(str(r.url).startswith(DEFAULT_BASE_URL + "/v3/company/details?") for r in sent)
    assert all(r.headers["Authorization"] == "Token synthetic-demo-key" for r in sent)
    assert harness.api_calls == 6
    assert harness.clock.sleeps == []
