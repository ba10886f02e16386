"""One AI conversation turn with a model answering in 200 ms: the hub's own overhead beside it.

    .venv/bin/python benchmarks/bench_ai_turn.py [--turns 100] [--latency 0.2] [--backend openai]

Serves the fake model server (`handoff_sdk.testing.FakeModelServer`, the
connectors' simulator) over TLS on a loopback port with `--latency` seconds
per answer, and the hub's HTTP app on another (uvicorn, as `handoff serve`
does), its `[ai.model]` naming the `--backend` connector (openai or
anthropic) pointed at the fake. Then `--turns` visitor messages, one after
another, each through the conversation API (`POST
/v1/ai/conversations/{id}/messages`, Q5), ten per conversation: the
conversation engine, the model responder (instructions from the `[ai]`
table, the history, the goals), `handoff_generate_reply` through the Hub
and the connector's request path (rate budget, retries, metrics, the hub's
HTTP client), the Q6 guard on the reply (the adversarial set's replies, so
most are replaced), and the turn's decisions stored in SQLite.

The model's time is what the fake server spent answering (its log: from
receiving the request to its answer, the latency included); the hub's
overhead is the rest of the turn as the visitor's HTTP client sees it: the
API, the conversation, the prompt, the HTTP client and TLS, the guard, the
stored decisions. Reported as p50/p99 of each per turn, with the CPU a
turn costs this process (the hub, the fake server's thread and the client:
the figure that does not grow with the machine's load) and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ai"))

import httpx
import uvicorn
from adversarial import ATTACKS, ORDINARY, TABLE
from handoff_anthropic.simulator import AnthropicSimulator
from handoff_openai.simulator import OpenAISimulator

from handoff.api_keys import create_key
from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk import DictSecrets, SystemClock
from handoff_sdk.testing import Limits, ScriptedReply, SimulatorServer

SIMULATORS = {"openai": OpenAISimulator, "anthropic": AnthropicSimulator}
PER_CONVERSATION = 10
QUESTION = "q{n}: how do runners and caching work together?"
"""Every visitor message: neutral (no goal triggers), numbered so the fake answers it by script."""


def load() -> str:
    """The machine's load average: the figures are only comparable on a quiet machine."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * q) - 1)]


async def serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """The hub's app on a loopback port, as `handoff serve` runs it."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise SystemExit("the hub's app did not start")
        await asyncio.sleep(0.01)
    return server, task, server.servers[0].sockets[0].getsockname()[1]


async def run(args: argparse.Namespace, folder: Path) -> None:
    replies = [t.reply for t in ATTACKS + ORDINARY]
    replies = [replies[i * 7 % len(replies)] for i in range(len(replies))]  # mixed
    script = [ScriptedReply(f"^q{n}:", reply) for n, reply in enumerate(replies)]
    fake = SIMULATORS[args.backend](latency=args.latency, limits=Limits(), replies=script)
    store = Store(f"sqlite:///{folder / 'handoff.db'}")
    upgrade(store)
    clock = SystemClock()
    key = create_key(store, "bench", ("ingest",), rep_id=None, now=clock.now(), actor="bench")
    with SimulatorServer(fake, tls=True, cert_dir=folder / "tls") as model_server:
        assert model_server.certificate is not None
        settings = {
            **fake.connector_config(model_server.url),
            "ca_file": str(model_server.certificate.cert_file),
            "rate_limit": {"requests": 100_000, "per_seconds": 60, "concurrency": 8},
        }
        config = HubConfig(
            connectors={args.backend: ConnectorSettings(settings=settings)},
            ai={**TABLE, "model": {"connector": args.backend}},
            experiences=[{"id": "site-ai", "name": "Site - AI", "mode": "ai_first"}],
        )
        secrets = fake.connector_secrets()
        async with Hub(config, secrets=lambda name: DictSecrets(name, secrets), clock=clock) as hub:
            app = create_app(store, config=config, hub=hub, clock=clock)
            server, task, port = await serve(app)
            headers = {"Authorization": f"Bearer {key.token}"}
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30
            ) as client:
                totals, models, cpus = await turns(client, fake, args.turns, len(replies))
            server.should_exit = True
            await asyncio.wait_for(task, 30)
            await app.state.intake.aclose()
    store.dispose()
    report(args, totals, models, cpus)


async def turns(
    client: httpx.AsyncClient, fake: Any, count: int, scripted: int
) -> tuple[list[float], list[float], list[float]]:
    """Send the messages; per measured turn: its time, the model's, the CPU of this process."""
    totals: list[float] = []
    models: list[float] = []
    cpus: list[float] = []
    replaced = 0
    conversation = ""
    for index in range(count + 1):
        if index % PER_CONVERSATION == 0:
            conversation = f"bench-{index}"
            opened = await client.post(
                "/v1/ai/conversations",
                json={"id": conversation, "experience_id": "site-ai", "entry": "question",
                      "visitor_id": f"v-{index}"},
            )  # fmt: skip
            if opened.status_code != 201:
                raise SystemExit(f"could not open a conversation: {opened.text}")
        seen = len(fake.log)
        cpu = time.process_time()
        started = time.monotonic()
        answer = await client.post(
            f"/v1/ai/conversations/{conversation}/messages",
            json={"text": QUESTION.format(n=index % scripted)},
        )
        total = time.monotonic() - started
        cpu = time.process_time() - cpu
        served = fake.log[seen:]
        if answer.status_code != 200 or len(served) != 1:
            raise SystemExit(f"turn {index}: {answer.status_code} {answer.text[:300]}")
        if index == 0:  # the first turn opens the connections: left out
            continue
        guard = answer.json().get("guard") or {}
        replaced += not guard.get("allowed", True)
        totals.append(total)
        models.append(served[0].finished - served[0].started)
        cpus.append(cpu)
    print(f"turns: {len(totals)} (one at a time, {PER_CONVERSATION} per conversation), "
          f"replies replaced by the guard: {replaced}")  # fmt: skip
    return totals, models, cpus


def report(
    args: argparse.Namespace, totals: list[float], models: list[float], cpus: list[float]
) -> None:
    overhead = [t - m for t, m in zip(totals, models, strict=True)]
    ms = 1e3
    print(
        f"backend: {args.backend} over TLS on loopback, model latency {args.latency * ms:.0f} ms;"
        " through the conversation API over HTTP"
    )
    for name, values in (
        ("turn end to end", totals),
        ("model's time", models),
        ("hub's overhead", overhead),
        ("CPU per turn", cpus),
    ):
        print(
            f"{name + ':':17} p50 {statistics.median(values) * ms:6.1f} ms, "
            f"p99 {pct(values, 0.99) * ms:6.1f} ms"
        )
    slow = [i for i, c in enumerate(cpus, 1) if c > 0.05]
    print(f"turns costing over 50 ms of CPU: {len(slow)} (turns {slow[:10]})")
    share = statistics.median(overhead) / statistics.median(totals)
    print(f"hub's overhead at p50: {share:.1%} of the turn; load average {load()}")


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
