"""The Hub: builds the enabled connectors and is the ONE place capabilities are awaited.

Core code never calls pluggy directly; it asks the Hub, through one typed
method per capability (tox's pattern): `find_person(connector, email)`,
`upsert_leads(connector, leads, idempotency_key)`, ... for one named connector
(write to Salesforce), and `enrich_visitor_all(visitor)`, ... for every enabled
connector that implements the hook (enrich from everyone), each failure of one
connector returned as its outcome so it does not hide another's answer. mypy
checks every call site against the hook specs, and the Hub checks every answer
against its spec's return type, so no call site narrows an `Any` by hand.

Underneath, `call(connector, hook, **arguments)` and `call_all(hook, ...)` are
the untyped forms, for the worker's hook jobs (`JobSpec.call(connector, hook,
key, ...)` takes its arguments in the same order).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar, get_type_hints

import httpx
import pluggy
from pydantic import TypeAdapter, ValidationError

from handoff.config import HubConfig, validate_connector_config
from handoff.connector_metrics import ConnectorMetrics
from handoff.errors import HandoffError, UnknownConnectorError
from handoff.plugins import Discovery, discover, new_plugin_manager
from handoff.secret_store import SecretStore
from handoff_sdk import (
    Clock,
    Connector,
    ConnectorError,
    SecretAccess,
    SystemClock,
    connector_http_client,
    hookspecs,
)
from handoff_sdk.entities import (
    Account,
    AccountCriterion,
    AccountPage,
    AccountUpdate,
    BusySlot,
    Case,
    Contact,
    CrmActivity,
    Event,
    Firmographics,
    Lead,
    Meeting,
    ModelReply,
    Notification,
    Opportunity,
    PollResult,
    Program,
    Rep,
    ReplyPrompt,
    SequenceState,
    Ticket,
    TicketComment,
    TicketUpdate,
    User,
    Visitor,
    WebhookRequest,
    WriteResult,
)
from handoff_sdk.hookspecs import CAPABILITY_HOOKS, implemented_capabilities

__all__ = ["HookAnswerError", "HookOutcome", "Hub", "TransportFactory"]

T = TypeVar("T")

TransportFactory = Callable[[str], httpx.AsyncBaseTransport | None]
SecretsFactory = Callable[[str], SecretAccess]


@dataclass(frozen=True)
class HookOutcome(Generic[T]):
    """One connector's answer to a hook: its value, or the error it raised."""

    connector: str
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the connector answered without raising."""
        return self.error is None


class HookAnswerError(ConnectorError):
    """A connector answered a hook with a value its spec does not allow: a bug in that connector."""


@cache
def _answer_adapter(hook: str) -> TypeAdapter[Any]:
    return TypeAdapter(get_type_hints(getattr(hookspecs, hook))["return"])


def _checked(connector: str, hook: str, value: Any) -> Any:
    """The answer as the hook's declared return type; a HookAnswerError naming both when not."""
    try:
        return _answer_adapter(hook).validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise HookAnswerError(
            connector, f"{hook} answered a {type(value).__name__}, not what it declares ({problem})"
        ) from None


