"""The weekly re-rank (P3) of 100,000 pooled accounts against the Salesforce simulator.

    .venv/bin/python benchmarks/bench_rerank.py [--accounts 100000] [--changed 1.0]
                                                [--latency 0.05] [--workers 0]

The simulator serves from a process of its own (as Salesforce's servers do
not share the hub's interpreter), over TLS, with `--latency` seconds added to
every answer, holding `--accounts` pooled accounts (SMB, CARR under $1k,
owned by the Pooled Sales User) with synthetic figures. `--changed` is the
share whose tier in the CRM differs from their auto rank (1.0: a first run,
every account written; 0.05: a usual week).

What runs is what the worker runs: the `accounts.rerank` job reads the pool
page by page (SOQL, 2,000 a page, `nextRecordsUrl`) and stores each page as
an event; the worker, started beside it, decides each page (rank, history,
decisions) and writes the changes in `handoff_update_accounts` jobs of 2,000
(sObject Collections, 200 a call, the connector's concurrency). The clock
stops when the last write job is done.

`--workers 0` (the default) runs the worker in the bench's own process,
beside the read, as `handoff serve --with-worker` does on one machine: one
interpreter for everything. `--workers N` starts N `handoff worker`
processes (the real command, on the same handoff.toml and SQLite file), as
deploy/ runs them beside `handoff serve` (docs/deployment.md): the bench's
process reads the pool and stores the pages, as the worker running the
`accounts.rerank` job does, and the worker processes decide the pages and
write the changes.

Printed: the calls the simulator served (the token, the Pooled Sales User's
look-up, the query pages, the writes) beside the fewest possible (`1 + 1 +
ceil(accounts / 2000) + ceil(changed / 200)`; a token more for each worker
process, which logs in itself), and the time beside the
floor, `max(calls / rate, ceil(calls / concurrency) x latency)` with the
connector's budget (25 a second, 10 at once), and the round-trip floor of
the reads, which cannot overlap (each page's URL comes in the page before).
`hub_cpu_seconds` is the hub's CPU time over the run, every thread of the
bench's process plus the worker processes' (their CPU while the run lasts,
read from /proc, not their start-up): on a machine whose cores others
share, wall time is that plus the waiting for a core, so the load average
is printed beside it. `simulator_cpu_seconds` is the simulator process's
over the run: Salesforce's servers would not use the hub's cores, this one
does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import tomli_w
from handoff_salesforce.simulator import SalesforceSimulator, sfid

from handoff.accounts.flow import ACCOUNTS
from handoff.accounts.playbooks import load_playbook, playbook_path
from handoff.accounts.runners import read_pool
from handoff.accounts.tiers import account_facts, rank
from handoff.config import load_config
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker, job_counts
from handoff.secret_store import SecretStore
from handoff.store import Store, upgrade
from handoff_sdk import SystemClock
from handoff_sdk.entities import Account
from handoff_sdk.testing import SimulatorProcess
from handoff_sdk.testing.simulator import Served

HERE = str(Path(__file__).resolve().parent)
"""This folder: the simulator process imports `bench_rerank` from it."""
RATE, CONCURRENCY = 25.0, 10
"""The Salesforce connector's own budget: 25 requests a second, 10 at once."""
PAGE, BATCH = 2000, 200
FIELDS = {
    "tier": "Pooled_Rank__c",
    "carr": "CARR__c",
    "total_funding": "Total_Funding__c",
    "lam_dev_count": "LAM_Dev_Count__c",
    "segment": "Sales_Segment__c",
}
INDUSTRIES = ["SaaS", "FinTech", "Healthcare", "Retail", "Manufacturing", "Education"]


