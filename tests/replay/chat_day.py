"""A day of chat traffic lived by the hub, for the replay and shadow tests.

The hub is assembled as `handoff serve` and `handoff worker` assemble it
(the flows of handoff.toml, the shadow when it has a `[shadow]`), over a
real socket, on a fake clock: reps go online, chats arrive, some reps join
in time and some do not (the AI takes over after 30 s, Q4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from handoff.config import load_config
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk import FakeClock

ROUTING = """
[routing]
ai_rep = "ai"

[[routing.reps]]
id = "ai"
name = "The AI rep"
is_ai = true

[[routing.reps]]
id = "ana"
name = "Ana"
teams = ["sales"]

[[routing.reps]]
id = "ben"
name = "Ben"
teams = ["sales"]
weight = 2

[[routing.reps]]
id = "cy"
name = "Cy"
teams = ["partners"]

[[routing.teams]]
name = "sales"

[[routing.teams]]
name = "partners"

[[routing.rules]]
id = "german"
rule_ids = ["Q3d"]
when = { field = "language", equals = "de" }
target = "{german}"

[[routing.rules]]
id = "everyone-else"
rule_ids = ["Q3e"]
target = "team:sales"
"""

MORNING = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CHATS = [  # (minutes after 08:00, language, a rep joins in time)
    (0, "en", True),
    (30, "de", True),
    (45, "en", False),
    (90, "de", False),
    (120, "en", True),
    (200, "de", True),
    (260, "en", True),
    (300, "en", False),
    (400, "de", True),
]


def write_configs(tmp_path: Path) -> tuple[Path, Path]:
    live = tmp_path / "handoff.toml"
    live.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "hub.db"}"\n'
        + ROUTING.replace("{german}", "team:sales")
    )
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(ROUTING.replace("{german}", "team:partners"))
    return live, candidate


async def live_day(
    config_path: Path,
    loopback: Any,
    *,
    away: Mapping[int, str] | None = None,
    probe: Callable[[httpx.AsyncClient], Awaitable[None]] | None = None,
) -> Store:
    """The day as the hub lived it: API over a socket, the worker on a fake clock.

    The worker is assembled as `handoff worker` does it: with the shadow when
    handoff.toml has a `[shadow]`. `away`: before chat N, that rep goes away.
    `probe` is awaited at the end of the day with a client of the hub's API.
    """
    config = load_config(config_path)
    store = Store(str(config.store.url))
    upgrade(store)
    clock = FakeClock(MORNING)
    flows = FlowSet(Services(config, store, clock))
    app = create_app(store, config=config, clock=clock)
    worker = Worker(
        store,
        clock=clock,
        events=flows.event_handler(),
        handlers=flows.job_runners(),
        observers=flows.observers(),
    )
    async with loopback(app) as client:
        for rep in ("ana", "ben", "cy"):
            answer = await client.put(f"/v1/reps/{rep}/status", json={"status": "online"})
            assert answer.status_code == 200, answer.text
        elapsed = 0
        for number, (minute, language, joins) in enumerate(CHATS):
            clock.advance((minute - elapsed) * 60)
            elapsed = minute
            if number in (away or {}):
                rep = (away or {})[number]
                answer = await client.put(f"/v1/reps/{rep}/status", json={"status": "away"})
                assert answer.status_code == 200, answer.text
            body = {
                "id": f"req-{number}",
                "conversation_id": f"c-{number}",
                "visitor_id": f"v-{number}",
                "language": language,
            }
            assert (await client.post("/v1/chat-requests", json=body)).status_code == 202
            await worker.run_once()
            if joins:
                clock.advance(10)
                event = {
                    "id": f"join-{number}",
                    "conversation_id": f"c-{number}",
                    "kind": "rep_joined",
                    "rep_id": "x",
                }
                answer = await client.post("/v1/conversation-events", json=event)
                assert answer.status_code == 202
                await worker.run_once()
            for _ in range(4):  # the takeover timer of a chat nobody joined fires at 30 s
                clock.advance(10)
                await worker.run_once()
            elapsed += 1  # about a minute went by
        clock.advance(3600)
        await worker.run_once()
        if probe is not None:
            await probe(client)
    await app.state.intake.aclose()
    return store
