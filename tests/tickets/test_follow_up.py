"""Rule Z6 as a pure decision: ping when urgent or unanswered, copy the manager on ping 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickets_helpers import settings, ticket

from handoff.tickets.follow_up import review_ticket
from handoff_sdk.entities import Ticket, TicketComment

CONFIG = settings()
NOW = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=48)
REP = "olga@example.test"
MANAGER = "mara@example.test"


def escalated(**changes: object) -> Ticket:
    base = ticket(status="open", assignee_email=REP, assignee_id="91001", escalated=True)
    return base.model_copy(update=changes)


def review(
    item: Ticket,
    comments: list[TicketComment] | None = None,
    *,
    pings: int = 0,
    kind: str | None = "new_business",
    since: datetime = SINCE,
):
    return review_ticket(
        item,
        comments or [],
        kind=kind,
        since=since,
        pings_so_far=pings,
        manager_email=MANAGER,
        now=NOW,
        settings=CONFIG,
    )


def comment(author: str, at: datetime, *, public: bool = True) -> TicketComment:
    return TicketComment(id="1", author_id=author, public=public, body="hi", created_at=at)


def test_z6_first_ping_goes_to_sales_mentioning_the_rep_only() -> None:
    plan = review(escalated())
    assert plan.action == "ping"
    assert plan.ping == 1
    assert plan.notification is not None
    assert plan.notification.channel == "#sales"
    assert plan.notification.mentions == [REP]
    assert plan.notification.link == "https://acme.zendesk.example.test/agent/tickets/5001"


def test_z6_second_ping_copies_the_reps_manager() -> None:
    plan = review(escalated(), pings=1)
    assert plan.ping == 2
    assert plan.notification is not None
    assert plan.notification.mentions == [REP, MANAGER]
    assert "copying the rep's manager" in plan.notification.text


def test_z6_renewals_ping_account_management() -> None:
    plan = review(escalated(), kind="renewal")
    assert plan.notification is not None
    assert plan.notification.channel == "#account-management"


def test_z6_an_urgent_ticket_is_pinged_before_the_unanswered_delay() -> None:
    fresh = NOW - timedelta(hours=2)
    assert review(escalated(), since=fresh).action == "waiting"
    urgent = review(escalated(priority="urgent"), since=fresh)
    assert urgent.action == "ping"
    assert urgent.explanation["matched"] == "Z6: urgent"


def test_z6_unanswered_means_after_the_configured_hours() -> None:
    assert review(escalated(), since=NOW - timedelta(hours=23, minutes=59)).action == "waiting"
    assert review(escalated(), since=NOW - timedelta(hours=24)).action == "ping"


def test_z6_a_ticket_the_rep_answered_drops_out() -> None:
    answer = comment("91001", SINCE + timedelta(hours=1), public=False)
    plan = review(escalated(priority="urgent"), [answer])
    assert plan.action == "answered"
    assert plan.notification is None


def test_z6_a_comment_by_someone_else_or_before_the_escalation_is_no_answer() -> None:
    others = [
        comment("90001", SINCE + timedelta(hours=1)),
        comment("91001", SINCE - timedelta(hours=1)),
    ]
    assert review(escalated(), others).action == "ping"


def test_z6_solved_closed_or_unticked_tickets_drop_out() -> None:
    assert review(escalated(status="solved")).action == "closed"
    assert review(escalated(status="closed")).action == "closed"
    assert review(escalated(escalated_to_sales=False)).action == "unchecked"
