"""The accounts flow's test world: the hub and the simulators a test reads (see conftest)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from handoff_email.simulator import EmailSimulator
from handoff_salesforce.simulator import SalesforceSimulator
from handoff_slack.simulator import SlackSimulator

from handoff.accounts.playbooks import playbook_path
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker
from handoff.store import Store

WEBHOOK_SECRET = "synthetic-webhook-secret"
ACCOUNT_FIELDS = {
    "tier": "Pooled_Rank__c",
    "carr": "CARR__c",
    "total_funding": "Total_Funding__c",
    "lam_dev_count": "LAM_Dev_Count__c",
    "segment": "Sales_Segment__c",
}


@dataclass
class World:
    """The hub and the simulators a test reads."""

    path: Path
    store: Store
    hub: Hub
    app: FastAPI
    worker: Worker
    flows: FlowSet
    salesforce: SalesforceSimulator
    slack: SlackSimulator
    email: EmailSimulator

    async def drain(self) -> None:
        """Run the worker until nothing is due."""
        while await self.worker.run_once():
            pass


def playbook_tables() -> dict[str, Any]:
    """The playbook's [accounts] and [cases] tables, as handoff.toml would hold them."""
    data = tomllib.loads(playbook_path("gitlab").read_text())
    return {k: data[k] for k in ("accounts", "cases") if k in data}
