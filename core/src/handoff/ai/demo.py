"""The AI flow's part of `make demo`: two AI conversations reaching their goals (Q5, Q6, Q4).

It runs after the chat part, on the same store: the visitors the chat part
identified (Q1: their accounts) talk to the AI rep on the GitLab playbook's
AI-first experiences, through the hub's API like the website's widget.

The built-in responder answers from AI Studio's demo site, indexed first.

1. "Connect with us" on the pricing page: the AI asks for a business email
   before anything else, refuses a free-mail one, then answers; the visitor
   asks for a meeting and is offered their account's BDR's free slots
   (working hours only: the demo enables no calendar). They do not pick
   one: the conversation stays "offered, not booked" for AI email (Q16).
2. "I have a question" on the blog: the AI answers at once; the visitor asks
   for a person, gives their email when asked, and is handed to chat routing
   (Q4 AI-first: the BDR of an Actively Working account, else the SDR pool).

Every reply shown went through the rules of engagement (Q6) first. Each
conversation's decisions are printed as `handoff explain` reads them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from handoff.ai.studio.demo import index_demo_site
from handoff.config import load_config
from handoff.demo import DemoHub, DemoRun, Echo, FrozenClock
from handoff.errors import HandoffError
from handoff.store import Store

__all__ = ["DEMO_NOW", "ai_demo"]

DEMO_NOW = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
"""The chat demo's instant: a Tuesday, 10:00 in New York."""

PRESENCE = {"bdr-avery": "online", "sdr-taylor": "online", "sdr-jordan": "online"}
"""The reps the conversations may be handed to, online (PUT /v1/reps/{id}/status)."""


def _config_path() -> Path:
    return Path(str(resources.files("handoff.ai").joinpath("demo_data", "handoff.toml")))


