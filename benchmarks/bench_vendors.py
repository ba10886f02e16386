"""Bulk writes against the vendor simulators, beside the peers' best paths and the call floor.

    uv sync --all-packages --group bench   # the peers: simple-salesforce, marketorestpython, zenpy
    .venv/bin/python benchmarks/bench_vendors.py [--latency 0.05] [--runs 5] [--server process]
                                                 [--skip-peers]

Each job runs against a simulator on a loopback port (TLS for Salesforce,
whose peer only speaks https) with `--latency` seconds added to every
answer, on the real clock. By default each simulator serves from a process
of its own (`python -m handoff_sdk.testing.simulator`), as a vendor's
servers do not share the client's interpreter; `--server thread` serves it
from a thread of the benchmark's process instead, where its work and the
client's take turns under one GIL. Each job runs `--runs` times, handoff
and its peer alternating, the simulator reset to its seeded state before
each run; the table shows the median run (the first run of a process also
pays Python's one-time imports of the HTTP stack).

- Salesforce: 1,000 lead upserts on Email (sObject Collections, 200 a call).
- Marketo: 1,000 lead syncs (Sync Leads, 300 a call).
- Zendesk: 1,000 tickets through create_many (100 a job, jobs run 0.5 s).
- Zendesk: 100 single tickets under a tight limit (20 requests a second).

For each: API calls served, throttled answers (429s, 606/615, ...), wall
time, and two floors with `calls` the calls the simulator served to that
client:

- `floor`, the issue's: `max(calls / rate, ceil(calls / concurrency) x
  latency)` (+ the job time where the API runs jobs), with the rate window
  and concurrency the client must keep to (for Salesforce, which has no
  per-second limit but a daily allocation and 25 long requests at once, the
  connector's own budget of 25 a second and 10 at once).
- `rt floor`, the round trips that cannot overlap: a login (the token call)
  comes before any write, then `ceil(writes / concurrency)` rounds; and a
  sliding window of W requests per T seconds lets W through at once, so the
  last call cannot leave before `floor((calls - 1) / W) x T`. That is
  `max(floor((calls - 1) / W) x T + latency, (logins + ceil((calls -
  logins) / concurrency)) x latency)` (+ the job time). `calls / rate`
  overstates what a job that fits in one window needs (a ratio under 1 to
  `floor` says so); `rt floor` is what no client can beat.

How the peers were pointed at loopback: simple-salesforce by `instance_url`
and `session_id` (its base URL is always https, hence TLS, with a requests
adapter whose SSL context trusts the simulator's certificate); marketorestpython by
setting `MarketoClient.host` after construction, over plain http (it calls
`requests.get`/`post` directly, so no session can be given the simulator's
certificate; handoff's Marketo run is over TLS), and it sends the token as an
`access_token` query parameter, which the simulator accepts as Marketo did;
zenpy by its `ZENPY_FORCE_NETLOC` and `ZENPY_FORCE_SCHEME` variables.
simple-salesforce's Bulk API 2.0 path is not simulated; its composite
collections path, one call per 200 records in turn, is what it offers for
this on the REST API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import ssl
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from handoff_marketo import MarketoConnector
from handoff_salesforce import SalesforceConnector
from handoff_zendesk import ZendeskConnector
from handoff_zendesk.simulator import ZendeskSimulator

from handoff_sdk import Connector, DictSecrets, SystemClock, connector_http_client
from handoff_sdk.entities import Case, Lead
from handoff_sdk.testing import (
    Limits,
    RateWindow,
    Served,
    SimulatorProcess,
    SimulatorServer,
)
from handoff_sdk.testing.simulator.__main__ import load_simulator

LEADS = [
    Lead(
        email=f"bench{i:04d}@company{i % 40}.example",
        first_name=f"First{i}",
        last_name=f"Last{i}",
        company=f"Company {i % 40}",
    )
    for i in range(1000)
]
TICKETS = [Case(subject=f"Bench ticket {i}", description=f"Ticket {i}.") for i in range(1000)]

JOB_SECONDS = 0.5
"""How long the Zendesk simulator runs a create_many job (its default)."""
TIGHT = Limits(windows=(RateWindow(20, 1.0, name="minute"),))


def zendesk_tight(latency: float = 0.0) -> ZendeskSimulator:
    """The Zendesk simulator under the singles job's tight limit: 20 requests a second."""
    return ZendeskSimulator(latency=latency, limits=TIGHT)


# -- the simulators ---------------------------------------------------------------------------


