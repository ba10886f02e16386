"""`handoff serve`: the hub's HTTP intake, on FastAPI.

- `POST /v1/<kind>`: the events the hub owns: each flow's (`Flow.intake`:
  page views, chat requests, conversation events...) and those no flow owns
  yet (form submissions, survey responses, hand raises).
- `POST /webhooks/{connector}`: handed to that connector's
  `handoff_parse_webhook` through the Hub; a bad signature is a 401 and
  nothing is stored.
- each flow's own routes (`Flow.routers`), e.g. the chat flow's presence,
  metrics, rep view, meetings and slots under /v1;
- `GET /health` (readiness), `GET /health/live` (liveness): health.py.
- `GET /metrics` (Prometheus), `GET /openapi.json`.
- `/console`: the web console (handoff.console), with each flow's pages.

An event is committed to the database before the 2xx (see intake.py); a
duplicate (same source and dedupe key) is stored and processed once; a bad
request is a 422 naming each bad field, and nothing is stored; while the
database is unavailable every route answers 503 (health.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from handoff import __version__
from handoff.api_keys import KeyRing, Scope
from handoff.config import HubConfig, WorkerSettings
from handoff.errors import HandoffError
from handoff.flow import Flow, Periodic, Services
from handoff.flows import FlowSet, install_periodic
from handoff.runtime.events import EventHandler, EventObserver
from handoff.runtime.jobs import job_counts
from handoff.runtime.worker import JobRunner, Worker, WorkerState, WorkerStatus
from handoff.server.access import check_routes, install_access, require_scope
from handoff.server.health import UNAVAILABLE, health_routes, install_outage_handlers
from handoff.server.intake import Intake
from handoff.server.intake_route import IntakeRoute
from handoff.server.limits import BODY_TIMEOUT_S, MAX_BODY, install_limits
from handoff.server.models import (
    Accepted,
    IntakeModel,
    Refused,
    WebhookAccepted,
)
from handoff.server.responses import refused
from handoff.server.rotations import rotation_routes
from handoff.store import JobState, Store
from handoff_sdk import (
    Clock,
    ConnectorError,
    MissingSecretError,
    SystemClock,
    WebhookSignatureError,
)
from handoff_sdk.entities import Event, WebhookRequest
from handoff_sdk.webhooks import WEBHOOK_REPLY

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["create_app", "metrics_app"]

log = logging.getLogger("handoff.server")


class _Metrics:
    """The Prometheus series of one app (its own registry, so apps in tests do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "handoff_events_received",
            "Events received, by source and whether they were new.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "handoff_requests_rejected",
            "Requests refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.intake_seconds = Histogram(
            "handoff_intake_seconds",
            "Time from request to durable storage.",
            registry=self.registry,
        )
        self.commits = Gauge(
            "handoff_intake_commits",
            "Transactions the intake writer committed (each holds one or more requests).",
            registry=self.registry,
        )
        self.jobs = Gauge(
            "handoff_jobs", "Jobs in the outbox, by state.", ["state"], registry=self.registry
        )


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    fields = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            where = next((p for p in error.get("loc", ()) if isinstance(p, int)), None)
            why = (error.get("ctx") or {}).get("error", "JSON decode error")
            at = f" at character {where}" if where is not None else ""
            fields.append({"field": "body", "problem": f"not valid JSON: {why}{at}"})
            continue
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        fields.append({"field": ".".join(loc) or "body", "problem": str(error.get("msg", ""))})
    return fields


