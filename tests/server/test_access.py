"""Access control: every route of the assembled app declares scopes or is listed as public;
every /v1 route (and /metrics) refuses a request without a key (401) and with a key of the
wrong scope (403); a rep key acts for its own rep only; audits name the key."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import select

from handoff import api_keys
from handoff.api_keys import CACHE_SECONDS, KeyRing, Scope, create_key, list_keys, revoke_key
from handoff.cli import cli
from handoff.config import HubConfig
from handoff.errors import HandoffError
from handoff.server import create_app
from handoff.server.access import app_routes, check_routes, is_public
from handoff.store import ApiKey, Audit, Store
from handoff_sdk import FakeClock

NewKey = Callable[..., dict[str, str]]

REPS = {"reps": [{"id": "ana", "name": "Ana"}, {"id": "bo", "name": "Bo"}]}

SAMPLE_PARAMS = {
    "rep_id": "ana",
    "decision_id": "1",
    "visitor_id": "v-1",
    "conversation_id": "c-1",
    "lead_id": "lead@example.test",
    "ticket_id": "42",
    "connector": "nobody",
    "account_id": "001A000001",
    "pool": "sdr-amer",
    "campaign_id": "meeting-follow-up",
    "entry_id": "1",
    "group_id": "1",
}
"""A plausible value for each path parameter of the API (the check comes before the route)."""


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The assembled app (every built-in flow: chat, leads, tickets) with two reps."""
    built = create_app(store, config=HubConfig(routing=REPS), clock=clock)
    yield built
    await built.state.intake.aclose()


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client without any key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
        yield c


def operations(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, scopes) of each operation of the OpenAPI document that needs a key."""
    found = []
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            for requirement in operation.get("security", []):
                found.extend((method.upper(), path, scopes) for scopes in requirement.values())
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)


def test_every_route_declares_scopes_or_is_listed_public(app: FastAPI) -> None:
    """Every route of the assembled app, flows included, needs a scope unless listed public."""
    routes = app_routes(app)
    assert any(path.startswith("/v1/tickets") for path, _, _ in routes)
    assert any(path.startswith("/v1/leads") for path, _, _ in routes)
    assert any(path == "/v1/reps/{rep_id}/status" for path, _, _ in routes)
    for path, _methods, scopes in routes:
        public = is_public(path)
        assert public or scopes, f"{path} declares no scope and is not public"
        if (path.startswith("/v1/") or path == "/metrics") and not public:
            assert scopes, f"{path} must need a key"
    documented = app.openapi()["paths"]
    for path, methods in documented.items():
        for operation in methods.values():
            assert operation.get("security") or is_public(path), path


def test_the_openapi_document_declares_the_bearer_scheme(app: FastAPI) -> None:
    document = app.openapi()
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    status = document["paths"]["/v1/reps/{rep_id}/status"]["put"]
    assert status["security"] == [{"apiKey": ["rep"]}]
    assert {"401", "403"} <= set(status["responses"])
    assert "security" not in document["paths"]["/webhooks/{connector}"]["post"]


def test_a_route_added_without_scopes_stops_the_app(app: FastAPI) -> None:
    """A future route that forgets `require_scope` is refused at assembly, not served open."""

    @app.get("/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(HandoffError, match="/v1/forgotten declares no access"):
        check_routes(app)


async def test_every_route_refuses_a_request_without_a_key(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    """401 in the refusal shape, with `WWW-Authenticate: Bearer`, for every keyed operation."""
    found = operations(app)
    assert len(found) >= 20
    for method, path, _scopes in found:
        answer = await anonymous.request(method, concrete(path), json={})
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"
        body = answer.json()
        assert set(body) == {"error", "fields"}
        assert "API key" in body["error"]


async def test_every_route_refuses_a_wrong_or_unknown_key(
    app: FastAPI, anonymous: httpx.AsyncClient, store: Store, new_key: NewKey
) -> None:
    """403 for a key whose scopes the operation does not list; 401 for a made-up key."""
    keys = {
        Scope.INGEST: new_key(store, "ingest"),
        Scope.REP: new_key(store, "rep", rep="ana"),
        Scope.OPS: new_key(store, "ops"),
    }
    forged = {"Authorization": "Bearer hk_aaaaaaaaaa_" + "x" * 43}
    open_to_all = []
    for method, path, scopes in operations(app):
        answer = await anonymous.request(method, concrete(path), json={}, headers=forged)
        assert answer.status_code == 401, (method, path)
        wrong = next((s for s in keys if s not in scopes), None)
        if wrong is None:  # every scope but admin opens it: no wrong key to try
            open_to_all.append(path)
            continue
        answer = await anonymous.request(method, concrete(path), json={}, headers=keys[wrong])
        assert answer.status_code == 403, (method, path, wrong, answer.text)
        assert "lacks the scope" in answer.json()["error"]
    assert open_to_all == ["/v1/reps/{rep_id}/slots"]


async def test_an_ingest_key_posts_events_and_reads_nothing(
    anonymous: httpx.AsyncClient, store: Store, new_key: NewKey
) -> None:
    ingest = new_key(store, "ingest")
    body = {"id": "pv-1", "visitor_id": "v-1", "url": "https://www.example.test/"}
    assert (await anonymous.post("/v1/page-views", json=body, headers=ingest)).status_code == 202
    assert (await anonymous.get("/metrics", headers=ingest)).status_code == 403
    assert (await anonymous.get("/v1/tickets/queue", headers=ingest)).status_code == 403


async def test_q3_a_rep_key_sets_its_own_presence_only(
    anonymous: httpx.AsyncClient, store: Store, new_key: NewKey
) -> None:
    """Q3 presence: a rep key for ana sets ana's, never bo's; an admin key sets anyone's."""
    ana = new_key(store, "rep", rep="ana")
    online = {"status": "online"}
    mine = await anonymous.put("/v1/reps/ana/status", json=online, headers=ana)
    assert mine.status_code == 200, mine.text
    theirs = await anonymous.put("/v1/reps/bo/status", json=online, headers=ana)
    assert theirs.status_code == 403
    assert theirs.json()["fields"][0]["field"] == "rep_id"
    assert "'ana' only, not 'bo'" in theirs.json()["error"]
    admin = new_key(store, "admin")
    assert (
        await anonymous.put("/v1/reps/bo/status", json=online, headers=admin)
    ).status_code == 200
    ops = new_key(store, "ops")
    assert (await anonymous.put("/v1/reps/bo/status", json=online, headers=ops)).status_code == 403


