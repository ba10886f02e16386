"""`handoff sandbox` on a real machine: the simulators in one process, the hub in another.

The module starts `handoff sandbox` and `handoff serve --with-worker` as real
processes, as a user does, and drives the hub through the sandbox: a page view
and a chat request over HTTP (Q1, Q3), then `handoff sandbox traffic`. What the
hub decided is read from its database; what the vendors were asked, from each
simulator's request log (`/_simulator/log`, over TLS with its certificate).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from handoff.config import load_config
from handoff.store import Decision, EventRecord, open_store
from handoff_sdk.secrets import looks_like_secret
from handoff_sdk.testing import COMPANY

HANDOFF = str(Path(sys.executable).parent / "handoff")
START_SECONDS = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_until(process: subprocess.Popen[str], marker: str, limit: float) -> list[str]:
    """The lines `process` prints up to and including the one holding `marker`."""
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if marker in line:
                done.set()
                return
        done.set()

    threading.Thread(target=read, daemon=True).start()
    done.wait(limit)
    if not any(marker in line for line in lines):
        process.kill()
        raise AssertionError(f"no '{marker}' within {limit} s; it printed:\n" + "\n".join(lines))
    return lines


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C, as a user stops it; (exit code, what it printed after)."""
    process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
    return process.returncode, rest or ""