def create_app(
    store: Store,
    *,
    config: HubConfig | None = None,
    hub: Hub | None = None,
    clock: Clock | None = None,
    with_worker: bool = False,
    worker_settings: WorkerSettings | None = None,
    events: EventHandler | None = None,
    handlers: dict[str, JobRunner] | None = None,
    periodic: Sequence[Periodic] = (),
    flows: Sequence[Flow[Any]] | None = None,
    observers: Sequence[EventObserver] = (),
    body_timeout: float = BODY_TIMEOUT_S,
) -> FastAPI:
    """The intake app over `store`. `hub` (or one built from `config`) parses webhooks.

    A body larger than `MAX_BODY` is refused before it is read (413), one
    that takes longer than `body_timeout` seconds to arrive is a 408
    (handoff.server.limits).

    The flows (default: the built-in ones) add their intake and their routes.
    With `with_worker`, a Worker (`worker_settings`, else config's [worker])
    runs in the same event loop for the app's life, with `events` and
    `handlers` (see `handoff.flows.FlowSet`), and /health reports it; the
    `periodic` timers are installed before it starts; `observers` (shadow
    mode) are told of each event it decides.
    """
    clock = clock or SystemClock()
    intake = Intake(store, clock)
    metrics = _Metrics()
    state: dict[str, Any] = {"hub": hub, "worker": None, "worker_task": None}
    settings = worker_settings or (config.worker if config is not None else WorkerSettings())
    assembled = FlowSet(Services(config or HubConfig(), store, clock, lambda: state["hub"]), flows)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        owned = None
        if state["hub"] is None and config is not None and config.enabled():
            from handoff.hub import Hub  # noqa: PLC0415 - only when webhooks are configured

            owned = Hub(config, clock=clock)
            state["hub"] = owned
        task = None
        worker = None
        if with_worker:
            if periodic:
                await asyncio.to_thread(install_periodic, store, periodic, now=clock.now())
            worker = Worker.configured(
                store,
                settings,
                hub=state["hub"],
                clock=clock,
                events=events,
                handlers=handlers,
                observers=observers,
            )
            task = asyncio.create_task(worker.run(), name="handoff-worker")
            state["worker"], state["worker_task"] = worker, task
        try:
            yield
        finally:
            if worker is not None and task is not None:
                worker.stop()
                await task
            await intake.aclose()
            if owned is not None:
                await owned.aclose()

    app = FastAPIOffline(  # /docs and /redoc with their assets served here, no CDN
        title="handoff",
        version=__version__,
        description="The hub's intake: events it owns under /v1, vendor webhooks under "
        "/webhooks. Every accepted event is stored durably before the answer. Every /v1 "
        "route and /metrics needs an API key (`Authorization: Bearer hk_...`, from "
        "`handoff keys create`) holding one of the scopes its operation lists; webhooks are "
        "authenticated by their sender's signature.",
        lifespan=lifespan,
        # The hub reports through its own /metrics; FastAPI's OpenTelemetry hooks asked the
        # tracer provider (reading the environment) on every request: 6 % of intake's time.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_limits(
        app,
        body_timeout=body_timeout,
        count=lambda reason: metrics.rejected.labels(reason).inc(),
    )
    # The listener counts connections it closes before the app sees them (handoff.server.listener).
    app.state.count_rejected = lambda reason: metrics.rejected.labels(reason).inc()
    install_access(app, KeyRing(store, clock), lambda reason: metrics.rejected.labels(reason).inc())

    install_outage_handlers(
        app, store, clock=clock, refused_count=lambda reason: metrics.rejected.labels(reason).inc()
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        metrics.rejected.labels("invalid").inc()
        return JSONResponse(
            status_code=422,
            content={"error": "invalid request", "fields": _field_errors(exc)},
        )

    async def store_events(found: list[Event]) -> list[Accepted]:
        started = time.perf_counter()
        stored = await intake.submit(found)
        metrics.intake_seconds.observe(time.perf_counter() - started)
        answers = []
        for event, result in zip(found, stored, strict=True):
            metrics.events.labels(event.source, "new" if result.created else "duplicate").inc()
            answers.append(
                Accepted(event_id=result.id, type=event.type, duplicate=not result.created)
            )
        return answers

    def intake_route(
        model: type[IntakeModel], event_type: str
    ) -> Callable[[Any], Awaitable[Response]]:
        async def receive(body: Any) -> Response:
            assert isinstance(body, model)
            event = Event(
                type=event_type,
                source="hub",
                dedupe_key=f"{event_type}:{body.id}",
                occurred_at=body.occurred_at,
                payload=body.to_payload(),
            )
            [answer] = await store_events([event])
            # Encoded by pydantic's serializer in one step (no dict, no json.dumps): the
            # same bytes JSONResponse wrote, at intake's rate.
            return Response(answer.model_dump_json(), 202, media_type="application/json")

        receive.__annotations__["body"] = model
        return receive

    received = [(r.path, (r.model, r.event_type)) for r in assembled.intake()]
    for path, (model, event_type) in received:
        app.router.add_api_route(
            f"/v1/{path}",
            intake_route(model, event_type),
            methods=["POST"],
            status_code=202,
            response_model=Accepted,
            summary=f"Receive a {model.__name__} ({event_type})",
            description=(model.__doc__ or "").strip(),
            responses={
                422: {"model": Refused, "description": "Invalid body; each bad field is named."},
                **UNAVAILABLE,
            },
            tags=["events"],
            name=f"receive_{path.replace('-', '_')}",
            dependencies=[require_scope(Scope.INGEST)],
            # A well-formed event skips FastAPI's per-request solving (intake_route.py).
            route_class_override=IntakeRoute,
        )

    def unconfigured(connector: str, exc: Exception) -> JSONResponse:
        """503 for a webhook the hub cannot verify (no secret): the log says which secret."""
        log.error("webhook for %s refused: %s", connector, exc)
        metrics.rejected.labels("webhook_unconfigured").inc()
        return refused(
            503,
            f"webhooks from {connector} are not set up on this hub yet; nothing was stored",
        )

    @app.post(
        "/webhooks/{connector}",
        status_code=202,
        response_model=WebhookAccepted,
        responses={
            200: {
                "model": WebhookAccepted,
                "description": "Stored, for a connector whose webhook_accepted_status is 200 "
                "(its vendor counts a 202 as not delivered, e.g. Zoom).",
            },
            400: {"model": Refused, "description": "The connector could not read it."},
            401: {
                "model": Refused,
                "description": "Signature missing, wrong or outside the replay window.",
            },
            404: {
                "model": Refused,
                "description": "No enabled connector by that name receives webhooks.",
            },
            503: {
                "model": Refused,
                "description": "The database cannot store, or the hub has no secret to verify "
                "this connector's webhooks (the hub's log names it); nothing was stored.",
            },
            413: {"model": Refused, "description": "Body too large."},
            422: {"model": Refused, "description": "Invalid path."},
            **UNAVAILABLE,
        },
        tags=["webhooks"],
    )
    async def webhook(connector: str, request: Request) -> Response:
        """A vendor's webhook: verified and parsed by the connector, then stored.

        Stored deliveries, new or duplicate, are answered with the connector's
        `webhook_accepted_status` (202 unless it declares another 2xx).
        """
        body = await request.body()
        if len(body) > MAX_BODY:
            metrics.rejected.labels("too_large").inc()
            return refused(413, f"the body is too large: at most {MAX_BODY:,} bytes")
        hub_now = state["hub"]
        if hub_now is None or connector not in hub_now.implementing("handoff_parse_webhook"):
            metrics.rejected.labels("unknown_connector").inc()
            return JSONResponse(
                status_code=404,
                content={"error": f"no enabled connector '{connector}' receives webhooks"},
            )
        received = WebhookRequest(
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            query=dict(request.query_params),
            received_at=clock.now(),
        )
        try:
            found = await hub_now.parse_webhook(connector, received)
        except MissingSecretError as exc:
            return unconfigured(connector, exc)
        except WebhookSignatureError as exc:
            if exc.reason == "unconfigured":
                return unconfigured(connector, exc)
            metrics.rejected.labels("signature").inc()
            return refused(401, str(exc))
        except (ConnectorError, httpx.HTTPError, HandoffError) as exc:
            metrics.rejected.labels("unreadable").inc()
            return refused(400, str(exc))
        replies = [e for e in found if e.type == WEBHOOK_REPLY]
        if replies:
            # A challenge (Zoom's URL validation): answer it, store nothing for it.
            metrics.rejected.labels("challenge_answered").inc()
            reply = replies[0].payload
            return JSONResponse(status_code=int(reply["status"]), content=reply["body"])
        answers = await store_events(list(found))
        # The same status for a duplicate: the vendor retries what it counts as undelivered.
        status = hub_now.connectors[connector].webhook_accepted_status
        accepted = WebhookAccepted(events=answers).model_dump()
        return JSONResponse(status_code=status, content=accepted)

    def worker_status() -> WorkerStatus | None:
        if not with_worker:
            return None
        task, worker = state["worker_task"], state["worker"]
        if task is None or worker is None:
            return WorkerStatus(WorkerState.STARTING, clock.now(), problem="not started yet")
        if task.done():
            died = None if task.cancelled() else task.exception()
            return WorkerStatus(
                WorkerState.STOPPED,
                worker.status.since,
                problem=f"the worker is not running ({died!r})" if died else "not running",
            )
        return worker.status  # type: ignore[no-any-return]

    app.include_router(health_routes(store, clock=clock, worker=worker_status))
    app.include_router(rotation_routes(store, clock))

    @app.get(
        "/metrics",
        tags=["operations"],
        response_class=PlainTextResponse,
        dependencies=[require_scope(Scope.OPS)],
    )
    async def prometheus() -> Response:
        """Prometheus metrics: intake, jobs, and each connector's calls and HTTP tries.

        Events received, requests refused, intake latency, jobs by state; per
        connector, calls by outcome and HTTP tries (errors, throttles,
        retries, latency).
        """

        def counts() -> dict[str, int]:
            with store.sessions() as session:
                return job_counts(session)

        metrics.commits.set(intake.batches)
        found = await asyncio.to_thread(counts)
        # Every state, 0 when it has emptied: a series left at its last value would lie.
        for job_state in [s.value for s in JobState] + sorted(set(found) - set(JobState)):
            metrics.jobs.labels(job_state).set(found.get(job_state, 0))
        page = generate_latest(metrics.registry)
        if state["hub"] is not None:  # every connector call and HTTP try (connector_metrics.py)
            page += generate_latest(state["hub"].metrics.registry)
        return Response(page, media_type=CONTENT_TYPE_LATEST)

    app.state.render_metrics = prometheus

    for router in assembled.routers():
        app.include_router(router)
    from handoff.console import install_console  # noqa: PLC0415 - Jinja2, only when serving

    app.state.hub_config = assembled.services.config  # the console's Rules page replays with it
    app.state.flows = assembled.flows
    # The console's connector health page reads the hub's series (built at startup).
    app.state.connector_metrics = lambda: state["hub"].metrics if state["hub"] else None
    install_console(app, store, clock, assembled.console_pages())
    check_routes(app)
    app.state.intake = intake
    app.state.metrics = metrics
    return app


def metrics_app(app: FastAPI) -> FastAPI:
    """`GET /metrics` of `app` alone and without a key: for `handoff serve --metrics-address`.

    Serve it on an address only the metrics scraper reaches (a private
    interface, 127.0.0.1 behind a sidecar); the API's own /metrics keeps
    needing an `ops` key.
    """
    render = app.state.render_metrics
    alone = FastAPI(title="handoff metrics", docs_url=None, redoc_url=None, openapi_url=None)

    @alone.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> Response:
        """The same page as the API's /metrics."""
        answer: Response = await render()
        return answer

    return alone
