"""The chat flow's registration: what the worker runs follows handoff.toml (Q3, Q11, Q12)."""

from __future__ import annotations

from pathlib import Path

from handoff.chat.flow import CHAT
from handoff.chat.identify import IdentifyVisitors
from handoff.chat.kinds import (
    AI_TAKEOVER_JOB,
    IDENTIFY_RETRY_JOB,
    MEETING_BOOK_JOB,
    WRITEBACK_CONTACT_JOB,
)
from handoff.chat.playbooks import playbook_path
from handoff.chat.routing.handler import RoutingHandler
from handoff.chat.writeback.handler import WritebackHandler
from handoff.config import HubConfig
from handoff.flows import FlowSet
from handoff.runtime import CompositeHandler, EventHandler
from handoff.store import Store
from handoff_sdk import FakeClock


def parts(handler: EventHandler) -> dict[str, type]:
    """The flow handlers under their names, and each flow's own parts under theirs."""
    assert isinstance(handler, CompositeHandler)
    found: dict[str, type] = {}
    for name, part in handler.handlers.items():
        if isinstance(part, CompositeHandler):
            found.update({f"{name}.{k}": v for k, v in parts(part).items()})
        else:
            found[name] = type(part)
    return found


def test_identify_only_without_routing_or_writeback(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    flows = FlowSet.of(store, FakeClock(), flows=[CHAT])
    assert parts(flows.event_handler()) == {"chat.identify": IdentifyVisitors}
    assert set(flows.job_runners()) == {
        AI_TAKEOVER_JOB,
        WRITEBACK_CONTACT_JOB,
        MEETING_BOOK_JOB,
        IDENTIFY_RETRY_JOB,
    }


def test_q3_q11_routing_and_writeback_tables_switch_their_handlers_on(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    config = HubConfig(
        routing={"include": str(playbook_path("gitlab"))}, writeback={"enabled": True}
    )
    assert parts(FlowSet.of(store, FakeClock(), config=config).event_handler()) == {
        "chat.identify": IdentifyVisitors,
        "chat.routing": RoutingHandler,
        "chat.writeback": WritebackHandler,
    }


def test_the_chat_flow_is_given_only_its_event_types(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    handler = FlowSet.of(store, FakeClock(), flows=[CHAT]).event_handler()
    assert isinstance(handler, CompositeHandler)
    assert handler.event_types["chat"] == frozenset(CHAT.event_types)
    assert "hub.form_submission" not in CHAT.event_types
