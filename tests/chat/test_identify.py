"""Q1 on the runtime: enrich from every enricher, match the CRM, explain each step."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from handoff.chat.identify import IdentifyVisitors
from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.store.models import EventRecord
from handoff_sdk import Connector, FakeClock
from handoff_sdk.secrets import DictSecrets


def api(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": "A-9", "name": "Acme"})


def page_view(**extra: str) -> EventRecord:
    payload = {"visitor_id": "v-9", "ip": "192.0.2.9", "url": "https://x.example.test/", **extra}
    return EventRecord(
        id=9,
        type="hub.page_view",
        source="hub",
        dedupe_key="pv-9",
        payload=payload,
        received_at=datetime.now(UTC),
    )


def hub_of(classes: dict[str, type[Connector]]) -> Hub:
    return Hub(
        HubConfig(connectors={n: ConnectorSettings() for n in classes}),
        secrets=lambda n: DictSecrets(n, {"api_key": "k"}),
        transport=lambda n: httpx.MockTransport(api),
        discovery=Discovery(connectors=classes, packages=dict.fromkeys(classes, "t")),
        clock=FakeClock(),
    )


async def test_q1_a_failing_enricher_is_explained_not_fatal(
    echo_classes: dict[str, type[Connector]],
) -> None:
    async with hub_of(echo_classes) as hub:
        context = await IdentifyVisitors(crm="echo").enrich(
            hub, page_view(email="ana@acme.example")
        )
    steps = context["steps"]
    assert any(s.startswith("broken: enrichment failed") for s in steps)
    assert "echo: IP 192.0.2.9 is Company of 192.0.2.9 (None)" in steps
    assert "echo: email domain acme.example matches account Acme" in steps
    assert context["account"]["ids"] == {"echo": "A-9"}


async def test_q1_nothing_to_match_on_is_said(echo_classes: dict[str, type[Connector]]) -> None:
    async with hub_of({"broken": echo_classes["broken"]}) as hub:
        context = await IdentifyVisitors().enrich(hub, page_view())
    assert context["account"] is None
    assert "no CRM connector is enabled: account not matched" in context["steps"]


async def test_other_events_are_left_alone(echo_classes: dict[str, type[Connector]]) -> None:
    event = page_view()
    event.type = "hub.form_submission"
    async with hub_of(echo_classes) as hub:
        assert await IdentifyVisitors().enrich(hub, event) == {}
