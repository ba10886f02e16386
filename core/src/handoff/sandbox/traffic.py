"""`handoff sandbox traffic`: sample traffic through a hub running against the sandbox.

Each flow that has a part in it (`Flow.sandbox_traffic`) sends what the
outside world would send it, through the hub's HTTP API (the chat flow: page
views, chat requests, ended conversations, a booking), with a
`TrafficContext` that posts, waits for the hub's worker and reads the
hub's routing of a conversation. Each served vendor whose connector takes
webhooks sends its own (`Simulator.webhook_deliveries`: Gainsight's survey
responses, PathFactory's visitor sessions) to the hub's `/webhooks/<name>`,
authenticated with the sandbox's secret as the vendor would be. Then the
hub's decisions (from its database), the events each webhook stored, and what
each vendor saw (each simulator's request log) are reported. Ids carry the
run's time, so traffic can be sent again.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from handoff.config import HubConfig, load_config
from handoff.errors import HandoffError
from handoff.flow import load_target
from handoff.flows import built_in_flows
from handoff.plugins import discover
from handoff.secret_store import SecretStore
from handoff.store import Decision, EventRecord, Store, open_store
from handoff_sdk.hookspecs import implemented_capabilities

from .files import SandboxState

__all__ = ["TrafficContext", "send_traffic"]

Echo = Callable[[str], None]

WAIT_SECONDS = 90.0
"""How long the hub's worker is given to finish what the traffic started."""


