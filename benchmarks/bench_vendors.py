"""Bulk writes against the vendor simulators, beside the peers' best paths and the call floor.

    uv sync --all-packages --group bench   # the peers: simple-salesforce, marketorestpython, zenpy
    .venv/bin/python benchmarks/bench_vendors.py [--latency 0.05] [--skip-peers]

Each job runs against a fresh simulator (TLS for Salesforce, whose peer only
speaks https) on a loopback port with `--latency` seconds added to every
answer, on the real clock:

- Salesforce: 1,000 lead upserts on Email (sObject Collections, 200 a call).
- Marketo: 1,000 lead syncs (Sync Leads, 300 a call).
- Zendesk: 1,000 tickets through create_many (100 a job, jobs run 0.5 s).
- Zendesk: 100 single tickets under a tight limit (20 requests a second).

For each: API calls served, throttled answers (429s, 606/615, ...), wall
time, and the ratio to the floor `max(calls / rate, ceil(calls /
concurrency) x latency)` (+ the job time where the API runs jobs), with
`calls` the calls the simulator served to that client and rate and
concurrency the vendor's. A sliding window lets a burst of up to its size
through at once, so `calls / rate` overstates what a short job needs: a
ratio under 1 says the job fit in one window.

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
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handoff_marketo import MarketoConnector
from handoff_marketo.simulator import MarketoSimulator
from handoff_salesforce import SalesforceConnector
from handoff_salesforce.simulator import SalesforceSimulator
from handoff_zendesk import ZendeskConnector
from handoff_zendesk.simulator import ZendeskSimulator

from handoff_sdk import Connector, DictSecrets, SystemClock, connector_http_client
from handoff_sdk.entities import Case, Lead
from handoff_sdk.testing import Limits, RateWindow, Simulator, SimulatorServer

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


@dataclass
class Row:
    job: str
    who: str
    calls: int
    throttled: int
    seconds: float
    floor: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor else float("nan")


def floor(
    calls: int, rate: float, concurrency: int, latency: float, job_time: float = 0.0
) -> float:
    """max(calls / rate, ceil(calls / concurrency) x latency), plus the job time."""
    return max(calls / rate, math.ceil(calls / concurrency) * latency) + job_time


def connector(
    cls: type[Connector], simulator: Simulator, server: SimulatorServer, **extra: Any
) -> Connector:
    config = cls.config_model.model_validate({**simulator.connector_config(server.url), **extra})
    return cls(
        config=config,
        secrets=DictSecrets(cls.name, simulator.connector_secrets()),
        http=connector_http_client(cls, config, verify=server.verify),
        clock=SystemClock(),
    )


async def timed_async(make: Callable[[], Any]) -> float:
    started = time.perf_counter()
    await make()
    return time.perf_counter() - started


def timed(make: Callable[[], Any]) -> float:
    started = time.perf_counter()
    make()
    return time.perf_counter() - started


def row(  # noqa: PLR0917 - one row's figures, read in the order the table prints them
    job: str,
    who: str,
    simulator: Simulator,
    seconds: float,
    rate: float,
    conc: int,
    latency: float,
    job_time: float = 0.0,
) -> Row:
    calls = len(simulator.log)
    refused = [s for s in simulator.log if s.status >= 400 and not s.throttled]
    assert not refused, f"{who}: {len(refused)} calls refused ({refused[0].refusal})"
    return Row(
        job,
        who,
        calls,
        len(simulator.throttled()),
        seconds,
        floor(calls, rate, conc, latency, job_time),
    )


# -- Salesforce ------------------------------------------------------------------------------


async def salesforce_handoff(latency: float) -> Row:
    simulator = SalesforceSimulator(latency=latency)
    async with SimulatorServer(simulator, tls=True) as server:
        sf = connector(SalesforceConnector, simulator, server)
        seconds = await timed_async(lambda: sf.handoff_upsert_leads(LEADS, "bench"))  # type: ignore[attr-defined]
        await sf.http.aclose()
    return row("Salesforce: 1,000 lead upserts", "handoff", simulator, seconds, 25, 10, latency)


def salesforce_peer(latency: float) -> Row:
    import requests  # noqa: PLC0415 - bench group only
    from simple_salesforce import Salesforce  # noqa: PLC0415

    simulator = SalesforceSimulator(latency=latency)
    with SimulatorServer(simulator, tls=True) as server:
        context = server.verify

        class TrustSimulator(requests.adapters.HTTPAdapter):
            def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                kwargs["ssl_context"] = context
                super().init_poolmanager(*args, **kwargs)

        session = requests.Session()
        session.mount("https://", TrustSimulator())
        secrets = simulator.connector_secrets()

        def job() -> None:
            token = session.post(
                f"{server.url}/services/oauth2/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": simulator.account.settings["client_id"],
                    "client_secret": secrets["client_secret"],
                    "refresh_token": secrets["refresh_token"],
                },
            ).json()["access_token"]
            sf = Salesforce(
                instance_url=server.url, session_id=token, session=session, version="61.0"
            )
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
    return row(
        "Salesforce: 1,000 lead upserts", "simple-salesforce", simulator, seconds, 25, 10, latency
    )


# -- Marketo ---------------------------------------------------------------------------------


async def marketo_handoff(latency: float) -> Row:
    simulator = MarketoSimulator(latency=latency)
    async with SimulatorServer(simulator, tls=True) as server:
        mk = connector(MarketoConnector, simulator, server)
        seconds = await timed_async(lambda: mk.handoff_upsert_leads(LEADS, "bench"))  # type: ignore[attr-defined]
        await mk.http.aclose()
    return row("Marketo: 1,000 lead syncs", "handoff", simulator, seconds, 5, 10, latency)


def marketo_peer(latency: float) -> Row:
    from marketorestpython.client import MarketoClient  # noqa: PLC0415 - bench group only

    simulator = MarketoSimulator(latency=latency)
    with SimulatorServer(simulator) as server:
        secrets = simulator.connector_secrets()
        mc = MarketoClient(
            "123-SIM-456", simulator.account.settings["client_id"], secrets["client_secret"]
        )
        mc.host = server.url
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

        seconds = timed(job)
    return row("Marketo: 1,000 lead syncs", "marketorestpython", simulator, seconds, 5, 10, latency)


# -- Zendesk ---------------------------------------------------------------------------------

JOB_SECONDS = 0.5
TIGHT = Limits(windows=(RateWindow(20, 1.0, name="minute"),))


async def zendesk_bulk_handoff(latency: float) -> Row:
    simulator = ZendeskSimulator(latency=latency)
    simulator.job_seconds = JOB_SECONDS
    async with SimulatorServer(simulator) as server:
        zd = connector(ZendeskConnector, simulator, server)
        seconds = await timed_async(lambda: zd.create_many_tickets(TICKETS, "bench"))  # type: ignore[attr-defined]
        await zd.http.aclose()
    return row(
        "Zendesk: 1,000 tickets, create_many",
        "handoff",
        simulator,
        seconds,
        200 / 60,
        5,
        latency,
        JOB_SECONDS,
    )


async def zendesk_singles_handoff(latency: float) -> Row:
    simulator = ZendeskSimulator(latency=latency, limits=TIGHT)
    async with SimulatorServer(simulator) as server:
        zd = connector(
            ZendeskConnector,
            simulator,
            server,
            rate_limit={"requests": 20, "per_seconds": 1, "concurrency": 5},
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
    return row("Zendesk: 100 single tickets, 20/s", "handoff", simulator, seconds, 20, 5, latency)


def zenpy_client(server: SimulatorServer, simulator: ZendeskSimulator) -> Any:
    from zenpy import Zenpy  # noqa: PLC0415 - bench group only

    scheme, _, netloc = server.url.partition("://")
    os.environ["ZENPY_FORCE_SCHEME"] = scheme
    os.environ["ZENPY_FORCE_NETLOC"] = netloc
    return Zenpy(
        subdomain="sim",
        email=simulator.account.settings["email"],
        token=simulator.account.secrets["api_token"],
    )


def zendesk_bulk_peer(latency: float) -> Row:
    from zenpy.lib.api_objects import Comment, Ticket  # noqa: PLC0415 - bench group only

    simulator = ZendeskSimulator(latency=latency)
    simulator.job_seconds = JOB_SECONDS
    with SimulatorServer(simulator) as server:
        client = zenpy_client(server, simulator)

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

        seconds = timed(job)
    return row(
        "Zendesk: 1,000 tickets, create_many",
        "zenpy",
        simulator,
        seconds,
        200 / 60,
        5,
        latency,
        JOB_SECONDS,
    )


def zendesk_singles_peer(latency: float) -> Row:
    from zenpy.lib.api_objects import Comment, Ticket  # noqa: PLC0415 - bench group only

    simulator = ZendeskSimulator(latency=latency, limits=TIGHT)
    with SimulatorServer(simulator) as server:
        client = zenpy_client(server, simulator)

        def job() -> None:
            for t in TICKETS[:100]:
                client.tickets.create(
                    Ticket(subject=t.subject, comment=Comment(body=t.description))
                )

        seconds = timed(job)
    return row("Zendesk: 100 single tickets, 20/s", "zenpy", simulator, seconds, 20, 5, latency)


# -- the table -------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    header = f"| {'job':38} | {'client':18} | calls | throttled | seconds | floor s | x floor |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in rows:
        print(
            f"| {r.job:38} | {r.who:18} | {r.calls:5} | {r.throttled:9} | {r.seconds:7.2f} | "
            f"{r.floor:7.2f} | {r.ratio:7.2f} |"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--skip-peers", action="store_true", help="handoff's paths only")
    args = parser.parse_args()
    rows: list[Row] = []
    for ours, peer in (
        (salesforce_handoff, salesforce_peer),
        (marketo_handoff, marketo_peer),
        (zendesk_bulk_handoff, zendesk_bulk_peer),
        (zendesk_singles_handoff, zendesk_singles_peer),
    ):
        rows.append(await ours(args.latency))
        if not args.skip_peers:
            rows.append(await asyncio.to_thread(peer, args.latency))
    print_table(rows)


if __name__ == "__main__":
    asyncio.run(main())
