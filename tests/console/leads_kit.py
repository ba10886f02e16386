"""Sample leads for the console's lead pages (`from leads_kit import ...`), made as people make
them: forms, activities, touches and Soft-BANT posted to the hub's API, decided by its worker.

- kim@acme.example (ana's, EMEA): Raw -> Open (assigned), Attempt 1, Progressing (a reply),
  Qualified (Soft-BANT: budget and need); score 21 = senior-title 10 + 3 page views + a
  webinar 8: MQL (threshold 20).
- lou@globex.example (bo's, NA): Raw -> Open; one page view, score 1.
- mia@initech.example (ana's, EMEA): Raw -> Open; nothing else yet.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from handoff.api_keys import create_key
from handoff.config import HubConfig
from handoff.flows import FlowSet
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

LEADS: dict[str, Any] = {
    "crm": None,
    "marketing": None,
    "sources": [
        {"id": "contact-sales", "forms": ["contact-sales"], "lead_source": "Contact Sales"}
    ],
    "assignment": {
        "reps": [
            {"id": "ana", "name": "Ana Ruiz", "email": "ana@hub.example"},
            {"id": "bo", "name": "Bo Lind", "email": "bo@hub.example"},
        ],
        "teams": [
            {"name": "bdr-emea", "members": ["ana"]},
            {"name": "bdr-na", "members": ["bo"]},
        ],
        "regions": {"EMEA": ["Germany", "France"]},
        "rules": [
            {
                "id": "emea",
                "rule_ids": ["D2"],
                "when": {"field": "lead.region", "equals": "EMEA"},
                "assign": "team:bdr-emea",
            },
            {"id": "na", "rule_ids": ["D2"], "assign": "team:bdr-na"},
        ],
    },
    "scoring": {
        "threshold": 20,
        "behaviour": [
            {"kind": "page_view", "points": 1, "cap": 5},
            {"kind": "webinar", "points": 8},
        ],
        "demographic": [
            {
                "id": "senior-title",
                "when": {"field": "lead.title", "contains": ["VP", "Director"]},
                "points": 10,
            }
        ],
    },
}
"""The `[leads]` table of the samples."""

PEOPLE = (
    ("kim@acme.example", "Kim", "Lee", "Acme", "VP Engineering", "Germany"),
    ("lou@globex.example", "Lou", "Park", "Globex", "Engineer", "United States"),
    ("mia@initech.example", "Mia", "Roux", "Initech", "Developer", "France"),
)


def leads_config(**tables: Any) -> HubConfig:
    """The hub's configuration with the sample `[leads]` (and any other tables given)."""
    return HubConfig(leads=LEADS, **tables)


async def _drain(worker: Worker) -> None:
    for _ in range(50):
        if await worker.run_once() == 0:
            return
    raise AssertionError("the worker never ran out of work")


async def seed_leads(store: Store, clock: FakeClock, config: HubConfig | None = None) -> None:
    """Post the samples' forms, activities, touches and Soft-BANT to an app of their own on
    `store` and `clock`; run the worker after each (the clock moves 10 minutes each time)."""
    config = config or leads_config()
    app = create_app(store, config=config, clock=clock)
    try:
        await _post_samples(app, store, clock, config)
    finally:
        await app.state.intake.aclose()


async def _post_samples(app: FastAPI, store: Store, clock: FakeClock, config: HubConfig) -> None:
    flows = FlowSet.of(store, clock, config=config)
    worker = Worker(store, clock=clock, events=flows.event_handler(), handlers=flows.job_runners())
    key = create_key(store, "leads-kit", ["admin"], now=clock.now(), actor="test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://hub.test",
        headers={"Authorization": f"Bearer {key.token}"},
    ) as api:

        async def post(path: str, body: dict[str, Any]) -> None:
            answer = await api.post(path, json=body)
            assert answer.status_code in (200, 202), (path, answer.text)
            await _drain(worker)
            clock.advance(timedelta(minutes=10).total_seconds())

        for email, first, last, company, title, country in PEOPLE:
            fields = {
                "first_name": first,
                "last_name": last,
                "company": company,
                "title": title,
                "country": country,
            }
            await post(
                "/v1/form-submissions",
                {
                    "id": f"form-{email}",
                    "form_id": "contact-sales",
                    "email": email,
                    "fields": fields,
                },
            )
        kim = "kim@acme.example"
        for n in range(3):
            await post("/v1/lead-activities", {"id": f"pv-{n}", "email": kim, "kind": "page_view"})
        await post("/v1/lead-activities", {"id": "web-1", "email": kim, "kind": "webinar"})
        await post(
            "/v1/lead-activities",
            {"id": "pv-lou", "email": "lou@globex.example", "kind": "page_view"},
        )
        await post("/v1/lead-touches", {"id": "t-1", "email": kim, "kind": "attempt", "rep": "ana"})
        await post("/v1/lead-touches", {"id": "t-2", "email": kim, "kind": "reply"})
        await post(
            f"/v1/leads/{kim}/bant",
            {"budget": True, "need": True, "timeline": False, "actor": "ana", "id": "bant-1"},
        )
