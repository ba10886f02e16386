"""PostgreSQL stopped and started again under load, with real processes (Q3 routing as the load).

A throwaway cluster of the test's own (tests/runtime/pg_cluster.py) holds the
hub. `handoff serve --with-worker` and two `handoff worker` processes run on
it while four senders post chat requests, each retrying what was refused, as
a webhook sender does. Midway the server is stopped as by a crash (`pg_ctl
stop -m immediate`) and kept down until the senders have been refused, /health
says 503 and the workers say they are backing off; then it is started again.

Then: every request ever answered 202 is stored, once; no request got anything
but 202 or 503; no process exited; every worker says it resumed; every chat is
routed exactly once (one decision per conversation, every job done, none dead),
and the round robin stayed even, so no decision was counted twice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import func, select

from handoff.store import Decision, EventRecord, Job, JobState, Store, upgrade

from .pg_cluster import throwaway_cluster
from .processes import DEADLINE_S, fleet, round_robin_config, wait_for

REPS = ["ana", "ben", "cy"]
SENDERS = 4
PER_SENDER = 150
CHATS = SENDERS * PER_SENDER


@dataclass
class Senders:
    """What the sending threads saw: who was acknowledged, how often they were refused."""

    acknowledged: set[str] = field(default_factory=set)
    refused: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, base_url: str, first: int) -> None:
        """Post chats first..first+PER_SENDER-1, each until it is answered 202."""
        deadline = time.monotonic() + DEADLINE_S * 2
        with httpx.Client(base_url=base_url, timeout=60, headers=self.headers) as client:
            for n in range(first, first + PER_SENDER):
                body = {"id": f"chat-{n}", "conversation_id": f"conv-{n}", "visitor_id": f"v-{n}"}
                while time.monotonic() < deadline and not self.stop.is_set():
                    answer = client.post("/v1/chat-requests", json=body)
                    with self.lock:
                        if answer.status_code == 202:
                            self.acknowledged.add(f"conv-{n}")
                            break
                        if answer.status_code == 503:
                            self.refused += 1
                        else:
                            self.unexpected.append(f"{answer.status_code} {answer.text}")
                            return
                    time.sleep(0.2)  # the sender's retry after a refusal


def rows(store: Store) -> tuple[int, int, dict[str, int], Counter[str], Counter[str]]:
    with store.sessions() as s:
        events = s.scalar(select(func.count()).select_from(EventRecord)) or 0
        routed = s.scalar(select(func.count()).where(Decision.kind == "routing")) or 0
        jobs = dict(s.execute(select(Job.state, func.count()).group_by(Job.state)).all())
        decisions = s.execute(
            select(Decision.subject_id, Decision.outcome).where(Decision.kind == "routing")
        ).all()
    per_subject = Counter(subject for subject, _ in decisions)
    per_rep = Counter(outcome["rep"] for _, outcome in decisions)
    return events, routed, jobs, per_subject, per_rep


def answers(url: str, path: str) -> int:
    try:
        return httpx.get(f"{url}{path}", timeout=10).status_code
    except httpx.TransportError:
        return 0


@pytest.mark.postgres
def test_a_postgres_restart_under_load_loses_nothing_and_every_chat_is_routed_once(
    tmp_path: Path,
) -> None:
    with throwaway_cluster() as cluster:
        url = cluster.create_database("handoff")
        store = Store(url)
        upgrade(store)
        admin = key_headers(store)
        config = tmp_path / "handoff.toml"
        config.write_text(round_robin_config(REPS))
        env = {
            "HANDOFF_DATABASE_URL": url,
            "HANDOFF_CONFIG": str(config),
            "HANDOFF_SECRETS_BACKEND": "file",
            "HOME": str(tmp_path),
        }
        with fleet(tmp_path, env) as machines:
            server = machines.serve("serve", "--with-worker", "--poll", "0.2", wait=False)
            workers = [machines.worker(f"worker-{n}", "--poll", "0.2") for n in (1, 2)]
            machines.wait_live(server)
            for rep in REPS:
                answer = httpx.put(
                    f"{server.base_url}/v1/reps/{rep}/status",
                    json={"status": "online"},
                    headers=admin,
                )
                assert answer.status_code == 200, answer.text
            for worker in workers:  # connected and working before the load starts
                wait_for(
                    lambda w=worker: "worker on " in w.output(),
                    f"{worker.name} started",
                    detail=machines.outputs,
                )
            senders = Senders(headers=admin)
            threads = [
                threading.Thread(target=senders.send, args=(server.base_url, k * PER_SENDER))
                for k in range(SENDERS)
            ]
            for thread in threads:
                thread.start()
            try:
                wait_for(
                    lambda: len(senders.acknowledged) >= CHATS // 4,
                    "a quarter acknowledged",
                    detail=machines.outputs,
                )
                cluster.stop("immediate")  # as a crash: no checkpoint, recovery at start
                wait_for(
                    lambda: senders.refused > 0,
                    "a sender refused with 503",
                    detail=machines.outputs,
                )
                wait_for(
                    lambda: answers(server.base_url, "/health") == 503,
                    "/health says 503",
                    detail=machines.outputs,
                )
                assert answers(server.base_url, "/health/live") == 200
                for worker in workers:
                    wait_for(
                        lambda w=worker: "worker: the database is unavailable" in w.output(),
                        f"{worker.name}'s loop says it is backing off (not only a job's outcome)",
                        detail=machines.outputs,
                    )
                acknowledged_before = set(senders.acknowledged)
                cluster.start()
            except BaseException:
                senders.stop.set()
                raise
            finally:
                for thread in threads:
                    thread.join(timeout=DEADLINE_S * 2)
            assert not senders.unexpected, senders.unexpected[:5]
            assert len(senders.acknowledged) == CHATS
            wait_for(
                lambda: rows(store)[1] == CHATS, f"{CHATS} chats routed", detail=machines.outputs
            )
            wait_for(
                lambda: set(rows(store)[2]) == {JobState.DONE.value},
                "every job done",
                every=0.5,
                detail=machines.outputs,
            )
            assert answers(server.base_url, "/health") == 200
            assert all(p.alive() for p in machines.processes), machines.outputs()
            for worker in workers:
                wait_for(
                    lambda w=worker: "resuming" in w.output(),
                    f"{worker.name} resumed",
                    detail=machines.outputs,
                )
            outputs = machines.outputs()
        events, routed, jobs, per_subject, per_rep = rows(store)
        store.dispose()
    assert acknowledged_before < senders.acknowledged  # some were stored before, some after
    assert events == CHATS, outputs  # every acknowledged chat stored, none twice
    assert routed == CHATS
    assert per_subject == {f"conv-{n}": 1 for n in range(CHATS)}
    assert set(jobs) == {JobState.DONE.value}, jobs
    assert max(per_rep.values()) - min(per_rep.values()) <= 1, per_rep
    assert "Traceback" not in outputs, outputs
