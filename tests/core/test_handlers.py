"""What the worker runs follows handoff.toml: [routing] and [writeback] switch handlers on (Q3, Q11)."""

from __future__ import annotations

from pathlib import Path

from handoff.chat.identify import IdentifyVisitors
from handoff.chat.meetings import MEETING_BOOK_KIND
from handoff.chat.playbooks import playbook_path
from handoff.chat.routing.handler import AI_TAKEOVER_KIND, RoutingHandler
from handoff.chat.writeback import WRITEBACK_CONTACT_KIND, WritebackHandler
from handoff.config import HubConfig
from handoff.handlers import event_handler_for, job_runners_for
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.store import Store
from handoff_sdk import FakeClock
from handoff_sdk.secrets import DictSecrets


def kinds(handler: object) -> list[type]:
    parts = getattr(handler, "handlers", None)
    if parts is None:
        return [type(handler)]
    return [k for part in parts for k in kinds(part)]


def test_identify_only_without_routing_or_writeback(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    assert kinds(event_handler_for(HubConfig(), store)) == [IdentifyVisitors]
    assert set(job_runners_for(store, None, FakeClock())) == {AI_TAKEOVER_KIND}


async def test_q3_q11_routing_and_writeback_tables_switch_their_handlers_on(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    config = HubConfig(
        routing={"include": str(playbook_path("gitlab"))}, writeback={"enabled": True}
    )
    assert kinds(event_handler_for(config, store)) == [
        IdentifyVisitors,
        RoutingHandler,
        WritebackHandler,
    ]
    async with Hub(HubConfig(), secrets=DictSecrets, discovery=Discovery()) as hub:
        runners = job_runners_for(store, hub, FakeClock())
    assert set(runners) == {AI_TAKEOVER_KIND, WRITEBACK_CONTACT_KIND, MEETING_BOOK_KIND}
