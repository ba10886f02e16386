"""Replay throughput: a day of recorded chat traffic decided again, by one run and by two.

    .venv/bin/python benchmarks/bench_replay.py --chats 2000

An events file is written as `handoff events export` writes one: `--chats`
chat requests over a working day (the GitLab playbook's reps online, each
request with the routing context the worker recorded, half answered by a
rep within 10 s, the other half taken over by the AI rep 30 s later, as the
takeover timers decide), then replayed:

- `current`: one simulation (scratch SQLite store, every flow's handler,
  the timers fired on the simulated clock, jobs captured);
- `candidate`: two simulations side by side and the comparison (the
  candidate sends EMEA's geo pool to a partner desk), what `handoff replay
  --candidate` does.

The peer is the live worker's cost for the same decision: the durable
routing step of bench_routing.py (docs/performance.md, "Routing"); a replay
event does that step plus storing the event and its job, on a store without
fsync.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handoff.chat.playbooks import playbook_path
from handoff.config import load_candidate, load_config
from handoff.replay.compare import replay
from handoff.replay.format import ClockLine, EventLine, Line

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
GEOS = ("AMER", "EMEA", "APAC")
PAGES = ("/pricing/", "/", "/fr-fr/", "/de-de/pricing/", "/ja-jp/")


def lines(chats: int, online: list[str], rng: random.Random) -> list[Line]:
    """The day's events as an export would hold them, with their recorded contexts."""
    out: list[Line] = []
    step = timedelta(hours=9) / max(1, chats)
    presence = dict.fromkeys(online, "online")
    for n in range(chats):
        at = START + step * n
        conversation = f"c-{n}"
        routing = {
            "conversation_id": conversation,
            "visitor": {
                "id": f"v-{n}",
                "page_url": "https://about.example.test" + rng.choice(PAGES),
                "geo": rng.choice(GEOS),
            },
            "experience": {},
            "request": {"human": True},
            "busy": {},
            "steps": [],
            "presence": presence,
        }
        payload = {
            "id": f"req-{n}",
            "conversation_id": conversation,
            "visitor_id": f"v-{n}",
            "subject": {"type": "conversation", "id": conversation},
        }
        out.append(
            EventLine(
                line=len(out) + 1,
                at=at,
                source="hub",
                type="hub.chat_request",
                dedupe_key=f"hub.chat_request:req-{n}",
                payload=payload,
                context={"chat": {"identify": {}, "routing": {"routing": routing}}},
            )
        )
        if n % 2 == 0:
            joined = {
                "id": f"join-{n}",
                "conversation_id": conversation,
                "kind": "rep_joined",
                "subject": {"type": "conversation", "id": conversation},
            }
            out.append(
                EventLine(
                    line=len(out) + 1,
                    at=at + timedelta(seconds=10),
                    source="hub",
                    type="hub.conversation_event",
                    dedupe_key=f"hub.conversation_event:join-{n}",
                    payload=joined,
                    context={"chat": {"identify": {}, "routing": {}}},
                )
            )
    out.append(ClockLine(len(out) + 1, START + timedelta(hours=10)))
    return out


def main() -> None:
    """Write the configurations, replay the day with one run and with two, print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        live_path = Path(folder) / "handoff.toml"
        live_path.write_text(f'[routing]\ninclude = "{playbook_path().as_posix()}"\n')
        text = playbook_path().read_text(encoding="utf-8")
        old = 'name = "sdr-emea"\ngeo = "EMEA"'
        assert old in text
        candidate_path = Path(folder) / "candidate.toml"
        candidate_path.write_text(
            text.replace(old, 'name = "sdr-emea"').replace(
                "# --- Rules,",
                '[[routing.teams]]\nname = "emea-partners"\ngeo = "EMEA"\nmembers = ["sdr-camille"]'
                "\n\n# --- Rules,",
                1,
            )
        )
        live = load_config(live_path)
        candidate = load_candidate(live, candidate_path)
        assert live.flows["chat"].routing is not None  # type: ignore[attr-defined]
        humans = [r.id for r in live.flows["chat"].routing.reps if not r.is_ai]  # type: ignore[attr-defined]
        day = lines(args.chats, humans, rng)
        events = sum(1 for line in day if isinstance(line, EventLine))
        for name, other in (("current", None), ("candidate", candidate)):
            t0 = time.perf_counter()
            report = asyncio.run(replay(day, live, other))
            wall = time.perf_counter() - t0
            assert report.current is not None
            assert not report.current.errors, report.current.errors[:3]
            print(
                json.dumps(
                    {
                        "measure": name,
                        "events": events,
                        "decisions": len(report.current.decisions),
                        "changes": len(report.changes),
                        "seconds": round(wall, 2),
                        "events_per_second": round(events / wall, 1),
                    }
                )
            )


if __name__ == "__main__":
    main()