@dataclass
class Running:
    folder: Path
    startup: list[str]
    hub: str
    state: dict[str, Any]
    process: subprocess.Popen[str]
    serve: subprocess.Popen[str]

    @property
    def key(self) -> dict[str, str]:
        """The Authorization header of the admin key the sandbox wrote in its folder."""
        return {"Authorization": f"Bearer {(self.folder / 'api-key').read_text().strip()}"}

    def simulator_log(self, name: str) -> list[dict[str, Any]]:
        url = self.state["simulators"][name]
        verify = ssl.create_default_context(cafile=self.state["certificates"][name])
        return list(httpx.get(f"{url}/_simulator/log", verify=verify, timeout=10).json())


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("sandbox-run")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HANDOFF_CONFIG", None)
    started = subprocess.Popen(
        [HANDOFF, "sandbox", "--dir", "sb"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    startup = _read_until(started, "Ctrl-C stops them", START_SECONDS)
    folder = workdir / "sb"
    port = _free_port()
    serve = subprocess.Popen(
        [HANDOFF, "serve", "--with-worker", "--config", "sb/handoff.toml", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    hub = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(f"{hub}/health/live", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or serve.poll() is not None:
            serve.kill()
            _stop(started)
            raise AssertionError("the hub did not start against the sandbox's handoff.toml")
        time.sleep(0.2)
    state = json.loads((folder / "sandbox.json").read_text())
    try:
        yield Running(folder, startup, hub, state, started, serve)
    finally:
        _stop(serve)
        _stop(started)


def _decision(folder: Path, kind: str, subject: str, limit: float = 60.0) -> Decision:
    config = load_config(folder / "handoff.toml", required=True)
    store = open_store(config)
    deadline = time.monotonic() + limit
    try:
        while True:
            with store.sessions() as session:
                found = session.scalars(
                    select(Decision).where(Decision.kind == kind, Decision.subject_id == subject)
                ).first()
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no {kind} decision about {subject} within {limit} s")
            time.sleep(0.2)
    finally:
        store.dispose()


def test_every_installed_simulator_starts_and_the_config_points_at_it(sandbox: Running) -> None:
    """Progress while starting, the two commands, and a handoff.toml with no secret in it."""
    text = "\n".join(sandbox.startup)
    for name, url in sandbox.state["simulators"].items():
        assert name in text
        assert url in text
    assert "handoff serve --with-worker --config sb/handoff.toml" in text
    assert "handoff sandbox traffic --dir sb" in text
    config = load_config(sandbox.folder / "handoff.toml", required=True)
    assert set(config.enabled()) == set(sandbox.state["simulators"])
    raw = (sandbox.folder / "handoff.toml").read_text()
    secrets_file = (sandbox.folder / "secrets.cfg").read_text()
    for line in secrets_file.splitlines():
        value = line.partition("=")[2].strip()
        if len(value) > 8:
            assert value not in raw, "a secret is in handoff.toml"
    for line in raw.splitlines():
        assert not looks_like_secret(line.partition("=")[2].strip().strip('"')), line
    assert oct((sandbox.folder / "secrets.cfg").stat().st_mode & 0o777) == "0o600"
    checked = subprocess.run(
        [HANDOFF, "check", "--config", str(sandbox.folder / "handoff.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "All good" in checked.stdout


def test_q1_q3_the_hub_enriches_from_the_6sense_simulator_and_routes(sandbox: Running) -> None:
    """Q1, Q3: a page view is identified by the 6sense simulator; the chat request is routed."""
    litware = COMPANY.customer("litware")
    before = len(sandbox.simulator_log("6sense"))
    ip = litware.ips[1]
    with httpx.Client(base_url=sandbox.hub, timeout=30, headers=sandbox.key) as hub:
        viewed = hub.post(
            "/v1/page-views",
            json={
                "id": "pv-e2e-1",
                "visitor_id": "v-e2e-1",
                "url": "https://about.example.test/pricing/",
                "ip": ip,
            },
        )
        assert viewed.status_code == 202, viewed.text
        identify = _decision(sandbox.folder, "identify", "v-e2e-1")
        asked = hub.post(
            "/v1/chat-requests",
            json={
                "id": "chat-e2e-1",
                "conversation_id": "c-e2e-1",
                "visitor_id": "v-e2e-1",
                "page_url": "https://about.example.test/pricing/",
                "human_requested": True,
            },
        )
        assert asked.status_code == 202, asked.text
    assert identify.outcome["company"] == litware.name
    assert identify.outcome["domain"] == litware.domain
    calls = [
        row
        for row in sandbox.simulator_log("6sense")[before:]
        if row["endpoint"] == "company_details"
    ]
    assert [(row["query"], row["status"]) for row in calls] == [(f"ip={ip}", 200)]
    routed = _decision(sandbox.folder, "routing", "c-e2e-1")
    assert routed.outcome.get("rep"), "the chat was given to a rep (or the AI rep)"


def test_q11_an_ended_chat_is_written_back_to_the_salesforce_simulator(sandbox: Running) -> None:
    """Q11: a new person's ended chat becomes a Lead upsert the Salesforce simulator answers."""
    before = len(sandbox.simulator_log("salesforce"))
    with httpx.Client(base_url=sandbox.hub, timeout=30, headers=sandbox.key) as hub:
        for body in (
            {"id": "chat-e2e-2", "conversation_id": "c-e2e-2", "visitor_id": "v-e2e-2",
             "page_url": "https://about.example.test/pricing/", "human_requested": True,
             "email": "robin.quinn@newco.example"},
            {"id": "end-e2e-2", "conversation_id": "c-e2e-2", "kind": "ended",
             "visitor": {"email": "robin.quinn@newco.example", "first_name": "Robin",
                         "last_name": "Quinn", "company": "Newco"},
             "summary": "Wants pricing for 40 seats."},
        ):  # fmt: skip
            path = "/v1/chat-requests" if "human_requested" in body else "/v1/conversation-events"
            answer = hub.post(path, json=body)
            assert answer.status_code == 202, answer.text
    written = _decision(sandbox.folder, "writeback", "c-e2e-2")
    assert written.outcome["action"] == "upsert_lead"
    deadline = time.monotonic() + 60
    while True:
        upserts = [
            row
            for row in sandbox.simulator_log("salesforce")[before:]
            if row["endpoint"] == "upsert_collection"
        ]
        if upserts or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [row["status"] for row in upserts] == [200]
    assert upserts[0]["method"] == "PATCH"
    assert upserts[0]["path"].endswith("/composite/sobjects/Lead/Email")


def test_traffic_goes_through_the_hub_to_every_vendor(sandbox: Running) -> None:
    """`handoff sandbox traffic`: identified, routed, a booking on Zoom and the calendar."""
    sent = subprocess.run(
        [HANDOFF, "sandbox", "traffic", "--dir", str(sandbox.folder), "--hub", sandbox.hub],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    report = sent.stdout
    assert "What the hub decided" in report
    visitors = len(COMPANY.visitors)
    assert f"company_details 200 x{visitors}" in report
    salesforce = [row["endpoint"] for row in sandbox.simulator_log("salesforce")]
    assert "update_collection" in salesforce, "the known Contact's new title was written back"
    zoom = sandbox.simulator_log("zoom")
    assert [row["status"] for row in zoom if row["endpoint"] == "create_meeting"] == [201]
    calendar = sandbox.simulator_log("google-calendar")
    assert [row["status"] for row in calendar if row["endpoint"] == "insert_event"] == [200]
    answered = sum(1 for answer in COMPANY.surveys if answer.score is not None)
    assert f"gainsight: a webhook with {answered} survey responses -> {answered} event(s)" in (
        report
    )
    assert "pathfactory: a webhook with 3 visitor sessions -> 1 event(s)" in report


def test_p5_traffic_sends_gainsight_and_pathfactory_webhooks_the_hub_stores(
    sandbox: Running,
) -> None:
    """P5 through the sandbox: the vendors' webhooks, authenticated, stored as their events.

    Survey responses keyed by their GSID (the poll's key too), and the one
    visitor whose session crosses PathFactory's thresholds (three assets in
    the hour) as a Fast Moving Buyer; sending the traffic again stores nothing new.
    """
    command = [HANDOFF, "sandbox", "traffic", "--dir", str(sandbox.folder), "--hub", sandbox.hub]
    for _ in range(2):
        sent = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert sent.returncode == 0, sent.stdout + sent.stderr
    config = load_config(sandbox.folder / "handoff.toml", required=True)
    store = open_store(config)
    try:
        with store.sessions() as session:
            events = session.scalars(
                select(EventRecord).where(EventRecord.source.in_(("gainsight", "pathfactory")))
            ).all()
    finally:
        store.dispose()
    surveys = {e.dedupe_key for e in events if e.source == "gainsight"}
    answered = {a.id for a in COMPANY.surveys if a.score is not None}
    assert surveys == {f"gainsight:survey_response:{gsid}" for gsid in answered}
    buyers = [e for e in events if e.source == "pathfactory"]
    assert [e.payload["email"] for e in buyers] == [COMPANY.person("jamie-ortiz").email]
    assert len(events) == len(answered) + 1, "a second delivery is the same events, not new ones"


def test_a_second_sandbox_in_the_same_folder_is_refused(sandbox: Running) -> None:
    again = subprocess.run(
        [HANDOFF, "sandbox", "--dir", str(sandbox.folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 1
    assert "already running" in again.stderr
    assert "Traceback" not in again.stderr


def test_ctrl_c_stops_every_simulator_cleanly(sandbox: Running) -> None:
    """Last in this module: Ctrl-C stops the sandbox (and its state file goes with it)."""
    _stop(sandbox.serve)
    code, rest = _stop(sandbox.process)
    assert code == 0, rest
    assert f"stopped {len(sandbox.state['simulators'])} simulators" in rest
    assert "Traceback" not in rest
    assert not (sandbox.folder / "sandbox.json").exists()
    url = sandbox.state["simulators"]["6sense"]
    with pytest.raises(httpx.TransportError):
        httpx.get(
            f"{url}/_simulator/log",
            verify=ssl.create_default_context(cafile=sandbox.state["certificates"]["6sense"]),
            timeout=2,
        )
    assert any("starting" in line for line in sandbox.startup)