class Hub:
    """The enabled connectors, each with its config, secrets and an HTTP client the hub owns."""

    def __init__(
        self,
        config: HubConfig,
        *,
        secrets: SecretStore | SecretsFactory | None = None,
        clock: Clock | None = None,
        transport: TransportFactory | None = None,
        discovery: Discovery | None = None,
        timeout: float = 30.0,
        metrics: ConnectorMetrics | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics or ConnectorMetrics()
        """Every capability call and HTTP try of these connectors, for /metrics."""
        self.clock = clock or SystemClock()
        self.discovery = discovery or discover()
        self._pm: pluggy.PluginManager = new_plugin_manager()
        self.connectors: dict[str, Connector] = {}
        self._clients: list[httpx.AsyncClient] = []
        store = secrets if secrets is not None else SecretStore(config.secrets)
        secrets_for: SecretsFactory = (
            store.for_connector if isinstance(store, SecretStore) else store
        )
        for name in config.enabled():
            settings = config.connectors[name]
            conn_config = validate_connector_config(
                name, settings, self.discovery.connectors, config.path
            )
            cls = self.discovery.connectors[name]
            client = connector_http_client(
                cls,
                conn_config,
                transport=transport(name) if transport is not None else None,
                timeout=timeout,
            )
            self._clients.append(client)
            instance = cls(
                config=conn_config,
                secrets=secrets_for(name),
                http=client,
                clock=self.clock,
                sink=self.metrics,
            )
            self.connectors[name] = instance
            self.metrics.prepare(name, implemented_capabilities(cls))
            self._pm.register(instance, name=name)
        self._pm.check_pending()

    def implementing(self, hook: str) -> list[str]:
        """Enabled connectors that implement `hook`, in config order."""
        self._check_hook(hook)
        return [n for n, c in self.connectors.items() if hook in implemented_capabilities(type(c))]

    @staticmethod
    def _check_hook(hook: str) -> None:
        if hook not in CAPABILITY_HOOKS:
            raise HandoffError(f"no such capability hook: {hook}")

    def _impl(self, hook: str, connector: str) -> Callable[..., Any]:
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            if impl.plugin_name == connector:
                return impl.function  # type: ignore[no-any-return]
        if connector not in self.connectors:
            raise UnknownConnectorError(connector, list(self.connectors), "enabled: ")
        raise HandoffError(f"connector '{connector}' does not implement {hook}")

    async def call(self, connector: str, hook: str, **arguments: Any) -> Any:
        """Await one connector's capability; its answer checked, its errors raised to the caller.

        The untyped form: code that knows the hook calls its typed method.
        Every call is counted in `metrics` by outcome, with its duration.
        """
        self._check_hook(hook)
        impl = self._impl(hook, connector)
        started = self.clock.monotonic()
        error = "cancelled"
        ok = False
        try:
            answer = _checked(connector, hook, await impl(**arguments))
            ok = True
            return answer
        except Exception as exc:
            error = " ".join(str(exc).split())[:300] or type(exc).__name__
            raise
        finally:
            ended = self.clock.monotonic()
            self.metrics.call_done(
                connector, hook, ok=ok, seconds=max(0.0, ended - started), at=ended, error=error
            )

    async def call_all(self, hook: str, **arguments: Any) -> list[HookOutcome[Any]]:
        """Await every implementing connector concurrently; their failures are returned.

        A failure is what the SDK raises for an outside system (ConnectorError,
        httpx.HTTPError) or a wrong answer (HookAnswerError); anything else is
        a bug in the hub or the connector, and is raised.
        """
        names = self.implementing(hook)

        async def one(name: str) -> HookOutcome[Any]:
            try:
                return HookOutcome(name, await self.call(name, hook, **arguments))
            except (ConnectorError, httpx.HTTPError) as exc:
                return HookOutcome(name, error=exc)

        return list(await asyncio.gather(*(one(n) for n in names)))

    # -- the typed front door: one method per capability (docs/hooks.md) --------------------

    async def enrich_visitor(self, connector: str, visitor: Visitor) -> Firmographics | None:
        """A visitor's firmographics from one enricher (Q1)."""
        found: Firmographics | None = await self.call(
            connector, "handoff_enrich_visitor", visitor=visitor
        )
        return found

    async def enrich_visitor_all(self, visitor: Visitor) -> list[HookOutcome[Firmographics]]:
        """A visitor's firmographics from every enabled enricher, failures isolated (Q1)."""
        return await self.call_all("handoff_enrich_visitor", visitor=visitor)

    async def match_account(
        self, connector: str, *, email_domain: str | None, website: str | None
    ) -> Account | None:
        """The CRM account whose web domain matches (Q1, Z2)."""
        found: Account | None = await self.call(
            connector, "handoff_match_account", email_domain=email_domain, website=website
        )
        return found

    async def find_person(self, connector: str, email: str) -> Lead | Contact | None:
        """The Lead or Contact with this email; a Contact wins over a Lead (Q1, Q11)."""
        found: Lead | Contact | None = await self.call(
            connector, "handoff_find_person", email=email
        )
        return found

    async def upsert_leads(
        self, connector: str, leads: Sequence[Lead], idempotency_key: str
    ) -> list[WriteResult]:
        """Create or update leads; one result per lead, in order (Q11, D1)."""
        results: list[WriteResult] = await self.call(
            connector, "handoff_upsert_leads", leads=leads, idempotency_key=idempotency_key
        )
        return results

    async def update_contacts(
        self, connector: str, contacts: Sequence[Contact], idempotency_key: str
    ) -> list[WriteResult]:
        """Change fields on existing contacts; one result per contact, in order (Q11)."""
        results: list[WriteResult] = await self.call(
            connector, "handoff_update_contacts", contacts=contacts, idempotency_key=idempotency_key
        )
        return results

    async def update_accounts(
        self, connector: str, updates: Sequence[AccountUpdate], idempotency_key: str
    ) -> list[WriteResult]:
        """Change fields on existing accounts; one result per update, in order (P3, Q14)."""
        results: list[WriteResult] = await self.call(
            connector, "handoff_update_accounts", updates=updates, idempotency_key=idempotency_key
        )
        return results

    async def list_accounts(
        self,
        connector: str,
        where: Sequence[AccountCriterion],
        fields: Sequence[str],
        cursor: str | None,
    ) -> AccountPage:
        """One page of the accounts meeting every criterion, with `fields` (P1, P3)."""
        page: AccountPage = await self.call(
            connector, "handoff_list_accounts", where=where, fields=fields, cursor=cursor
        )
        return page

    async def create_case(self, connector: str, case: Case, idempotency_key: str) -> WriteResult:
        """Open a support case (P4-P6)."""
        result: WriteResult = await self.call(
            connector, "handoff_create_case", case=case, idempotency_key=idempotency_key
        )
        return result

    async def list_programs(self, connector: str) -> list[Program]:
        """The marketing programs, with their tags (Q13)."""
        programs: list[Program] = await self.call(connector, "handoff_list_programs")
        return programs

    async def sequence_state_all(self, email: str) -> list[HookOutcome[SequenceState]]:
        """The person's sequence from every enabled sequencer, failures isolated (Q3a)."""
        return await self.call_all("handoff_sequence_state", email=email)

    async def sequence_state(self, connector: str, email: str) -> SequenceState | None:
        """The person's current sequence and who runs it, from one sequencer (Q3a)."""
        state: SequenceState | None = await self.call(
            connector, "handoff_sequence_state", email=email
        )
        return state

    async def rep_busy(
        self, connector: str, rep: Rep, start: datetime, end: datetime
    ) -> list[BusySlot]:
        """A rep's busy times in [start, end) from one calendar (Q3, Q12)."""
        busy: list[BusySlot] = await self.call(
            connector, "handoff_rep_busy", rep=rep, start=start, end=end
        )
        return busy

    async def rep_busy_all(
        self, rep: Rep, start: datetime, end: datetime
    ) -> list[HookOutcome[list[BusySlot]]]:
        """A rep's busy times from every enabled calendar, failures isolated (Q3, Q12)."""
        return await self.call_all("handoff_rep_busy", rep=rep, start=start, end=end)

    async def book_meeting(self, connector: str, meeting: Meeting, idempotency_key: str) -> Meeting:
        """Put a meeting on a calendar (or create a video meeting); it, with ids and link (Q12)."""
        booked: Meeting = await self.call(
            connector, "handoff_book_meeting", meeting=meeting, idempotency_key=idempotency_key
        )
        return booked

    async def parse_webhook(self, connector: str, request: WebhookRequest) -> list[Event]:
        """A received webhook, its signature verified, as events."""
        events: list[Event] = await self.call(connector, "handoff_parse_webhook", request=request)
        return events

    async def poll_events(self, connector: str, cursor: str | None) -> PollResult:
        """The events since `cursor` (None: from now) and the cursor to continue from."""
        result: PollResult = await self.call(connector, "handoff_poll_events", cursor=cursor)
        return result

    async def send_notification(
        self, connector: str, notification: Notification, idempotency_key: str
    ) -> WriteResult:
        """Tell people: a Slack post, an email (P5, Z6, D2)."""
        result: WriteResult = await self.call(
            connector,
            "handoff_send_notification",
            notification=notification,
            idempotency_key=idempotency_key,
        )
        return result

    async def get_ticket(self, connector: str, ticket_id: str) -> Ticket | None:
        """One help-desk ticket with its requester's email and fields; None if gone (Z2-Z6)."""
        ticket: Ticket | None = await self.call(
            connector, "handoff_get_ticket", ticket_id=ticket_id
        )
        return ticket

    async def ticket_comments(self, connector: str, ticket_id: str) -> list[TicketComment]:
        """A ticket's comments, oldest first (Z6)."""
        comments: list[TicketComment] = await self.call(
            connector, "handoff_ticket_comments", ticket_id=ticket_id
        )
        return comments

    async def escalated_tickets(self, connector: str) -> list[Ticket]:
        """The unsolved tickets with "Escalated to Sales" ticked (Z6)."""
        tickets: list[Ticket] = await self.call(connector, "handoff_escalated_tickets")
        return tickets

    async def update_ticket(
        self, connector: str, update: TicketUpdate, idempotency_key: str
    ) -> WriteResult:
        """Assign a ticket, tick "Escalated to Sales", add an internal note; once per key (Z2)."""
        result: WriteResult = await self.call(
            connector, "handoff_update_ticket", update=update, idempotency_key=idempotency_key
        )
        return result

    async def apply_macro(
        self, connector: str, ticket_id: str, macro: str, idempotency_key: str
    ) -> WriteResult:
        """Apply a macro by its title; once per key (Z2, Z4)."""
        result: WriteResult = await self.call(
            connector,
            "handoff_apply_macro",
            ticket_id=ticket_id,
            macro=macro,
            idempotency_key=idempotency_key,
        )
        return result

    async def renewal_opportunity(self, connector: str, account_id: str) -> Opportunity | None:
        """The account's upcoming renewal, or None (Z4)."""
        found: Opportunity | None = await self.call(
            connector, "handoff_renewal_opportunity", account_id=account_id
        )
        return found

    async def find_users(
        self, connector: str, user_ids: Sequence[str] = (), emails: Sequence[str] = ()
    ) -> list[User]:
        """The CRM users with these ids or emails, with their managers (P1, P4, Z2, Z4, Z6)."""
        users: list[User] = await self.call(
            connector, "handoff_find_users", user_ids=user_ids, emails=emails
        )
        return users

    async def find_user(self, connector: str, email: str) -> User | None:
        """The active CRM user with this email, e.g. the Pooled Sales User (P1, P4); None if none.

        One question of `handoff_find_users`, the single user lookup: a CRM may keep
        a deactivated user with the same email, and that one owns nothing new.
        """
        wanted = email.strip().lower()
        if "@" not in wanted:
            return None
        for user in await self.find_users(connector, emails=[wanted]):
            if user.active and (user.email or "").lower() == wanted:
                return user
        return None

    async def record_activities(
        self, connector: str, activities: Sequence[CrmActivity], idempotency_key: str
    ) -> list[WriteResult]:
        """Record hub actions as CRM activities and campaign memberships (Q13)."""
        results: list[WriteResult] = await self.call(
            connector,
            "handoff_record_activities",
            activities=activities,
            idempotency_key=idempotency_key,
        )
        return results

    async def upsert_account(
        self, connector: str, account: Account, idempotency_key: str
    ) -> WriteResult:
        """Create an account, or update the one with its id (D8 Buy Now)."""
        result: WriteResult = await self.call(
            connector, "handoff_upsert_account", account=account, idempotency_key=idempotency_key
        )
        return result

    async def generate_reply(self, connector: str, prompt: ReplyPrompt) -> ModelReply:
        """A model's draft of the AI rep's next reply, not yet checked by the guard (issue 12)."""
        reply: ModelReply = await self.call(connector, "handoff_generate_reply", prompt=prompt)
        return reply

    async def qualified_programs(self, connector: str) -> list[Program]:
        """The marketing programs a rep may be shown: tagged UsedWithQualified = True (Q13).

        Untagged or False is hidden, whatever the connector's own filter.
        """
        return [
            p
            for p in await self.list_programs(connector)
            if str(p.tags.get("UsedWithQualified", "")).strip().casefold() == "true"
        ]

    async def aclose(self) -> None:
        """Close every HTTP client the hub opened."""
        for client in self._clients:
            await client.aclose()

    async def __aenter__(self) -> Hub:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
