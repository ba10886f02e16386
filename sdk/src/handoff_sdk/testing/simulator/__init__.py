"""Vendor simulators: a vendor's API as an ASGI app on a loopback port.

A connector ships one beside itself (`handoff_<name>/simulator.py`) so its
tests, the contract's real-HTTP mode and `handoff sandbox` meet the network
as in production: real sockets, the vendor's limits, tokens, error shapes and
quirks. docs/testing.md ("Simulators") walks through writing one.

    class AcmeSimulator(Simulator):
        name = "acme-crm"
        default_limits = Limits(windows=(RateWindow(60, 60.0),), concurrency=4)
        auth = ApiKey("api_key")

        def seed(self) -> None:
            self.add_account(SimAccount("acct-1", secrets={"api_key": "sim-key"},
                                        data={"accounts": [...]}))

        @endpoint("GET", "/v1/accounts", query={"domain": str, "limit?": int})
        async def accounts(self, call: Call) -> Any:
            return {"data": [a for a in call.data["accounts"]
                             if a["domain"] == call.query["domain"]]}

    with SimulatorServer(AcmeSimulator(), tls=True) as server:
        ...  # point the connector at server.url, trust server.verify
"""

from __future__ import annotations

from ._app import Simulator
from ._auth import AnyOf, ApiKey, BasicPassword, BearerToken, IssuedToken, SimAuth, TokenStore
from ._endpoint import Batch, Endpoint, endpoint
from ._model import (
    THROTTLES,
    Call,
    Limits,
    RateWindow,
    Refusal,
    RefusalKind,
    Reply,
    Served,
    SimAccount,
    WebhookDelivery,
)
from ._server import SimulatorProcess, SimulatorServer

__all__ = [
    "THROTTLES",
    "AnyOf",
    "ApiKey",
    "BasicPassword",
    "Batch",
    "BearerToken",
    "Call",
    "Endpoint",
    "IssuedToken",
    "Limits",
    "RateWindow",
    "Refusal",
    "RefusalKind",
    "Reply",
    "Served",
    "SimAccount",
    "SimAuth",
    "Simulator",
    "SimulatorProcess",
    "SimulatorServer",
    "TokenStore",
    "WebhookDelivery",
    "endpoint",
]
