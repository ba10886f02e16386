"""The accounts flow's world: the hub wired to the Salesforce, Slack, Gainsight and
PathFactory simulators (HTTPS on loopback) and the SMTP relay simulator, as `handoff serve`
assembles it from a handoff.toml."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from handoff_email.simulator import EmailSimulator
from handoff_gainsight.simulator import GainsightSimulator
from handoff_pathfactory.simulator import PathfactorySimulator
from handoff_salesforce.simulator import SalesforceSimulator
from handoff_slack.simulator import SlackSimulator

from handoff.config import load_config
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk import DictSecrets, FakeClock
from handoff_sdk.testing import SimulatorServer

sys.path.insert(0, str(Path(__file__).parent))

from accounts_world import ACCOUNT_FIELDS, WEBHOOK_SECRET, World, playbook_tables


@pytest.fixture
def tables() -> dict[str, Any]:
    """The flow's tables of the hub under test (a test overrides it)."""
    return playbook_tables()


@pytest.fixture
async def world(tmp_path: Path, clock: FakeClock, tables: dict[str, Any]) -> AsyncIterator[World]:
    sims: dict[str, Any] = {
        "salesforce": SalesforceSimulator(clock=clock),
        "slack": SlackSimulator(clock=clock),
        "gainsight": GainsightSimulator(clock=clock),
        "pathfactory": PathfactorySimulator(clock=clock),
    }
    email = EmailSimulator(clock=clock)
    async with AsyncExitStack() as stack:
        servers = {
            name: await stack.enter_async_context(SimulatorServer(sim, tls=True))
            for name, sim in sims.items()
        }
        url = email.start()
        stack.callback(email.stop)
        connectors: dict[str, Any] = {
            name: sim.connector_config(servers[name].url) for name, sim in sims.items()
        }
        for name, server in servers.items():
            assert server.certificate is not None
            connectors[name]["ca_file"] = str(server.certificate.cert_file)
        connectors["salesforce"]["account_fields"] = ACCOUNT_FIELDS
        connectors["salesforce"]["case_idempotency_field"] = "Handoff_Key__c"
        connectors["email"] = {
            k: v for k, v in email.connector_config(url).items() if v is not None
        }
        config_data = {
            "store": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
            "connectors": connectors,
            **tables,
        }
        path = tmp_path / "handoff.toml"
        path.write_text(tomli_w.dumps(config_data))
        config = load_config(path)
        secrets = {name: sim.connector_secrets() for name, sim in sims.items()}
        secrets["email"] = email.connector_secrets()
        for name in ("gainsight", "pathfactory"):
            secrets[name]["webhook_secret"] = WEBHOOK_SECRET
        hub = Hub(
            config,
            secrets=lambda name: DictSecrets(name, secrets[name]),
            clock=clock,
            transport=lambda name: httpx.AsyncHTTPTransport(
                verify=servers[name].verify if name in servers else True
            ),
        )
        stack.push_async_callback(hub.aclose)
        store = Store(str(config.store.url))
        upgrade(store)
        flows = FlowSet(Services(config, store, clock, lambda: hub))
        app = create_app(
            store,
            config=config,
            hub=hub,
            clock=clock,
            events=flows.event_handler(),
            handlers=flows.job_runners(),
            periodic=flows.periodic(),
        )
        worker = Worker(
            store, hub=hub, clock=clock, events=flows.event_handler(), handlers=flows.job_runners()
        )
        yield World(path, store, hub, app, worker, flows, sims["salesforce"], sims["slack"], email)
        store.dispose()