@dataclass
class TrafficContext:
    """What a flow's sample traffic is sent with: the hub's API, its store, the run's stamp."""

    client: httpx.AsyncClient
    store: Store
    stamp: str
    """The run's time (HHMMSS), for ids that differ from an earlier run's."""
    echo: Echo
    since: int
    """The newest event id before the traffic: `settle` waits for the events after it."""

    async def send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send one request to the hub; a refusal is a HandoffError naming it."""
        try:
            answer = await self.client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise HandoffError(
                f"the hub at {self.client.base_url} does not answer ({type(exc).__name__}); "
                "start it with `handoff serve --with-worker --config <sandbox>/handoff.toml`"
            ) from None
        if answer.status_code == 401:
            raise HandoffError(
                f"the hub refused {method} {path} without a valid API key: the sandbox writes "
                "one in DIR/api-key (is the hub serving the sandbox's database?), or pass an "
                "admin key as --api-key (or HANDOFF_API_KEY)"
            )
        if answer.status_code >= 400:
            raise HandoffError(
                f"the hub refused {method} {path}: {answer.status_code} {answer.text}"
            )
        return dict(answer.json()) if answer.content else {}

    async def settle(self, limit: float = WAIT_SECONDS) -> None:
        """Wait until the hub processed every event sent so far and has no job pending."""
        deadline = time.monotonic() + limit
        while True:
            total, done = await asyncio.to_thread(_processed, self.store, self.since)
            pending = await asyncio.to_thread(_pending_jobs, self.store)
            if done >= total and not pending:
                return
            if time.monotonic() > deadline:
                raise HandoffError(
                    f"after {limit:.0f} s the hub has processed {done} of {total} events; jobs "
                    f"still pending: {'; '.join(pending) or 'none'}. Is it running with "
                    "--with-worker, and the sandbox still up?"
                )
            await asyncio.sleep(0.2)

    async def decision(self, kind: str, subject_id: str) -> Decision | None:
        """The newest decision of `kind` about `subject_id` (e.g. a conversation's routing)."""
        return await asyncio.to_thread(_decision, self.store, kind, subject_id)


def _processed(store: Store, since: int) -> tuple[int, int]:
    """(events after `since`, of them processed)."""
    with store.sessions() as session:
        total = session.scalar(select(func.count()).where(EventRecord.id > since)) or 0
        done = session.scalar(
            select(func.count()).where(
                EventRecord.id > since, EventRecord.processed_at.is_not(None)
            )
        )
    return int(total), int(done or 0)


def _pending_jobs(store: Store) -> list[str]:
    """The jobs still queued or running, each with its last error."""
    from handoff.runtime import list_jobs  # noqa: PLC0415 - the runtime is heavy

    with store.sessions() as session:
        jobs = list_jobs(session, states=("queued", "running"), limit=20)
        return [f"{job.kind} ({job.last_error or job.state})" for job in jobs]


def _decision(store: Store, kind: str, subject_id: str) -> Decision | None:
    with store.sessions() as session:
        return session.scalars(
            select(Decision)
            .where(Decision.subject_id == subject_id, Decision.kind == kind)
            .order_by(Decision.id.desc())
        ).first()


def _marks(store: Store) -> tuple[int, int]:
    """The newest event id and decision id: what came before the traffic."""
    with store.sessions() as session:
        event = session.scalar(select(func.max(EventRecord.id))) or 0
        decision = session.scalar(select(func.max(Decision.id))) or 0
    return int(event), int(decision)


def _decisions(store: Store, since: int) -> list[Decision]:
    with store.sessions() as session:
        return list(
            session.scalars(select(Decision).where(Decision.id > since).order_by(Decision.id))
        )


def _outcome_line(decision: Decision) -> str:
    shown = {k: v for k, v in decision.outcome.items() if v not in (None, "", [], {})}
    parts = ", ".join(f"{k}={v}" for k, v in list(shown.items())[:5])
    return f"  {decision.kind:<10} {decision.subject_type}:{decision.subject_id}  {parts}"


async def _simulator_logs(state: SandboxState) -> dict[str, list[dict[str, Any]] | None]:
    """Each HTTP simulator's request log (None where it cannot be read)."""
    logs: dict[str, list[dict[str, Any]] | None] = {}
    for name, url in sorted(state.simulators.items()):
        if name in state.mail:
            continue
        cert = state.certificates.get(name)
        verify: Any = ssl.create_default_context(cafile=cert) if cert else True
        try:
            async with httpx.AsyncClient(verify=verify, timeout=10) as client:
                logs[name] = list((await client.get(f"{url}/_simulator/log")).json())
        except (httpx.HTTPError, ValueError):
            logs[name] = None
    return logs


def _mail_count(folder: Path) -> int:
    return len(list(folder.glob("*.eml")))


async def _vendor_report(
    state: SandboxState, before: dict[str, list[dict[str, Any]] | None], echo: Echo
) -> None:
    """What each simulator answered since the traffic began: calls by endpoint and status."""
    echo("\nWhat each vendor saw (its simulator's request log):")
    after = await _simulator_logs(state)
    for name in sorted(state.simulators):
        if name in state.mail:
            mails = await asyncio.to_thread(_mail_count, Path(state.mail[name]))
            echo(f"  {name:<16} {mails} message(s) in {state.mail[name]}")
            continue
        log, earlier = after.get(name), before.get(name) or []
        if log is None:
            echo(f"  {name:<16} log unavailable (is the sandbox still running?)")
            continue
        calls = Counter(f"{row.get('endpoint')} {row.get('status')}" for row in log[len(earlier) :])
        summary = ", ".join(f"{k} x{n}" for k, n in sorted(calls.items())) or "no calls"
        echo(f"  {name:<16} {summary}")


async def vendor_webhooks(context: TrafficContext, config: HubConfig) -> None:
    """Every served vendor whose connector takes webhooks posts its sample ones to the hub.

    The deliveries come from the connector's simulator (seeded alike with the
    synthetic company), authenticated with the secrets the sandbox gave the
    hub; a refusal is a HandoffError naming the connector and the hub's words.
    """
    found = discover().connectors
    secrets = SecretStore(config.secrets)
    for name, settings in sorted(config.connectors.items()):
        connector_class = found.get(name)
        if (
            connector_class is None
            or not settings.enabled
            or "handoff_parse_webhook" not in implemented_capabilities(connector_class)
        ):
            continue
        simulator_class = connector_class.load_simulator()
        if simulator_class is None:
            continue
        validated = connector_class.config_model.model_validate(settings.settings)
        values = {
            spec.name: secrets.lookup(name, spec.name)[0] or ""
            for spec in connector_class.secret_specs
        }
        simulator = simulator_class()
        for delivery in simulator.webhook_deliveries(validated.model_dump(mode="json"), values):
            answer = await context.client.post(
                f"/webhooks/{name}", content=delivery.body, headers=delivery.headers
            )
            if answer.status_code >= 300:
                raise HandoffError(
                    f"the hub refused {name}'s webhook: {answer.status_code} {answer.text}"
                )
            stored = answer.json().get("events", [])
            context.echo(
                f"{name}: a webhook with {delivery.description} -> {len(stored)} event(s) "
                f"stored ({answer.status_code})"
            )


async def _send(  # noqa: PLR0917 - what one traffic run needs, from send_traffic
    state: SandboxState,
    store: Store,
    config: HubConfig,
    hub_url: str,
    api_key: str | None,
    echo: Echo,
) -> None:
    parts: list[Callable[[TrafficContext], Awaitable[None]]] = [
        load_target(flow.sandbox_traffic) for flow in built_in_flows() if flow.sandbox_traffic
    ]
    if not parts:
        raise HandoffError("no flow sends sample traffic")
    before = await _simulator_logs(state)
    since, decided = await asyncio.to_thread(_marks, store)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(base_url=hub_url, headers=headers, timeout=30) as client:
        stamp = datetime.now(UTC).strftime("%H%M%S")
        context = TrafficContext(client=client, store=store, stamp=stamp, echo=echo, since=since)
        for part in parts:
            await part(context)
        await vendor_webhooks(context, config)
        await context.settle()
    decisions = await asyncio.to_thread(_decisions, store, decided)
    echo(f"\nWhat the hub decided ({len(decisions)} decisions):")
    for decision in decisions:
        echo(_outcome_line(decision))
    await _vendor_report(state, before, echo)
    echo(f"\nExplore: handoff explain REF --config {state.config}   (e.g. REF = visitor:<id>)")


def send_traffic(
    state: SandboxState, hub_url: str, *, api_key: str | None = None, echo: Echo = print
) -> None:
    """Send every flow's sample traffic to the hub at `hub_url` and report what came of it."""
    config = load_config(Path(state.config), required=True)
    store = open_store(config)
    try:
        asyncio.run(_send(state, store, config, hub_url.rstrip("/"), api_key, echo))
    finally:
        store.dispose()