async def test_q10_q19_a_rep_key_engages_flags_and_looks_as_its_rep_only(
    anonymous: httpx.AsyncClient, store: Store, new_key: NewKey
) -> None:
    """Q10 engage and live visitors, Q19 misroute flags, Q12 slots and bookings: own rep only."""
    ana = new_key(store, "rep", rep="ana")
    as_bo = {"rep": "bo"}
    engaged = await anonymous.post(
        "/v1/live-visitors/v-1/engage", json={**as_bo, "id": "e-1"}, headers=ana
    )
    assert engaged.status_code == 403
    assert engaged.json()["fields"][0]["field"] == "rep"
    flagged = await anonymous.post(
        "/v1/decisions/1/misrouted", json={**as_bo, "reason": "not mine"}, headers=ana
    )
    assert flagged.status_code == 403
    looked = await anonymous.get("/v1/live-visitors", params=as_bo, headers=ana)
    assert looked.status_code == 403
    own = await anonymous.get("/v1/live-visitors", params={"rep": "ana"}, headers=ana)
    assert own.status_code == 200
    ops = new_key(store, "ops")
    assert (await anonymous.get("/v1/live-visitors", params=as_bo, headers=ops)).status_code == 200
    assert (await anonymous.get("/v1/reps/bo/slots", headers=ana)).status_code == 403
    booking = {
        "id": "m-1",
        "rep_id": "bo",
        "attendee_email": "x@example.test",
        "start": "2026-01-06T10:00:00Z",
    }
    assert (await anonymous.post("/v1/meetings", json=booking, headers=ana)).status_code == 403


