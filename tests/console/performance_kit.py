"""Sample data for the Rep performance (Q15) and Connectors pages' screenshots
(`from performance_kit import ...`): a working day of presence, conversations and
pounces for the screenshot reps, and a day of connector calls in the hub's series."""

from __future__ import annotations

from datetime import datetime, timedelta

from handoff.chat.conversations import record_conversation_event
from handoff.chat.pounce import engage
from handoff.chat.routing.availability import set_rep_status
from handoff.connector_metrics import ConnectorMetrics
from handoff.runtime import record_events
from handoff.store import Store
from handoff_sdk import RequestRecord
from handoff_sdk.entities import Event, RepStatus

PRESENCE = {  # rep: (hour:minute UTC, status) in the day's order
    "ana": (("08:00", "online"), ("12:00", "away"), ("12:45", "online")),
    "bo": (("07:00", "online"), ("11:30", "away")),
    "cy": (("13:00", "online"),),
    "dee": (("14:00", "online"),),
}
WAITS = {  # rep: whether each visitor who waited for them got a conversation
    "ana": (True, True, False, True, True, False),
    "bo": (True, True, True),
    "cy": (True, False, True, False),
    "dee": (False,),
}


def _at(day: datetime, text: str) -> datetime:
    hour, minute = (int(p) for p in text.split(":"))
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def seed_performance(store: Store, now: datetime) -> None:
    """Presence since the morning, visitors who waited (joined or not), ana's pounces.

    ana's visitors (v-1001...) must be identified already (screenshots.seed).
    """
    with store.transaction() as session:
        for rep, changes in PRESENCE.items():
            for text, status in changes:
                set_rep_status(
                    session, rep, RepStatus(status), now=_at(now, text), actor="screenshots"
                )
        for rep, joined in WAITS.items():
            for index, answered in enumerate(joined):
                at = _at(now, f"{9 + index}:{10 + 7 * len(rep)}")
                conversation = f"c-{rep}-{index}"
                record_conversation_event(session, conversation, "routed", rep_id=rep, now=at)
                kind = "rep_joined" if answered else "timed_out"
                record_conversation_event(
                    session, conversation, kind, rep_id=rep, now=at + timedelta(seconds=20)
                )
        for visitor, text in (("v-1001", "10:00"), ("v-1002", "11:30")):
            record_events(
                session,
                [
                    Event(
                        type="hub.page_view",
                        source="hub",
                        dedupe_key=f"sample-pv-{visitor}",
                        occurred_at=_at(now, text),
                        payload={"visitor_id": visitor, "url": "https://example.com/pricing"},
                    )
                ],
                now=_at(now, text),
            )
            _event, conversation = engage(
                session, visitor, "ana", now=_at(now, text) + timedelta(minutes=2)
            )
            if visitor == "v-1001":  # the visitor answered: a successful pounce
                record_conversation_event(
                    session, conversation, "message", now=_at(now, text) + timedelta(minutes=3)
                )


def sample_connector_metrics() -> ConnectorMetrics:
    """A day of calls: Salesforce with a few failed write-backs, 6sense throttled, Zoom clean."""
    metrics = ConnectorMetrics()
    calls = {  # (connector, hook): (answered, failed, seconds of each)
        ("salesforce", "handoff_update_contacts"): (182, 3, 0.42),
        ("salesforce", "handoff_upsert_leads"): (96, 0, 0.38),
        ("6sense", "handoff_enrich_visitor"): (1204, 12, 0.11),
        ("zoom", "handoff_book_meeting"): (14, 0, 0.9),
    }
    for (connector, hook), (answered, failed, seconds) in calls.items():
        for index in range(answered + failed):
            spread = seconds * (0.6 + (index % 10) / 10)
            metrics.call_done(connector, hook, ok=index >= failed, seconds=spread)
    tries = {  # connector: (outcome, tries, retried, seconds)
        "salesforce": (
            ("ok", 278, 0, 0.35),
            ("server_error", 9, 6, 1.2),
            ("throttled", 4, 4, 0.05),
        ),
        "6sense": (
            ("ok", 1204, 0, 0.1),
            ("throttled", 37, 37, 0.02),
            ("network_error", 12, 0, 5.0),
        ),
        "zoom": (("ok", 14, 0, 0.8),),
    }
    for connector, outcomes in tries.items():
        for outcome, count, retried, seconds in outcomes:
            for index in range(count):
                metrics.record(
                    RequestRecord(
                        connector=connector,
                        method="POST",
                        outcome=outcome,  # type: ignore[arg-type]
                        status=None,
                        seconds=seconds * (0.7 + (index % 7) / 10),
                        retried=index < retried,
                    )
                )
    return metrics