class Vendor:
    """One simulator for a job: in a process of its own (a vendor's servers), or a thread.

    `simulator` is a local copy built the same way, read only for the
    connector's config and secrets (seeded alike); the log and resets go to
    the one serving.
    """

    def __init__(self, target: str, *, tls: bool, latency: float, mode: str) -> None:
        self.target = target
        self.simulator = load_simulator(target, latency=latency)
        self.mode = mode
        self._process: SimulatorProcess | None = None
        self._server: SimulatorServer | None = None
        self._verify: ssl.SSLContext | bool = True
        if mode == "process":
            here = str(Path(__file__).resolve().parent)
            path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
            self._process = SimulatorProcess(
                target, tls=tls, latency=latency, env={"PYTHONPATH": path}
            )
        else:
            self._server = SimulatorServer(self.simulator, tls=tls)

    def __enter__(self) -> Vendor:
        if self._process is not None:
            self._process.start()
            if self._process.ca_file is not None:
                self._verify = ssl.create_default_context(cafile=str(self._process.ca_file))
        elif self._server is not None:
            self._server.start()
            self._verify = self._server.verify
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.stop()
        if self._server is not None:
            self._server.stop()

    @property
    def url(self) -> str:
        return self._process.url if self._process is not None else self._server.url  # type: ignore[union-attr]

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What a client passes to trust the simulator's certificate."""
        return self._verify

    def _admin(self, method: str, path: str) -> bytes:
        context = self._verify if isinstance(self._verify, ssl.SSLContext) else None
        request = urllib.request.Request(f"{self.url}/_simulator/{path}", method=method)  # noqa: S310
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:  # noqa: S310
            return bytes(answer.read())

    def reset(self) -> None:
        """Back to the seeded state, with an empty log."""
        if self._process is not None:
            self._admin("POST", "reset")
        else:
            self.simulator.reset()

    def log(self) -> list[Served]:
        """Every call served since the last reset."""
        if self._process is None:
            return list(self.simulator.log)
        return [Served(**row) for row in json.loads(self._admin("GET", "log"))]


def connector(cls: type[Connector], vendor: Vendor, **extra: Any) -> Connector:
    simulator = vendor.simulator
    config = cls.config_model.model_validate({**simulator.connector_config(vendor.url), **extra})
    return cls(
        config=config,
        secrets=DictSecrets(cls.name, simulator.connector_secrets()),
        http=connector_http_client(cls, config, verify=vendor.verify),
        clock=SystemClock(),
    )


# -- the floors and the table -------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """What a job's client must keep to: W requests per T seconds, M at once, job time."""

    requests: int
    per_seconds: float
    concurrency: int
    job_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.per_seconds


@dataclass
class Row:
    job: str
    who: str
    calls: int
    throttled: int
    seconds: float
    floor: float
    rt_floor: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor else float("nan")

    @property
    def rt_ratio(self) -> float:
        return self.seconds / self.rt_floor if self.rt_floor else float("nan")


def floor(calls: int, budget: Budget, latency: float) -> float:
    """The issue's: max(calls / rate, ceil(calls / concurrency) x latency), plus the job time."""
    rounds = math.ceil(calls / budget.concurrency)
    return max(calls / budget.rate, rounds * latency) + budget.job_seconds


def rt_floor(calls: int, logins: int, budget: Budget, latency: float) -> float:
    """The round trips no client can overlap: logins first, then the calls, in windows of W."""
    windows = (calls - 1) // budget.requests * budget.per_seconds + latency if calls else 0.0
    rounds = logins + math.ceil((calls - logins) / budget.concurrency)
    return max(windows, rounds * latency) + budget.job_seconds


def row(  # noqa: PLR0917 - one row's figures, in the order the table prints them
    job: str, who: str, log: list[Served], seconds: float, budget: Budget, latency: float
) -> Row:
    refused = [s for s in log if s.status >= 400 and not s.throttled]
    assert not refused, f"{who}: {len(refused)} calls refused ({refused[0].refusal})"
    logins = sum(1 for s in log if s.endpoint in ("token", "identity"))
    return Row(
        job,
        who,
        len(log),
        sum(1 for s in log if s.throttled),
        seconds,
        floor(len(log), budget, latency),
        rt_floor(len(log), logins, budget, latency),
    )