async def test_the_audit_names_the_key_not_api(
    anonymous: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    new = create_key(store, "ana-phone", ["rep"], rep_id="ana", now=clock.now(), actor="test")
    headers = {"Authorization": f"Bearer {new.token}"}
    answer = await anonymous.put("/v1/reps/ana/status", json={"status": "away"}, headers=headers)
    assert answer.status_code == 200
    with store.sessions() as session:
        actors = list(session.scalars(select(Audit.actor).where(Audit.action == "rep.status")))
    assert actors == [f"key:ana-phone ({new.info.id})"]


async def test_a_revoked_key_is_refused_once_the_cache_expires(
    anonymous: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    new = create_key(store, "feed", ["ingest"], now=clock.now(), actor="test")
    headers = {"Authorization": f"Bearer {new.token}"}
    body = {"id": "pv-9", "visitor_id": "v-9", "url": "https://www.example.test/"}
    assert (await anonymous.post("/v1/page-views", json=body, headers=headers)).status_code == 202
    revoke_key(store, "feed", now=clock.now(), actor="test")
    clock.advance(CACHE_SECONDS + 1)
    refused = await anonymous.post("/v1/page-views", json=body, headers=headers)
    assert refused.status_code == 401
    assert "not valid" in refused.json()["error"]


def test_the_store_keeps_a_hash_never_the_secret(store: Store, clock: FakeClock) -> None:
    new = create_key(store, "feed", ["ingest"], now=clock.now(), actor="test")
    secret = new.token.split("_", 2)[2]
    with store.sessions() as session:
        row = session.get(ApiKey, new.info.id)
        assert row is not None
        assert secret not in row.secret_hash
        assert row.secret_hash.startswith("$argon2id$")
    ring = KeyRing(store, clock)
    assert ring.find(new.token) == new.info
    assert ring.find(new.token[:-1] + ("a" if new.token[-1] != "a" else "b")) is None
    assert ring.find(new.info.id + "_" + "A" * 43) is None


class CountedHasher:
    """argon2's hasher, counting the verifications (each costs tens of milliseconds)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0
        self.lock = threading.Lock()

    def verify(self, digest: str, secret: str) -> bool:
        with self.lock:
            self.calls += 1
        return bool(self.real.verify(digest, secret))

    def hash(self, secret: str) -> str:
        return str(self.real.hash(secret))


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountedHasher:
    counted = CountedHasher(api_keys._hasher)  # the hash the ring computes
    monkeypatch.setattr(api_keys, "_hasher", counted)
    return counted


def test_a_cached_key_is_answered_without_the_store_until_it_expires(
    store: Store, clock: FakeClock
) -> None:
    """`cached` (asked on the event loop by every request) knows only what `find` verified."""
    new = create_key(store, "feed", ["ingest"], now=clock.now(), actor="test")
    ring = KeyRing(store, clock)
    assert ring.cached(new.token) is None
    assert ring.find(new.token) == new.info
    assert ring.cached(new.token) == new.info
    assert ring.cached(new.token[:-1] + ("a" if new.token[-1] != "a" else "b")) is None
    clock.advance(CACHE_SECONDS - 1)
    assert ring.cached(new.token) == new.info
    clock.advance(1)
    assert ring.cached(new.token) is None  # expired: `find` asks the store again


def test_a_herd_of_requests_with_a_new_key_hashes_it_once(
    store: Store, clock: FakeClock, hasher: CountedHasher
) -> None:
    new = create_key(store, "feed", ["ingest"], now=clock.now(), actor="test")
    ring = KeyRing(store, clock)
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(ring.find, [new.token] * 16))
    assert found == [new.info] * 16
    assert hasher.calls == 1


def test_an_expired_key_is_read_again_but_not_hashed_again(
    store: Store, clock: FakeClock, hasher: CountedHasher
) -> None:
    """After CACHE_SECONDS the store decides again (revoked: refused) without a new hash, as
    long as the stored hash is the one the token was verified against."""
    new = create_key(store, "feed", ["ingest"], now=clock.now(), actor="test")
    other = create_key(store, "other", ["ops"], now=clock.now(), actor="test")
    ring = KeyRing(store, clock)
    assert ring.find(new.token) == new.info
    assert ring.find(other.token) == other.info
    assert hasher.calls == 2
    clock.advance(CACHE_SECONDS)
    assert ring.find(new.token) == new.info
    assert hasher.calls == 2
    with store.transaction() as session:  # the secret replaced in the store: hashed again
        row = session.get(ApiKey, new.info.id)
        assert row is not None
        row.secret_hash = api_keys.PasswordHasher().hash("another-secret")
    clock.advance(CACHE_SECONDS)
    assert ring.find(new.token) is None
    assert hasher.calls == 3
    revoke_key(store, "other", now=clock.now(), actor="test")
    assert ring.find(other.token) is None  # expired long ago: the store says revoked


def test_keys_are_checked_when_created(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    with pytest.raises(HandoffError, match="--rep"):
        create_key(store, "r", ["rep"], now=now, actor="t")
    with pytest.raises(HandoffError, match="'rep' scope"):
        create_key(store, "r", ["ops"], rep_id="ana", now=now, actor="t")
    with pytest.raises(HandoffError, match="expected one of"):
        create_key(store, "r", ["root"], now=now, actor="t")
    create_key(store, "same", ["ops"], now=now, actor="t")
    with pytest.raises(HandoffError, match="exists already"):
        create_key(store, "same", ["ops"], now=now, actor="t")


def test_keys_cli_shows_the_secret_once_and_revokes(tmp_path: Any) -> None:
    """`handoff keys create|list|revoke` with the shared --database and --json options."""
    database = f"sqlite:///{tmp_path / 'h.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--database", database]).exit_code == 0
    made = runner.invoke(
        cli,
        ["keys", "create", "ana-phone", "--scope", "rep", "--rep", "ana", "--database", database],
    )
    assert made.exit_code == 0, made.output
    token = next(line for line in made.output.splitlines() if line.startswith("hk_"))
    assert "not shown again" in made.output
    listed = runner.invoke(cli, ["keys", "list", "--database", database])
    assert "ana-phone" in listed.output
    assert "rep(ana)" in listed.output
    assert token not in listed.output
    assert (
        token.split("_", 2)[2]
        not in runner.invoke(cli, ["keys", "list", "--json", "--database", database]).output
    )
    revoked = runner.invoke(cli, ["keys", "revoke", "ana-phone", "--database", database])
    assert revoked.exit_code == 0, revoked.output
    again = runner.invoke(cli, ["keys", "revoke", "ana-phone", "--database", database])
    assert again.exit_code != 0
    store = Store(database)
    try:
        assert list_keys(store) == []
        with store.sessions() as session:
            actions = [
                (a.action, a.actor.startswith("cli:")) for a in session.scalars(select(Audit))
            ]
        assert actions == [("key.created", True), ("key.revoked", True)]
    finally:
        store.dispose()


async def test_metrics_need_an_ops_key(
    anonymous: httpx.AsyncClient, store: Store, new_key: NewKey
) -> None:
    assert (await anonymous.get("/metrics")).status_code == 401
    answer = await anonymous.get("/metrics", headers=new_key(store, "ops"))
    assert answer.status_code == 200
    assert "handoff_requests_rejected" in answer.text


async def test_keys_over_a_real_socket(
    app: FastAPI, store: Store, new_key: NewKey, loopback: Any
) -> None:
    """Through uvicorn on 127.0.0.1: no key 401, wrong scope 403, the right one 202."""
    body = {"id": "pv-s", "visitor_id": "v-s", "url": "https://www.example.test/"}
    async with loopback(app) as client:
        bare = httpx.AsyncClient(base_url=str(client.base_url))
        async with bare:
            assert (await bare.post("/v1/page-views", json=body)).status_code == 401
            ops = new_key(store, "ops")
            assert (await bare.post("/v1/page-views", json=body, headers=ops)).status_code == 403
            ingest = new_key(store, "ingest")
            answer = await bare.post("/v1/page-views", json=body, headers=ingest)
            assert answer.status_code == 202
            assert (await bare.get("/health/live")).status_code == 200