class _Chat:
    """One conversation driven through the API, each exchange printed."""

    def __init__(self, client: httpx.AsyncClient, echo: Echo, conversation_id: str) -> None:
        self.client = client
        self.echo = echo
        self.id = conversation_id
        self.last: dict[str, Any] = {}

    def _show(self, answer: dict[str, Any]) -> None:
        guard = answer.get("guard") or {}
        if guard and not guard.get("allowed"):
            self.echo(f"    [Q6: the draft broke {guard.get('rule')} and was replaced]")
        if answer.get("reply"):
            self.echo(f"    AI: {answer['reply']}")
        goal = answer.get("goal")
        if goal:
            extra = {
                k: goal[k]
                for k in ("rep_id", "rule", "routing_decision_id", "support_url", "meeting_id")
                if goal.get(k) is not None
            }
            details = ", ".join(f"{k} {v}" for k, v in extra.items())
            self.echo(
                f"    => goal {goal['goal']}: {goal['action']}"
                + (f" ({details})" if details else "")
            )
        self.last = answer

    async def _post(self, path: str, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        response = await self.client.post(path, json=body)
        if response.status_code != expect:
            raise HandoffError(f"the hub refused {path}: {response.status_code} {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    async def start(self, experience: str, entry: str, visitor: str, page: str) -> None:
        label = '"Connect with us"' if entry == "connect" else '"I have a question"'
        self.echo(f"\nconversation {self.id}: {visitor} opens {label} on {experience} ({page})")
        body = {
            "id": self.id,
            "experience_id": experience,
            "entry": entry,
            "visitor_id": visitor,
            "page_url": page,
        }
        self._show(await self._post("/v1/ai/conversations", body, 201))

    async def say(self, text: str) -> None:
        self.echo(f"  visitor: {text}")
        self._show(await self._post(f"/v1/ai/conversations/{self.id}/messages", {"text": text}))

    async def email(self, email: str) -> None:
        self.echo(f"  visitor gives the email {email}")
        response = await self.client.post(
            f"/v1/ai/conversations/{self.id}/email", json={"email": email}
        )
        if response.status_code == 422:
            self.echo(f"    refused (422): {response.json()['error']}")
            return
        if response.status_code != 200:
            raise HandoffError(f"the hub refused the email: {response.text}")
        self._show(response.json())

    async def explain(self) -> list[dict[str, Any]]:
        response = await self.client.get(f"/v1/ai/conversations/{self.id}")
        if response.status_code != 200:
            raise HandoffError(f"the hub could not read {self.id}: {response.text}")
        decisions: list[dict[str, Any]] = response.json()["decisions"]
        self.echo(f"  stored about conversation:{self.id} ({len(decisions)} decisions):")
        for decision in decisions:
            outcome = decision["outcome"]
            why = decision.get("why") or {}
            action = outcome.get("action")
            if decision["kind"] == "ai.turn":
                said = decision["explanation"].get("message") or "(opening)"
                text = f'"{said[:50]}" -> reply {action}' + (
                    f" by {outcome['rule']}" if outcome.get("rule") else " (Q6: no rule broken)"
                )
            else:
                text = why.get("summary") or why.get("matched") or ""
            head = f"{decision['kind']}" + (f" {action}" if action else "")
            self.echo(f"    {decision['id']:>4} {head:<26} {text}"[:170])
        return decisions


async def _drive(demo: DemoHub) -> dict[str, int]:
    echo = demo.run.echo
    async with demo.serving() as (client, _store):
        for rep, status in PRESENCE.items():
            response = await client.put(f"/v1/reps/{rep}/status", json={"status": status})
            if response.status_code != 200:
                raise HandoffError(f"the hub refused a rep status: {response.text}")
        echo("PUT /v1/reps/{id}/status: " + ", ".join(f"{r} {s}" for r, s in PRESENCE.items()))

        first = _Chat(client, echo, "ai-c-v-1001")
        await first.start(
            "en-pricing-ai", "connect", "v-1001", "https://about.example.test/pricing/"
        )
        await first.say("What does Premium add over Free?")
        await first.email("kim@gmail.com")
        await first.email("dana@northwind.example")
        await first.say("How much does the Premium plan cost per user?")
        await first.say("Can we book a meeting with your team?")
        echo("  (the visitor leaves without picking a time: offered, not booked)")
        offered = await first.explain()

        second = _Chat(client, echo, "ai-c-v-1005")
        await second.start("en-site-ai", "question", "v-1005", "https://about.example.test/blog/")
        await second.say("How do I define a CI pipeline with stages?")
        await second.say("Can I talk to someone on your team?")
        await second.email("lee@contoso.example")
        routed = await second.explain()
    goals = [
        d["outcome"].get("action")
        for d in [*offered, *routed]
        if d["kind"] == "ai.goal" and d["outcome"].get("action") != "triggered"
    ]
    return {
        "conversations": 2,
        "decisions": len(offered) + len(routed),
        "slots_offered": goals.count("slots_offered"),
        "routed": goals.count("routed"),
    }


def ai_demo(run: DemoRun) -> dict[str, int]:
    """Run the AI part of the demo: two conversations reaching their goals, printed with why."""
    run.echo(
        '\nai: the AI rep converses (Q5): business email first on "Connect with us", goals '
        "acting once it is given, every reply checked by the rules of engagement (Q6)"
    )
    config = load_config(_config_path(), required=True)
    with run.step("indexing the demo site for the built-in responder (AI Studio, Q7)"):
        store = Store(f"sqlite:///{run.database}")
        try:
            report = asyncio.run(index_demo_site(store, DEMO_NOW))
        finally:
            store.dispose()
    run.echo(
        f"AI Studio: the demo site indexed ({report.added} pages, {report.passages} passages) "
        "for the built-in responder"
    )
    demo = DemoHub(run, config, FrozenClock(DEMO_NOW))
    summary = asyncio.run(_drive(demo))
    run.echo(
        f"\n{summary['conversations']} AI conversations, {summary['decisions']} decisions stored; "
        f"slots offered {summary['slots_offered']}, routed to a rep {summary['routed']}."
    )
    run.echo(
        f"Explore: HANDOFF_DATABASE_URL=sqlite:///{run.database} .venv/bin/handoff ai "
        "conversation ai-c-v-1001   (or handoff explain conversation:ai-c-v-1005)"
    )
    return summary