def median_row(rows: list[Row]) -> Row:
    """The run with the median wall time (the calls and throttles of that very run)."""
    ordered = sorted(rows, key=lambda r: r.seconds)
    return ordered[(len(ordered) - 1) // 2]


def print_table(rows: list[Row]) -> None:
    header = (
        f"| {'job':36} | {'client':17} | calls | throttled | seconds | floor s | x floor "
        "| rt floor s | x rt floor |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in rows:
        print(
            f"| {r.job:36} | {r.who:17} | {r.calls:5} | {r.throttled:9} | {r.seconds:7.2f} | "
            f"{r.floor:7.2f} | {r.ratio:7.2f} | {r.rt_floor:10.2f} | {r.rt_ratio:10.2f} |"
        )


async def timed_async(make: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await make()
    return time.perf_counter() - started


def timed(make: Callable[[], Any]) -> float:
    started = time.perf_counter()
    make()
    return time.perf_counter() - started


def upserts_by(cls: type[Connector]) -> Callable[[Vendor], Awaitable[float]]:
    """handoff's side of a lead job: the connector's `handoff_upsert_leads` of the 1,000."""

    async def run(vendor: Vendor) -> float:
        client = connector(cls, vendor)
        seconds = await timed_async(lambda: client.handoff_upsert_leads(LEADS, "bench"))  # type: ignore[attr-defined]
        await client.http.aclose()
        return seconds

    return run


# -- Salesforce ------------------------------------------------------------------------------

SALESFORCE = "handoff_salesforce.simulator:SalesforceSimulator"
SALESFORCE_BUDGET = Budget(25, 1.0, 10)


def salesforce_peer(vendor: Vendor) -> float:
    import requests  # noqa: PLC0415 - bench group only
    from simple_salesforce import Salesforce  # noqa: PLC0415

    context = vendor.verify

    class TrustSimulator(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = context
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("https://", TrustSimulator())
    simulator = vendor.simulator
    secrets = simulator.connector_secrets()

    def job() -> None:
        token = session.post(
            f"{vendor.url}/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": simulator.account.settings["client_id"],
                "client_secret": secrets["client_secret"],
                "refresh_token": secrets["refresh_token"],
            },
        ).json()["access_token"]
        sf = Salesforce(instance_url=vendor.url, session_id=token, session=session, version="61.0")
        for start in range(0, len(LEADS), 200):
            records = [
                {
                    "attributes": {"type": "Lead"},
                    "Email": lead.email,
                    "FirstName": lead.first_name,
                    "LastName": lead.last_name,
                    "Company": lead.company,
                }
                for lead in LEADS[start : start + 200]
            ]
            sf.restful(
                "composite/sobjects/Lead/Email",
                method="PATCH",
                json={"allOrNone": False, "records": records},
            )

    seconds = timed(job)
    session.close()
    return seconds


# -- Marketo ---------------------------------------------------------------------------------

MARKETO = "handoff_marketo.simulator:MarketoSimulator"
MARKETO_BUDGET = Budget(100, 20.0, 10)


def marketo_peer(vendor: Vendor) -> float:
    from marketorestpython.client import MarketoClient  # noqa: PLC0415 - bench group only

    simulator = vendor.simulator
    secrets = simulator.connector_secrets()
    mc = MarketoClient(
        "123-SIM-456", simulator.account.settings["client_id"], secrets["client_secret"]
    )
    mc.host = vendor.url
    inputs = [
        {"email": lead.email, "firstName": lead.first_name, "lastName": lead.last_name}
        for lead in LEADS
    ]

    def job() -> None:
        for start in range(0, len(inputs), 300):
            mc.execute(
                method="create_update_leads",
                leads=inputs[start : start + 300],
                action="createOrUpdate",
                lookupField="email",
            )

    return timed(job)


# -- Zendesk ---------------------------------------------------------------------------------

ZENDESK = "handoff_zendesk.simulator:ZendeskSimulator"
ZENDESK_TIGHT = "bench_vendors:zendesk_tight"
ZENDESK_BULK_BUDGET = Budget(200, 60.0, 5, JOB_SECONDS)
ZENDESK_SINGLES_BUDGET = Budget(20, 1.0, 5)


async def zendesk_bulk_handoff(vendor: Vendor) -> float:
    zd = connector(ZendeskConnector, vendor)
    seconds = await timed_async(lambda: zd.create_many_tickets(TICKETS, "bench"))  # type: ignore[attr-defined]
    await zd.http.aclose()
    return seconds


async def zendesk_singles_handoff(vendor: Vendor) -> float:
    zd = connector(
        ZendeskConnector, vendor, rate_limit={"requests": 20, "per_seconds": 1, "concurrency": 5}
    )

    async def job() -> None:
        await asyncio.gather(
            *(
                zd.handoff_create_case(t, f"single-{n}")  # type: ignore[attr-defined]
                for n, t in enumerate(TICKETS[:100])
            )
        )

    seconds = await timed_async(job)
    await zd.http.aclose()
    return seconds


def zenpy_client(vendor: Vendor) -> Any:
    from zenpy import Zenpy  # noqa: PLC0415 - bench group only

    scheme, _, netloc = vendor.url.partition("://")
    os.environ["ZENPY_FORCE_SCHEME"] = scheme
    os.environ["ZENPY_FORCE_NETLOC"] = netloc
    account = vendor.simulator.account
    return Zenpy(
        subdomain="sim", email=account.settings["email"], token=account.secrets["api_token"]
    )


def zendesk_bulk_peer(vendor: Vendor) -> float:
    from zenpy.lib.api_objects import Comment, Ticket  # noqa: PLC0415 - bench group only

    client = zenpy_client(vendor)

    def job() -> None:
        statuses = []
        for start in range(0, len(TICKETS), 100):
            tickets = [
                Ticket(subject=t.subject, comment=Comment(body=t.description))
                for t in TICKETS[start : start + 100]
            ]
            statuses.append(client.tickets.create(tickets))
        for status in statuses:  # zenpy's way: poll each job until it is done
            while client.job_status(id=status.id).status in ("queued", "working"):
                time.sleep(0.1)

    return timed(job)


def zendesk_singles_peer(vendor: Vendor) -> float:
    from zenpy.lib.api_objects import Comment, Ticket  # noqa: PLC0415 - bench group only

    client = zenpy_client(vendor)

    def job() -> None:
        for t in TICKETS[:100]:
            client.tickets.create(Ticket(subject=t.subject, comment=Comment(body=t.description)))

    return timed(job)


# -- the jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One client's run of a job: who, against which simulator (over TLS or not), how."""

    who: str
    target: str
    tls: bool
    run: Callable[[Vendor], Any]


@dataclass(frozen=True)
class Job:
    name: str
    budget: Budget
    ours: Side
    peer: Side


JOBS = (
    Job(
        "Salesforce: 1,000 lead upserts",
        SALESFORCE_BUDGET,
        Side("handoff", SALESFORCE, True, upserts_by(SalesforceConnector)),
        Side("simple-salesforce", SALESFORCE, True, salesforce_peer),
    ),
    Job(
        "Marketo: 1,000 lead syncs",
        MARKETO_BUDGET,
        Side("handoff", MARKETO, True, upserts_by(MarketoConnector)),
        Side("marketorestpython", MARKETO, False, marketo_peer),
    ),
    Job(
        "Zendesk: 1,000 tickets, create_many",
        ZENDESK_BULK_BUDGET,
        Side("handoff", ZENDESK, False, zendesk_bulk_handoff),
        Side("zenpy", ZENDESK, False, zendesk_bulk_peer),
    ),
    Job(
        "Zendesk: 100 single tickets, 20/s",
        ZENDESK_SINGLES_BUDGET,
        Side("handoff", ZENDESK_TIGHT, False, zendesk_singles_handoff),
        Side("zenpy", ZENDESK_TIGHT, False, zendesk_singles_peer),
    ),
)


async def run_side(job: Job, side: Side, vendor: Vendor, latency: float) -> Row:
    """One run of one side against a freshly reset simulator."""
    vendor.reset()
    if asyncio.iscoroutinefunction(side.run):
        seconds = await side.run(vendor)
    else:
        seconds = await asyncio.to_thread(side.run, vendor)
    return row(job.name, side.who, vendor.log(), seconds, job.budget, latency)


async def run_job(job: Job, args: argparse.Namespace) -> list[Row]:
    """Both sides `--runs` times, alternating; the median run of each."""
    sides = [job.ours] if args.skip_peers else [job.ours, job.peer]
    runs: dict[str, list[Row]] = {side.who: [] for side in sides}
    vendors = {
        (side.target, side.tls): Vendor(
            side.target, tls=side.tls, latency=args.latency, mode=args.server
        )
        for side in sides
    }
    for vendor in vendors.values():
        vendor.__enter__()
    try:
        for _ in range(args.runs):
            for side in sides:
                vendor = vendors[(side.target, side.tls)]
                runs[side.who].append(await run_side(job, side, vendor, args.latency))
    finally:
        for vendor in vendors.values():
            vendor.__exit__(None, None, None)
    return [median_row(runs[side.who]) for side in sides]


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--runs", type=int, default=5, help="runs per job and client (median)")
    parser.add_argument(
        "--server",
        choices=("process", "thread"),
        default="process",
        help="serve each simulator from its own process (default) or a thread of this one",
    )
    parser.add_argument("--skip-peers", action="store_true", help="handoff's paths only")
    args = parser.parse_args()
    rows: list[Row] = []
    for job in JOBS:
        rows += await run_job(job, args)
    print_table(rows)
    print(
        f"\nmedian of {args.runs} runs each, simulators served from a {args.server}, "
        f"{args.latency * 1000:.0f} ms added per answer; load average "
        f"{os.getloadavg()[0]:.1f} at the end",
        file=sys.stderr,
    )


if __name__ == "__main__":
    asyncio.run(main())
