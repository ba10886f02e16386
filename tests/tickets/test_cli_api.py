"""`handoff tickets review|explain` and the /v1/tickets routes over a real socket (Z2, Z6)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from tickets_helpers import (
    PO_FIELD,
    FakeHub,
    deliver,
    drain,
    new_business,
    webhook,
    worker,
    write_config,
)

from handoff.cli import main
from handoff.config import load_config
from handoff.flows import install_periodic
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk import FakeClock

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def pinged(tmp_path: Path, clock: FakeClock) -> tuple[Path, Store]:
    """A hub database where ticket 5001 was passed (Z2) and pinged once (Z6)."""
    config_path = write_config(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(store)
    hub = FakeHub(new_business(**{PO_FIELD: True}))
    runner, flows = worker(store, clock, hub)
    install_periodic(store, flows.periodic(), now=clock.now())
    deliver(store, clock, webhook("a"))
    await drain(runner)
    clock.advance(timedelta(days=1).total_seconds())
    await drain(runner)
    return config_path, store


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def handoff(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Ran]:
    """Run `handoff ARGS` in this process, as the console script does (exit code, streams)."""

    def run(*args: str) -> Ran:
        monkeypatch.setattr(sys, "argv", ["handoff", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run


def test_z6_review_lists_the_queue_and_explain_says_why(
    pinged: tuple[Path, Store], handoff: Callable[..., Ran]
) -> None:
    config_path, _store = pinged
    listed = handoff("tickets", "review", "--config", str(config_path), "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["ticket_id"], row["kind"], row["rep"], row["pings"], row["last_action"]) == (
        "5001",
        "new_business",
        "olga@example.test",
        1,
        "ping",
    )
    table = handoff("tickets", "review", "--config", str(config_path))
    assert "olga@example.test: Quote for 40 seats" in table.stdout
    explained = handoff("tickets", "explain", "5001", "--config", str(config_path))
    assert explained.returncode == 0, explained.stderr
    assert "tickets.route about ticket:5001  [Z2, Z3, Z1]" in explained.stdout
    assert "tickets.follow_up about ticket:5001  [Z6]" in explained.stdout
    assert "zendesk.handoff_update_ticket done" in explained.stdout


def test_the_commands_say_when_the_flow_is_off_or_nothing_is_known(
    pinged: tuple[Path, Store], tmp_path: Path, handoff: Callable[..., Ran]
) -> None:
    config_path, _store = pinged
    unknown = handoff("tickets", "explain", "4242", "--config", str(config_path))
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "error: nothing is decided about ticket 4242",
    )
    off = tmp_path / "off"
    off.mkdir()
    off_config = write_config(off, with_flow=False)
    upgrade(Store(f"sqlite:///{off / 'hub.db'}"))
    result = handoff("tickets", "review", "--config", str(off_config))
    assert result.returncode == 1
    assert "no [tickets] table in handoff.toml" in result.stderr


async def test_the_api_shows_the_queue_and_a_tickets_decisions(
    pinged: tuple[Path, Store], clock: FakeClock, loopback: Serve
) -> None:
    config_path, store = pinged
    app = create_app(store, config=load_config(config_path), clock=clock)
    async with loopback(app) as client:
        queue = await client.get("/v1/tickets/queue")
        decisions = await client.get("/v1/tickets/5001/decisions")
        missing = await client.get("/v1/tickets/4242/decisions")
        bad = await client.get("/v1/tickets/not-a-number/decisions")
    assert queue.status_code == 200
    assert [t["ticket_id"] for t in queue.json()["tickets"]] == ["5001"]
    assert decisions.status_code == 200
    kinds = [d["kind"] for d in decisions.json()["decisions"]]
    assert kinds == ["tickets.route", "tickets.follow_up"]
    route = decisions.json()["decisions"][0]
    assert route["outcome"]["macro"] == "Pass to Sales"
    assert route["explanation"]["counterfactual"]
    assert {j["target"] for j in route["jobs"]} == {
        "zendesk.handoff_apply_macro",
        "zendesk.handoff_update_ticket",
    }
    assert missing.status_code == 404
    assert bad.status_code == 422


async def test_the_api_answers_409_when_the_flow_is_off(
    store: Store, clock: FakeClock, loopback: Serve
) -> None:
    app = create_app(store, clock=clock)
    async with loopback(app) as client:
        answer = await client.get("/v1/tickets/queue")
    assert answer.status_code == 409
    assert "tickets flow is off" in answer.json()["error"]
