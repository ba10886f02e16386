"""One AI conversation turn with a model answering in 200 ms: the hub's own overhead beside it.

    .venv/bin/python benchmarks/bench_ai_turn.py [--turns 100] [--latency 0.2] [--backend openai]

Serves the fake model server (`handoff_sdk.testing.FakeModelServer`, the
connectors' simulator) over TLS on a loopback port with `--latency` seconds
per answer, builds a Hub whose `--backend` connector (openai or anthropic)
points at it, and runs `--turns` conversation turns one after another, each
end to end as a conversation takes it: the model responder builds the
prompt (instructions from the `[ai]` table, six earlier turns, three
passages) and calls `handoff_generate_reply` through the Hub (rate budget,
retries, metrics, the hub's HTTP client), the guard checks the reply (the
adversarial set's replies, so some are replaced), and the verdict is stored
as an `ai.guard` decision in SQLite (`guarded_reply` with a recorder).

The model's time is what the fake server spent answering (its log: from
receiving the request to the end of its answer, the latency included); the
hub's overhead is the rest of the turn: prompt, HTTP client and TLS, JSON,
the connector's request path, the guard, the stored decision. Reported as
p50/p99 of each, per turn, with the machine's load average.

Not through the conversation API: conversations (Q5) were not on main when
this was written; docs/performance.md says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ai"))

from adversarial import ATTACKS, ORDINARY, TABLE
from handoff_anthropic.simulator import AnthropicSimulator
from handoff_openai.simulator import OpenAISimulator

from handoff.ai.config import AiConfig
from handoff.ai.model_responder import ModelResponder, decision_recorder, guarded_reply
from handoff.ai.responder import Draft, Passage, ReplyRequest, Turn
from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.store import Store, upgrade
from handoff_sdk import DictSecrets, SystemClock
from handoff_sdk.testing import Limits, ScriptedReply, SimulatorServer

SIMULATORS = {"openai": OpenAISimulator, "anthropic": AnthropicSimulator}
HISTORY = [
    Turn("ai", "Hi! I'm Acme's assistant. What brings you here today?"),
    Turn("visitor", "We're looking at CI tools for about 40 engineers."),
    Turn("ai", "Acme runs pipelines for teams of every size, with caching built in."),
    Turn("visitor", "Do you run on our own servers?"),
    Turn("ai", "Yes, Acme Self-Managed runs on your hardware."),
]
PASSAGES = [
    Passage("https://acme.example/docs/runners", "Runners", "Runners execute pipeline jobs."),
    Passage("https://acme.example/docs/cache", "Caching", "Caches persist between jobs."),
    Passage("https://acme.example/pricing", "Pricing", "Premium is $29 per user per month."),
]


def load() -> str:
    """The machine's load average: the figures are only comparable on a quiet machine."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * q) - 1)]


class Timed:
    """The model responder, its draft timed (the turn's share before the guard)."""

    def __init__(self, inner: ModelResponder) -> None:
        self.inner = inner
        self.last = 0.0

    async def draft(self, request: ReplyRequest) -> Draft:
        started = time.monotonic()
        try:
            return await self.inner.draft(request)
        finally:
            self.last = time.monotonic() - started


async def run(args: argparse.Namespace, folder: Path) -> None:
    turns = ATTACKS + ORDINARY
    script = [ScriptedReply(f"^{re.escape(t.message)}$", t.reply) for t in turns]
    fake = SIMULATORS[args.backend](latency=args.latency, limits=Limits(), replies=script)
    store = Store(f"sqlite:///{folder / 'handoff.db'}")
    upgrade(store)
    clock = SystemClock()
    with SimulatorServer(fake, tls=True, cert_dir=folder / "tls") as server:
        assert server.certificate is not None
        settings = {
            **fake.connector_config(server.url),
            "ca_file": str(server.certificate.cert_file),
            "rate_limit": {"requests": 100_000, "per_seconds": 60, "concurrency": 8},
        }
        table = AiConfig.model_validate({**TABLE, "model": {"connector": args.backend}})
        hub = Hub(
            HubConfig(connectors={args.backend: ConnectorSettings(settings=settings)}),
            secrets=lambda name: DictSecrets(name, fake.connector_secrets()),
            clock=clock,
        )
        responder = Timed(ModelResponder(hub, table))
        totals: list[float] = []
        drafts: list[float] = []
        models: list[float] = []
        cpus: list[float] = []
        replaced = 0
        for index in range(args.turns + 1):
            turn = turns[index * 7 % len(turns)]  # attacks and ordinary replies mixed
            conversation = f"bench-{index}"
            request = ReplyRequest(
                conversation_id=conversation,
                turns=[*HISTORY, Turn("visitor", turn.message)],
                passages=PASSAGES,
                goals=["book_meeting", "route_to_rep"],
            )
            seen = len(fake.log)
            cpu = time.process_time()
            started = time.monotonic()
            guarded = await guarded_reply(
                responder, request, table, record=decision_recorder(store, clock, conversation)
            )
            total = time.monotonic() - started
            cpu = time.process_time() - cpu
            if guarded.offers_human:
                raise SystemExit(f"the model was unavailable: {guarded.unavailable}")
            served = fake.log[seen:]
            if index == 0:  # the first turn opens the TLS connection: left out
                continue
            replaced += not guarded.verdict.allowed
            totals.append(total)
            cpus.append(cpu)
            drafts.append(responder.last)
            models.append(sum(s.finished - s.started for s in served))
        await hub.aclose()
    store.dispose()
    overhead = [t - m for t, m in zip(totals, models, strict=True)]
    after = [t - d for t, d in zip(totals, drafts, strict=True)]
    ms = 1e3
    print(f"backend: {args.backend} over TLS on loopback; model latency {args.latency * ms:.0f} ms")
    print(f"turns: {len(totals)} (one at a time), replies replaced by the guard: {replaced}")
    print(
        f"turn end to end: p50 {statistics.median(totals) * ms:.1f} ms, "
        f"p99 {pct(totals, 0.99) * ms:.1f} ms"
    )
    print(
        f"model's time:    p50 {statistics.median(models) * ms:.1f} ms, "
        f"p99 {pct(models, 0.99) * ms:.1f} ms"
    )
    print(
        f"hub's overhead:  p50 {statistics.median(overhead) * ms:.1f} ms, "
        f"p99 {pct(overhead, 0.99) * ms:.1f} ms "
        f"({statistics.median(overhead) / statistics.median(totals):.1%} of the turn at p50)"
    )
    print(
        f"  of which guard + stored decision: p50 {statistics.median(after) * ms:.1f} ms, "
        f"p99 {pct(after, 0.99) * ms:.1f} ms"
    )
    print(
        f"CPU per turn (this process: the hub and the fake server's thread): "
        f"p50 {statistics.median(cpus) * ms:.1f} ms, p99 {pct(cpus, 0.99) * ms:.1f} ms"
    )
    print(f"load average {load()}")


def main() -> None:
    """Measure and print one turn's time, the model's and the hub's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100, help="turns measured")
    parser.add_argument("--latency", type=float, default=0.2, help="model seconds per answer")
    parser.add_argument("--backend", choices=sorted(SIMULATORS), default="openai")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ai-turn-") as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
