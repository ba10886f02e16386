"""The weekly re-rank's (P3) CPU per account in the hub process alone, without the network.

    .venv/bin/python benchmarks/bench_rank_page.py [--accounts 20000]

What the hub does with each page of 2,000 pooled accounts, timed in CPU
seconds per phase (`time.process_time`), on a SQLite file: the SOQL page's
JSON read, the connector's mapping to Account, the page stored as a
`hub.accounts_rerank_page` event, read back and decided by the accounts
flow's `RankHandler` (rank, plan, decisions, rank rows, history, the write
jobs), then the write jobs' arguments decoded and their request bodies
built. Every account is off its auto rank (all of them written), as in
`bench_rerank.py --changed 1.0`. CPU time, unlike wall time, holds steady
on a machine others share: compare two versions back to back with it.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime

from handoff_salesforce import mapping
from handoff_salesforce.config import AccountFields
from sqlalchemy import select

from handoff.accounts.playbooks import load_playbook
from handoff.accounts.rank_handler import RankHandler
from handoff.accounts.runners import compact
from handoff.runtime import record_events
from handoff.runtime.events import decide_event
from handoff.runtime.jobs import decode_hook_arguments
from handoff.store import EventRecord, Job, Store, upgrade
from handoff_sdk.entities import Event

PAGE = 2000
OWNER = "005000000000077AAA"
INDUSTRIES = ["SaaS", "FinTech", "Healthcare", "Retail", "Manufacturing", "Education"]
HISTORY = "Account_Rank_Notes_History__c"


def record(n: int, draw: random.Random) -> dict[str, object]:
    """One pooled account as Salesforce's query answers it (synthetic figures)."""
    return {
        "attributes": {"type": "Account", "url": f"/services/data/v60.0/sobjects/Account/{n}"},
        "Id": f"001{1_000_000 + n:012d}AAA",
        "Name": f"Pooled Bench {n}",
        "Website": f"https://bench{n}.example",
        "NumberOfEmployees": 20,
        "BillingCountry": "US",
        "BillingState": "CA",
        "Type": "Customer",
        "OwnerId": OWNER,
        "Sales_Segment__c": "SMB",
        "Pooled_Rank__c": None,
        HISTORY: None,
        "LastModifiedDate": "2025-01-01T00:00:00.000+0000",
        "LastModifiedBy": {"Name": "Someone"},
        "Industry": draw.choice(INDUSTRIES),
        "CARR__c": float(draw.randrange(100, 1000)),
        "Total_Funding__c": float(draw.choice([0, 5e6, 25e6, 50e6, 150e6]))
        if draw.random() < 0.7
        else None,
        "LAM_Dev_Count__c": draw.randrange(0, 160),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    count = parser.parse_args().accounts // PAGE * PAGE
    settings = load_playbook("gitlab").accounts
    assert settings is not None
    fields = AccountFields(
        tier="Pooled_Rank__c",
        carr="CARR__c",
        total_funding="Total_Funding__c",
        lam_dev_count="LAM_Dev_Count__c",
        segment="Sales_Segment__c",
    )
    draw = random.Random(2026)
    pages = [
        json.dumps({"records": [record(p * PAGE + i, draw) for i in range(PAGE)]}).encode()
        for p in range(count // PAGE)
    ]
    store = Store(f"sqlite:///{tempfile.mkdtemp(prefix='handoff-bench-')}/hub.db")
    upgrade(store)
    now = datetime(2026, 1, 5, 10, tzinfo=UTC)
    handler = RankHandler(settings)
    spent: defaultdict[str, float] = defaultdict(float)

    def clocked(name: str, started: float) -> None:
        spent[name] += time.process_time() - started

    for number, raw in enumerate(pages):
        started = time.process_time()
        body = json.loads(raw)
        clocked("1 the page's JSON", started)
        started = time.process_time()
        accounts = [mapping.record_to_account(r, fields, [HISTORY]) for r in body["records"]]
        clocked("2 the connector's mapping", started)
        started = time.process_time()
        event = Event(
            type="hub.accounts_rerank_page",
            source="hub",
            dedupe_key=f"bench:{number}",
            occurred_at=now,
            payload={
                "run": "bench",
                "page": number,
                "owner_id": OWNER,
                "accounts": [compact(a) for a in accounts],
                "subject": {"type": "rerank", "id": "bench"},
            },
        )
        with store.transaction() as session:
            record_events(session, [event], now=now)
        clocked("3 the page event stored", started)
        started = time.process_time()
        with store.transaction() as session:
            stored = session.scalar(
                select(EventRecord).where(EventRecord.dedupe_key == f"bench:{number}")
            )
            assert stored is not None
            decide_event(session, handler, stored, {}, now)
        clocked("4 read back and decided", started)
    started = time.process_time()
    written = 0
    with store.sessions() as session:
        jobs = list(session.scalars(select(Job).where(Job.hook == "handoff_update_accounts")))
    for job in jobs:
        updates = decode_hook_arguments("handoff_update_accounts", job.payload)["updates"]
        for start in range(0, len(updates), 200):
            json.dumps(
                {
                    "allOrNone": False,
                    "records": [
                        {"id": u.account_id, "Pooled_Rank__c": u.tier, **u.fields}
                        for u in updates[start : start + 200]
                    ],
                }
            )
        written += len(updates)
    clocked("5 the write jobs' bodies", started)
    store.dispose()
    total = sum(spent.values())
    for name, seconds in sorted(spent.items()):
        print(f"{name:<28} {seconds:6.2f} s  {1e6 * seconds / count:6.1f} us an account")
    print(f"{'total':<28} {total:6.2f} s  {1e6 * total / count:6.1f} us an account")
    print(f"accounts {count}, written {written}")


if __name__ == "__main__":
    main()
