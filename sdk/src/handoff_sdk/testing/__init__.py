"""The pytest kit: cassettes, scrubbing, the secret check, the contract class and simulators.

Import what a connector's tests need from here (`from handoff_sdk.testing
import ConnectorContract, ContractCase`); the modules behind it are an
implementation detail. The pytest plugin (fixtures `connector_harness`,
`respx_harness`, `fake_clock`, `cassette_dir`) loads itself through the
`pytest11` entry point and needs no import.
"""

from __future__ import annotations

from .cassettes import (
    CassetteMiss,
    CassetteTransport,
    FaultTransport,
    cassette_interaction,
    write_cassette,
)
from .contract import CONTRACT_MODES, ConnectorContract, ContractCase, contract_modes
from .harness import Harness, build_harness, cassette_path
from .pytest_plugin import HarnessFactory
from .scrub import (
    REDACTED,
    SECRET_HEADERS,
    SECRET_KEYS,
    find_secrets,
    find_secrets_in_file,
    scrub_body,
    scrub_headers,
    scrub_url,
)
from .simulator import (
    THROTTLES,
    AnyOf,
    ApiKey,
    BasicPassword,
    Batch,
    BearerToken,
    Call,
    Endpoint,
    IssuedToken,
    Limits,
    RateWindow,
    Refusal,
    RefusalKind,
    Reply,
    Served,
    SimAccount,
    SimAuth,
    Simulator,
    SimulatorProcess,
    SimulatorServer,
    TokenStore,
    endpoint,
)
from .smtp import (
    ReceivedMessage,
    SmtpCase,
    SmtpConnectorContract,
    SmtpTestServer,
)
from .tls import TestCertificate, make_test_certificate

__all__ = [
    "CONTRACT_MODES",
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "THROTTLES",
    "AnyOf",
    "ApiKey",
    "BasicPassword",
    "Batch",
    "BearerToken",
    "Call",
    "CassetteMiss",
    "CassetteTransport",
    "ConnectorContract",
    "ContractCase",
    "Endpoint",
    "FaultTransport",
    "Harness",
    "HarnessFactory",
    "IssuedToken",
    "Limits",
    "RateWindow",
    "ReceivedMessage",
    "Refusal",
    "RefusalKind",
    "Reply",
    "Served",
    "SimAccount",
    "SimAuth",
    "Simulator",
    "SimulatorProcess",
    "SimulatorServer",
    "SmtpCase",
    "SmtpConnectorContract",
    "SmtpTestServer",
    "TestCertificate",
    "TokenStore",
    "build_harness",
    "cassette_interaction",
    "cassette_path",
    "contract_modes",
    "endpoint",
    "find_secrets",
    "find_secrets_in_file",
    "make_test_certificate",
    "scrub_body",
    "scrub_headers",
    "scrub_url",
    "write_cassette",
]