class PooledOrg(SalesforceSimulator):
    """The synthetic org, plus BENCH_ACCOUNTS pooled accounts (BENCH_CHANGED of them off-tier)."""

    def seed(self) -> None:
        """The usual org, then the pooled accounts, deterministic (one seed)."""
        super().seed()
        count = int(os.environ.get("BENCH_ACCOUNTS", "100000"))
        changed = float(os.environ.get("BENCH_CHANGED", "1.0"))
        settings = load_playbook("gitlab").accounts
        assert settings is not None
        draw = random.Random(2026)
        pooled = sfid("005", 77)
        accounts = self.account.data["Account"]
        tiers = settings.tier_names()
        for n in range(count):
            figures: dict[str, Any] = {
                "CARR__c": float(draw.randrange(100, 1000)),
                "Total_Funding__c": float(draw.choice([0, 5e6, 25e6, 50e6, 150e6]))
                if draw.random() < 0.7
                else None,
                "LAM_Dev_Count__c": draw.randrange(0, 160),
                "Industry": draw.choice(INDUSTRIES),
            }
            auto = rank(
                account_facts(
                    Account(
                        name="x",
                        carr=figures["CARR__c"],
                        total_funding=figures["Total_Funding__c"],
                        lam_dev_count=figures["LAM_Dev_Count__c"],
                        industry=figures["Industry"],
                    )
                ),
                settings.tiers,
            ).tier
            off = draw.random() < changed
            current = None if off and changed >= 1.0 else auto
            if off and current is not None:
                current = next(t for t in tiers if t != auto)
            accounts.append(
                {
                    "Id": sfid("001", 1_000_000 + n),
                    "Name": f"Pooled Bench {n}",
                    "Website": f"https://bench{n}.example",
                    "NumberOfEmployees": 20,
                    "BillingCountry": "US",
                    "BillingState": "CA",
                    "Type": "Customer",
                    "OwnerId": pooled,
                    "Sales_Segment__c": "SMB",
                    "Pooled_Rank__c": current,
                    "Account_Rank_Notes_History__c": None,
                    "LastModifiedDate": "2025-01-01T00:00:00.000+0000",
                    "LastModifiedById": sfid("005", 10),
                    **figures,
                }
            )


def pooled_org(latency: float = 0.0) -> PooledOrg:
    """The simulator process's factory (`bench_rerank:pooled_org`)."""
    return PooledOrg(latency=latency)


def served(process: SimulatorProcess) -> list[Served]:
    """Every call the simulator process answered."""
    context = None
    if process.ca_file is not None:
        context = ssl.create_default_context(cafile=str(process.ca_file))
    url = f"{process.url}/_simulator/log"
    with urllib.request.urlopen(url, context=context, timeout=60) as answer:  # noqa: S310
        return [Served(**row) for row in json.loads(answer.read())]


def floor(calls: int, latency: float) -> float:
    """The issue's floor: max(calls / rate, ceil(calls / concurrency) x latency)."""
    return max(calls / RATE, math.ceil(calls / CONCURRENCY) * latency)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    here = HERE
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])),
        "BENCH_ACCOUNTS": str(args.accounts),
        "BENCH_CHANGED": str(args.changed),
    }
    process = SimulatorProcess("bench_rerank:pooled_org", tls=True, latency=args.latency, env=env)
    local = SalesforceSimulator()
    print(f"seeding {args.accounts:,} pooled accounts in the simulator...", file=sys.stderr)
    process.start()
    try:
        with tempfile.TemporaryDirectory(prefix="handoff-bench-") as folder:
            return await measure(process, local, Path(folder), args)
    finally:
        process.stop()


