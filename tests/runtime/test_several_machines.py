"""Beyond one machine: two `handoff serve` and three `handoff worker` processes on one
PostgreSQL, as docs/deployment.md lays them out (Q3 round robin across the fleet).

The same signed webhook delivered to both servers is stored once; 1,000 chat
requests posted to the two servers in turn are each routed once, by round
robin over three reps, evenly across the whole fleet (counts differ by at
most one), however the workers happened to share them out.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import func, select

from handoff.store import Decision, EventRecord, Store
from handoff_sdk import WebhookScheme, sign_webhook

from .processes import fleet, round_robin_config, wait_for

REPS = ["ana", "ben", "cy"]
CHATS = 1_000
WEBHOOK_SECRET = "synthetic-webhook-secret-for-the-fleet"


def routed(store: Store) -> int:
    with store.sessions() as s:
        return int(s.scalar(select(func.count()).where(Decision.kind == "routing")) or 0)


async def post_as_a_sender_does(
    client: httpx.AsyncClient, url: str, body: dict[str, str]
) -> httpx.Response:
    """POST, and on a dropped connection send the same body again, as senders do.

    A server may close an idle keep-alive connection just as the client reuses
    it (more likely on a loaded machine); the sender's `id` makes the retry
    safe: a second delivery is recognised as a duplicate, never stored twice.
    """
    for attempt in range(3):
        try:
            return await client.post(url, json=body)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def post_chats(servers: list[str], headers: dict[str, str]) -> list[int]:
    """Post CHATS chat requests, the servers taking turns, 16 in flight at once."""
    statuses: list[int] = []
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=60, headers=headers) as client:

        async def one(n: int) -> None:
            body = {"id": f"chat-{n}", "conversation_id": f"conv-{n}", "visitor_id": f"v-{n}"}
            async with gate:
                answer = await post_as_a_sender_does(
                    client, f"{servers[n % 2]}/v1/chat-requests", body
                )
            statuses.append(answer.status_code)

        await asyncio.gather(*(one(n) for n in range(CHATS)))
    return statuses


@pytest.mark.postgres
def test_two_servers_three_workers_one_database_q3_round_robin_across_the_fleet(
    pg_url: str, pg_store: Store, tmp_path: Path
) -> None:
    config = tmp_path / "handoff.toml"
    config.write_text(
        round_robin_config(REPS, zendesk={"subdomain": "acme", "email": "agent@example.test"})
    )
    env = {
        "HANDOFF_DATABASE_URL": pg_url,
        "HANDOFF_CONFIG": str(config),
        "HANDOFF_SECRETS_BACKEND": "file",
        "HOME": str(tmp_path),
        "HANDOFF_ZENDESK_API_TOKEN": "synthetic-token",
        "HANDOFF_ZENDESK_WEBHOOK_SIGNING_SECRET": WEBHOOK_SECRET,
    }
    admin = key_headers(pg_store)
    with fleet(tmp_path, env) as machines:
        started = time.monotonic()
        servers = [machines.serve(f"serve-{n}", wait=False) for n in (1, 2)]
        workers = [machines.worker(f"worker-{n}", "--poll", "0.2") for n in (1, 2, 3)]
        machines.wait_live(*servers)
        urls = [server.base_url for server in servers]
        for rep in REPS:
            answer = httpx.put(
                f"{urls[0]}/v1/reps/{rep}/status", json={"status": "online"}, headers=admin
            )
            assert answer.status_code == 200, answer.text

        body = json.dumps({"ticket_id": "1234"}).encode()
        headers = sign_webhook(
            WebhookScheme.ZENDESK, secret=WEBHOOK_SECRET, body=body, timestamp=datetime.now(UTC)
        )
        headers["content-type"] = "application/json"
        deliveries = [
            httpx.post(f"{url}/webhooks/zendesk", content=body, headers=headers, timeout=60)
            for url in urls
        ]
        assert [d.status_code for d in deliveries] == [202, 202], machines.outputs()
        duplicates = [event["duplicate"] for d in deliveries for event in d.json()["events"]]
        assert duplicates == [False, True]

        print(f"fleet up: {time.monotonic() - started:.1f} s")
        statuses = asyncio.run(post_chats(urls, admin))
        print(f"chats posted: {time.monotonic() - started:.1f} s")
        assert Counter(statuses) == {202: CHATS}
        wait_for(
            lambda: routed(pg_store) == CHATS or not all(w.alive() for w in workers),
            f"{CHATS} chats routed by the three workers",
        )
        print(f"chats routed: {time.monotonic() - started:.1f} s")
        assert all(w.alive() for w in workers), machines.outputs()
        assert routed(pg_store) == CHATS, machines.outputs()
        codes = {process.name: process.stop() for process in machines.processes}
    # uvicorn re-raises the SIGTERM it handled once shut down; systemd counts that as clean.
    assert all(codes[f"serve-{n}"] in (0, -signal.SIGTERM) for n in (1, 2)), codes
    assert all(codes[f"worker-{n}"] == 0 for n in (1, 2, 3)), machines.outputs()

    with pg_store.sessions() as s:
        webhooks = s.scalar(select(func.count()).where(EventRecord.source == "zendesk"))
        decisions = s.execute(
            select(Decision.subject_id, Decision.outcome).where(Decision.kind == "routing")
        ).all()
    assert webhooks == 1
    assert Counter(subject for subject, _ in decisions) == {f"conv-{n}": 1 for n in range(CHATS)}
    per_rep = Counter(outcome["rep"] for _, outcome in decisions)
    assert set(per_rep) == set(REPS)
    assert max(per_rep.values()) - min(per_rep.values()) <= 1, per_rep
    done = [w.output() for w in workers]
    assert all("worker stopped:" in text for text in done), machines.outputs()