async def measure(
    process: SimulatorProcess, local: SalesforceSimulator, folder: Path, args: argparse.Namespace
) -> dict[str, Any]:
    connector = {
        **local.connector_config(process.url),
        "account_fields": FIELDS,
        "ca_file": str(process.ca_file),
    }
    tables = tomllib.loads(playbook_path("gitlab").read_text())
    url = f"sqlite:///{folder / 'hub.db'}"
    path = folder / "handoff.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "store": {"url": url},
                "secrets": {"backend": "file", "file": str(folder / "secrets")},
                "connectors": {"salesforce": connector},
                "accounts": tables["accounts"],
            }
        )
    )
    config = load_config(path)
    settings = ACCOUNTS.settings_of(config).accounts
    assert settings is not None
    store = Store(url)
    upgrade(store)
    clock = SystemClock()
    # In the file every process reads: the simulator rotates the refresh token at each login,
    # and the process that logs in writes the new one back for the others.
    keys = SecretStore(config.secrets)
    for name, value in local.connector_secrets().items():
        keys.set("salesforce", name, value)
    workers = start_workers(path, args.workers)
    try:
        async with Hub(config, clock=clock) as hub:
            flows = FlowSet(Services(config, store, clock, lambda: hub))
            worker = Worker(
                store,
                hub=hub,
                clock=clock,
                events=flows.event_handler(),
                handlers=flows.job_runners(),
                concurrency=10,
                poll_interval=0.05,
            )
            started = time.perf_counter()
            cpu_started = time.process_time()
            workers_started = sum(cpu_of(w.pid) for w in workers)
            simulator_started = cpu_of(simulator_pid(process))
            # In-process unless the worker processes do the deciding and writing.
            working = asyncio.create_task(worker.run()) if not workers else None
            found = await read_pool(hub, store, settings, run="bench", now=clock.now())
            read_done = time.perf_counter() - started
            while True:
                with store.sessions() as session:
                    counts = job_counts(session)
                if not counts.get("queued") and not counts.get("running"):
                    break
                await asyncio.sleep(0.05)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            workers_cpu = sum(cpu_of(w.pid) for w in workers) - workers_started
            simulator_cpu = cpu_of(simulator_pid(process)) - simulator_started
            if working is not None:
                worker.stop()
                await working
    finally:
        stop_workers(workers)
    log = await asyncio.to_thread(served, process)
    with store.sessions() as session:
        counts = job_counts(session)
    store.dispose()
    by = {
        e: sum(1 for s in log if s.endpoint == e)
        for e in ("token", "query", "query_more", "update_collection")
    }
    written = sum(len(s.body["records"]) for s in log if s.endpoint == "update_collection")
    pages = by["query"] + by["query_more"] - 1  # the user look-up is a query too
    # A token per process that calls (the reader, each worker), the user look-up, the pages,
    # the writes.
    tokens = 1 + len(workers)
    least = tokens + 1 + math.ceil(found.accounts / PAGE) + math.ceil(written / BATCH)
    calls = len(log)
    return {
        "accounts": found.accounts,
        "pages": pages,
        "written": written,
        "calls": calls,
        "least_calls": least,
        "throttled": sum(1 for s in log if s.throttled),
        "refused": sum(1 for s in log if s.status >= 400 and not s.throttled),
        "seconds": round(seconds, 2),
        "read_seconds": round(read_done, 2),
        "hub_cpu_seconds": round(cpu + workers_cpu, 2),
        "worker_processes": len(workers),
        "worker_processes_cpu_seconds": round(workers_cpu, 2),
        "simulator_cpu_seconds": round(simulator_cpu, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "floor": round(floor(calls, args.latency), 2),
        "ratio": round(seconds / floor(calls, args.latency), 2),
        "read_floor": round(pages * args.latency, 2),
        "dead_jobs": counts.get("dead", 0),
        **{f"calls_{k}": v for k, v in by.items()},
    }


def start_workers(config: Path, count: int) -> list[subprocess.Popen[str]]:
    """`count` `handoff worker` processes on the bench's handoff.toml, each up and polling.

    Their log goes to `worker-N.log` beside handoff.toml.
    """
    command = [str(Path(sys.executable).with_name("handoff")), "worker", "--config", str(config)]
    options = ["--concurrency", "10", "--poll", "0.05"]
    logs = [config.with_name(f"worker-{n}.log") for n in range(count)]
    workers = []
    for log in logs:
        with log.open("w") as out:
            workers.append(
                subprocess.Popen(  # noqa: S603 - the hub's own command
                    [*command, *options], stdout=out, stderr=out, text=True
                )
            )
    deadline = time.monotonic() + 60
    while not all("worker on" in log.read_text() for log in logs):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            stop_workers(workers)
            raise RuntimeError("handoff worker did not start: " + logs[0].read_text())
        time.sleep(0.1)
    time.sleep(3.0)  # the Hub and the flows built, the first polls made
    return workers


def simulator_pid(process: SimulatorProcess) -> int:
    """The simulator's process id: its CPU shares the machine's cores with the hub's."""
    assert process._process is not None  # started
    return process._process.pid


def cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (user and system, every thread), from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_workers(workers: list[subprocess.Popen[str]]) -> None:
    """SIGTERM (the jobs in hand finish), then wait for each."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=1.0, help="share off their auto rank")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="`handoff worker` processes deciding and writing (0: in the bench's process)",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
