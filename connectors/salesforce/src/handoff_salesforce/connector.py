"""Salesforce over its REST API: SOQL queries, sObject Collections and sObject rows.

What the connector relies on, per the Salesforce REST API guide:

- Login: OAuth2 refresh-token or JWT bearer on `<login_url>/services/oauth2/token`.
  Tokens carry no expiry; an expired session answers 401 INVALID_SESSION_ID,
  and the SDK then fetches a new token once and repeats the call.
- Reads: `GET /query?q=SOQL`; a long result comes in pages linked by
  `nextRecordsUrl` until `done` is true.
- Batch writes: sObject Collections, at most 200 records per call, with
  `allOrNone: false` so each record succeeds or fails on its own; the answer
  is HTTP 200 with one result per record, failures included.
- Limits: a rolling 24-hour request allocation per org, reported on every
  response in `Sforce-Limit-Info: api-usage=used/limit`; past it, calls answer
  403 REQUEST_LIMIT_EXCEEDED ("TotalRequests Limit exceeded.") until the
  window rolls on, so that one is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote as url_quote

import httpx

from handoff_sdk import (
    ApiError,
    ConfigError,
    Connector,
    JwtBearer,
    OAuth2RefreshToken,
    Outcome,
    PaginationError,
    RateLimit,
    RateLimitedError,
    SecretSpec,
    Verdict,
    default_classify,
    follow_next_url,
    hookimpl,
    response_json,
    write_in_batches,
)
from handoff_sdk.entities import (
    Account,
    AccountCriterion,
    AccountPage,
    AccountUpdate,
    Case,
    Contact,
    CrmActivity,
    Lead,
    Opportunity,
    User,
    WriteError,
    WriteResult,
)

from . import mapping, soql
from .config import SalesforceConfig

__all__ = ["SalesforceConnector"]

log = logging.getLogger(__name__)

COLLECTION_LIMIT = 200
"""sObject Collections take at most 200 records per call."""

USERS_PER_QUERY = 200
"""Ids or emails per find_users query: keeps the SOQL text well under its length limit."""

_CONCURRENCY_HINTS = ("concurrent",)

T = TypeVar("T")


def _salesforce_error(response: httpx.Response) -> tuple[str | None, str | None]:
    """(errorCode, message) of a refused call; Salesforce answers with a list of errors."""
    body = response_json(response)
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        return None, None
    codes: list[str] = []
    messages: list[str] = []
    for item in body:
        if not isinstance(item, dict):
            continue
        code = item.get("errorCode") or item.get("statusCode") or item.get("error")
        if code and str(code) not in codes:
            codes.append(str(code))
        message = item.get("message") or item.get("error_description")
        if message:
            messages.append(str(message))
    return (codes[0] if codes else None, "; ".join(messages) or None)


class SalesforceConnector(Connector[SalesforceConfig]):
    """Salesforce CRM: match accounts, find people, write leads, accounts, contacts and cases."""

    name = "salesforce"
    title = "Salesforce"
    secret_specs = (
        SecretSpec(
            name="client_secret",
            description="Refresh-token mode: the connected app's consumer secret "
            "(Setup > App Manager > your app > Manage Consumer Details).",
        ),
        SecretSpec(
            name="refresh_token",
            description="Refresh-token mode: a refresh token issued to the connected app for "
            "the integration user (from the OAuth web-server flow).",
        ),
        SecretSpec(
            name="private_key",
            description="JWT mode: the PEM RSA private key whose certificate is uploaded to "
            "the connected app ('Use digital signatures').",
        ),
    )
    # The real cap is the org's daily allocation (see api_usage); this keeps one
    # hub from hogging the concurrent-request pool it shares with other integrations.
    default_rate_limit = RateLimit(requests=25, per_seconds=1, concurrency=10)
    batch_limits: ClassVar[Mapping[str, int]] = {
        "handoff_upsert_leads": COLLECTION_LIMIT,
        "handoff_update_accounts": COLLECTION_LIMIT,
    }
    # Salesforce has no idempotency header; this one only lets a write be traced.
    # Writes are idempotent by design instead: upsert on a key, updates set values,
    # and cases are upserted on `case_idempotency_field` when one is configured.
    idempotency_header = "X-Handoff-Idempotency-Key"
    simulator = "handoff_salesforce.simulator:SalesforceSimulator"

    api_usage: tuple[int, int] | None = None
    """(used, limit) of the org's 24-hour API allocation, from the last response."""
    per_app_api_usage: tuple[int, int] | None = None
    """(used, limit) of this connected app's own allocation, when the org sets one."""

    # -- configuration and auth -------------------------------------------------

    def build_auth(self) -> httpx.Auth:
        """Refresh-token or JWT bearer login against the configured login host."""
        cfg = self.config
        if cfg.auth == "jwt":
            return JwtBearer(
                connector=self.name,
                clock=self.clock,
                secrets=self.secret_store,
                token_url=cfg.token_url,
                issuer=cfg.client_id,
                subject=cfg.username or "",
                audience=cfg.jwt_audience or cfg.login_url,
            )
        return OAuth2RefreshToken(
            connector=self.name,
            clock=self.clock,
            secrets=self.secret_store,
            token_url=cfg.token_url,
            client_id=cfg.client_id,
        )

    # -- reading responses ------------------------------------------------------

    def classify(self, response: httpx.Response) -> Outcome:
        """Salesforce's error list read into a verdict.

        401 (INVALID_SESSION_ID): refresh the token once. 403 REQUEST_LIMIT_EXCEEDED:
        the daily allocation is spent, fail now as rate limited (retrying cannot
        help for hours); the concurrent long-request limit clears in seconds, so
        that one is retried within the retry policy. Other errors fail with the code.
        """
        outcome = default_classify(response, self.clock.now())
        if outcome.verdict is Verdict.OK:
            return outcome
        code, message = _salesforce_error(response)
        code = code or outcome.code
        message = message or outcome.message
        if code == "REQUEST_LIMIT_EXCEEDED":
            concurrent = any(h in (message or "").lower() for h in _CONCURRENCY_HINTS)
            verdict = Verdict.RETRY if concurrent else Verdict.FAIL
            return Outcome(verdict, code, message, outcome.retry_after, rate_limited=True)
        if code == "INVALID_FIELD":
            message = (
                f"{message} (check connectors.salesforce.account_fields and the other "
                "field names in the config)"
            )
        return Outcome(
            outcome.verdict, code, message, outcome.retry_after, rate_limited=outcome.rate_limited
        )

    def observe(self, response: httpx.Response) -> None:
        """Track the org's API allocation from `Sforce-Limit-Info`."""
        usage = mapping.parse_limit_info(response.headers.get("sforce-limit-info"))
        if "api-usage" in usage:
            previous = self.api_usage
            self.api_usage = usage["api-usage"]
            used, limit = self.api_usage
            if limit and used >= 0.9 * limit and (previous is None or previous[0] < 0.9 * limit):
                log.warning("salesforce: %d of %d daily API requests used", used, limit)
        if "per-app-api-usage" in usage:
            self.per_app_api_usage = usage["per-app-api-usage"]

    # -- SOQL -------------------------------------------------------------------

    def _absolute(self, path: str) -> str:
        """An API path from Salesforce joined to the instance; refuses other hosts."""
        if not path.startswith("/services/data/"):
            raise PaginationError(
                self.name, f"nextRecordsUrl {path!r} is not a path on the instance"
            )
        return f"{self.config.instance_url}{path}"

    async def query_page(self, statement: str | None, cursor: str | None) -> dict[str, Any]:
        """One page of a SOQL query: the first (`statement`) or the one at `cursor`.

        The cursor is the `nextRecordsUrl` of the page before, a path on the
        instance (anything else is refused, so a cursor cannot send the token
        to another host).
        """
        if cursor is not None:
            url = self._absolute(cursor)
        else:
            url = str(httpx.URL(f"{self.config.data_url}/query", params={"q": statement or ""}))
        size = self.config.query_batch_size
        headers = {"Sforce-Query-Options": f"batchSize={size}"} if size else None
        page = await self.request_json("GET", url, headers=headers)
        if not isinstance(page, dict):
            raise ApiError(self.name, 200, None, "query answer is not a JSON object")
        if not page.get("done", True) and not page.get("nextRecordsUrl"):
            raise PaginationError(self.name, "query is not done but has no nextRecordsUrl")
        return page

    async def query(
        self, statement: str, idempotency_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Every record of a SOQL query, following nextRecordsUrl until `done`.

        `idempotency_key`: the write this read belongs to, so its requests carry the key too.
        """
        first = str(httpx.URL(f"{self.config.data_url}/query", params={"q": statement}))

        async def fetch(url: str) -> dict[str, Any]:
            page = await self.request_json("GET", url, idempotency_key=idempotency_key)
            if not isinstance(page, dict):
                raise ApiError(self.name, 200, None, "query answer is not a JSON object")
            return page

        def next_url(page: dict[str, Any]) -> str | None:
            if page.get("done", True):
                return None
            following = page.get("nextRecordsUrl")
            if not following:
                raise PaginationError(self.name, "query is not done but has no nextRecordsUrl")
            return self._absolute(str(following))

        records: list[dict[str, Any]] = []
        async for page in follow_next_url(fetch, first, next_url, connector=self.name):
            records.extend(r for r in page.get("records", []) if isinstance(r, dict))
        return records

    # -- capabilities -----------------------------------------------------------

    @hookimpl
    async def handoff_list_accounts(
        self, where: Sequence[AccountCriterion], fields: Sequence[str], cursor: str | None
    ) -> AccountPage:
        """P1, P3: one page of the accounts meeting every criterion, in Id order.

        The first page is a SOQL query built from `where` (canonical attributes
        mapped through account_fields); the next ones follow nextRecordsUrl,
        which is the cursor. `fields` (API names) are read into Account.fields,
        as account_extra_fields are. A criterion on a field the org has not
        configured is a ConfigError naming the setting.
        """
        cfg = self.config
        statement: str | None = None
        try:
            asked = [
                mapping.account_field_name(f"fields.{name}", cfg.account_fields) for name in fields
            ]
        except ValueError as exc:
            raise ConfigError(self.name, "fields", str(exc)) from None
        extra = list(dict.fromkeys([*cfg.account_extra_fields, *asked]))
        if cursor is None:
            try:
                conditions = [
                    soql.condition(
                        mapping.account_field_name(c.field, cfg.account_fields), c.op, c.value
                    )
                    for c in where
                ]
            except ValueError as exc:
                raise ConfigError(self.name, "account_fields", str(exc)) from None
            selected = mapping.account_query_fields(cfg.account_fields, extra)
            statement = soql.account_list_query(conditions, selected)
        page = await self.query_page(statement, cursor)
        accounts = [
            mapping.record_to_account(record, cfg.account_fields, extra)
            for record in page.get("records", [])
            if isinstance(record, dict)
        ]
        following = None if page.get("done", True) else str(page["nextRecordsUrl"])
        total = page.get("totalSize")
        return AccountPage(
            accounts=accounts,
            cursor=following,
            total=total if isinstance(total, int) else None,
        )

    def _match_domains(self, email_domain: str | None, website: str | None) -> list[str]:
        free = set(self.config.free_mail_domains)
        domains: list[str] = []
        for raw in (website, email_domain):
            domain = mapping.normalise_domain(raw)
            if domain and domain not in free and domain not in domains:
                domains.append(domain)
        return domains

    @hookimpl
    async def handoff_match_account(
        self, email_domain: str | None, website: str | None
    ) -> Account | None:
        """Q1, Z2: the account whose website has this domain; free-mail domains never match.

        The website's domain is preferred over the email's when both are given
        and both match; among accounts with the same domain the oldest wins.
        """
        cfg = self.config
        domains = self._match_domains(email_domain, website)
        if not domains:
            return None
        fields = mapping.account_query_fields(cfg.account_fields, cfg.account_extra_fields)
        statement = soql.account_match_query(domains, fields, cfg.account_fields.domain)
        accounts = [
            mapping.record_to_account(record, cfg.account_fields, cfg.account_extra_fields)
            for record in await self.query(statement)
        ]
        for domain in domains:
            for account in accounts:
                if account.domain == domain:
                    return account
        return None

    @hookimpl
    async def handoff_renewal_opportunity(self, account_id: str) -> Opportunity | None:
        """Z4: the account's open renewal (Type = renewal_opportunity_type) that closes first."""
        records = await self.query(
            soql.renewal_opportunity_query(account_id, self.config.renewal_opportunity_type)
        )
        return mapping.record_to_opportunity(records[0]) if records else None

    @hookimpl
    async def handoff_find_users(
        self, user_ids: Sequence[str], emails: Sequence[str]
    ) -> list[User]:
        """P1, P4, Z2, Z4, Z6: users by id or email, with their managers; unknown ones left out.

        Inactive users come back marked `active=False` (the hub's find_user skips them).
        """
        ids = sorted({i.strip() for i in user_ids if i.strip()})
        addresses = sorted({e.strip().lower() for e in emails if "@" in e})
        found: dict[str, User] = {}
        for values, by_id in ((ids, True), (addresses, False)):
            for start in range(0, len(values), USERS_PER_QUERY):
                chunk = values[start : start + USERS_PER_QUERY]
                statement = soql.users_query(chunk if by_id else [], [] if by_id else chunk)
                for record in await self.query(statement):
                    user = mapping.record_to_crm_user(record)
                    found[user.ids[mapping.SYSTEM]] = user
        return [found[key] for key in sorted(found)]

    @hookimpl
    async def handoff_find_person(self, email: str) -> Lead | Contact | None:
        """Q1: the Contact with this email, else the unconverted Lead; a Contact wins.

        The configured lead/contact_extra_fields come back in `fields` (Q11 rep view).
        """
        return await self._find_person(email)

    async def _find_person(self, email: str, key: str | None = None) -> Lead | Contact | None:
        email = email.strip()
        if "@" not in email:
            return None
        cfg = self.config
        contacts = await self.query(
            soql.contact_by_email_query(email, cfg.contact_extra_fields), key
        )
        if contacts:
            return mapping.record_to_contact(contacts[0], cfg.contact_extra_fields)
        score_field = cfg.lead_score_field
        leads = await self.query(
            soql.lead_by_email_query(email, score_field, cfg.lead_extra_fields), key
        )
        if leads:
            return mapping.record_to_lead(leads[0], score_field, cfg.lead_extra_fields)
        return None

    async def _send_collection(
        self,
        method: str,
        url: str,
        records: Sequence[dict[str, Any] | WriteError],
        idempotency_key: str,
    ) -> list[WriteResult]:
        """Send the records that could be built; the others fail locally, in place."""
        ready = [(i, r) for i, r in enumerate(records) if isinstance(r, dict)]
        results: list[WriteResult] = [
            WriteResult(index=i, ok=False, errors=[r])
            for i, r in enumerate(records)
            if isinstance(r, WriteError)
        ]
        if ready:
            body = await self.request_json(
                method,
                url,
                json={"allOrNone": False, "records": [r for _, r in ready]},
                idempotency_key=idempotency_key,
            )
            try:
                sent = mapping.collection_results(body, len(ready))
            except ValueError as exc:
                raise ApiError(self.name, 200, "UNEXPECTED_RESPONSE", str(exc)) from None
            if not results:  # every record was sent: the answer's positions are the chunk's
                return sent
            results += [
                r.model_copy(update={"index": i}) for (i, _), r in zip(ready, sent, strict=True)
            ]
        return sorted(results, key=lambda r: r.index)

    async def _write_collections(
        self,
        items: Sequence[T],
        build: Callable[[T], dict[str, Any] | WriteError],
        method: str,
        url: str,
        idempotency_key: str,
    ) -> list[WriteResult]:
        """Chunk to 200 and send; once the daily limit is hit, later chunks are not sent."""
        limited: list[RateLimitedError] = []

        async def send(chunk: Sequence[T], key: str) -> list[WriteResult]:
            if limited:
                raise limited[0]
            try:
                return await self._send_collection(method, url, [build(x) for x in chunk], key)
            except RateLimitedError as exc:
                if not exc.retryable:
                    limited.append(exc)
                raise

        return await write_in_batches(
            items,
            COLLECTION_LIMIT,
            send,
            idempotency_key,
            concurrency=self.budget.limit.concurrency,
        )

    def _lead_record(self, lead: Lead) -> dict[str, Any] | WriteError:
        cfg = self.config
        record = mapping.lead_to_record(lead, cfg.lead_score_field)
        if record.get(cfg.lead_upsert_field) in (None, ""):
            return WriteError(
                code="MISSING_UPSERT_KEY",
                message=f"salesforce: the lead has no value for the upsert key "
                f"'{cfg.lead_upsert_field}' (set it in Lead.fields)",
                fields=[cfg.lead_upsert_field],
            )
        return record

    @hookimpl
    async def handoff_upsert_leads(
        self, leads: Sequence[Lead], idempotency_key: str
    ) -> list[WriteResult]:
        """Q11, D1: create or update leads on the upsert key, 200 per call, one result each."""
        cfg = self.config
        url = f"{cfg.data_url}/composite/sobjects/Lead/{cfg.lead_upsert_field}"
        return await self._write_collections(
            leads, self._lead_record, "PATCH", url, idempotency_key
        )

    def _update_record(self, update: AccountUpdate) -> dict[str, Any] | WriteError:
        try:
            return mapping.update_to_record(update, self.config.account_fields)
        except ValueError as exc:
            return WriteError(code="FIELD_NOT_CONFIGURED", message=f"salesforce: {exc}")

    @hookimpl
    async def handoff_update_accounts(
        self, updates: Sequence[AccountUpdate], idempotency_key: str
    ) -> list[WriteResult]:
        """P3, Q14: change fields on existing accounts, 200 per call, one result each."""
        url = f"{self.config.data_url}/composite/sobjects"
        return await self._write_collections(
            updates, self._update_record, "PATCH", url, idempotency_key
        )

    def _contact_record(self, contact: Contact) -> dict[str, Any] | WriteError:
        try:
            return mapping.contact_update_to_record(contact)
        except ValueError as exc:
            return WriteError(code="MISSING_ID", message=f"salesforce: {exc}", fields=["Id"])

    @hookimpl
    async def handoff_update_contacts(
        self, contacts: Sequence[Contact], idempotency_key: str
    ) -> list[WriteResult]:
        """Change fields on existing Contacts (Q11), 200 per call, one result each.

        Each contact is addressed by `ids['salesforce']`; one without an id
        fails alone with MISSING_ID and is not sent.
        """
        url = f"{self.config.data_url}/composite/sobjects"
        return await self._write_collections(
            contacts, self._contact_record, "PATCH", url, idempotency_key
        )

    @hookimpl
    async def handoff_record_activities(
        self, activities: Sequence[CrmActivity], idempotency_key: str
    ) -> list[WriteResult]:
        """Q13: a completed Task on the person's Contact or Lead, and their CampaignMember.

        Both are upserted on `activity_key_field` with the activity's key, so a
        retry or a replay writes each once. A person the org does not know fails
        alone (NOT_FOUND); a failed campaign membership fails its activity.
        """
        cfg = self.config
        field = cfg.activity_key_field
        tasks: list[dict[str, Any] | WriteError] = []
        members: list[tuple[int, dict[str, Any]]] = []
        for index, activity in enumerate(activities):
            person = await self._find_person(activity.email, f"{idempotency_key}:find")
            who = person.id_in(mapping.SYSTEM) if person is not None else None
            if person is None or who is None:
                tasks.append(
                    WriteError(
                        code="NOT_FOUND",
                        message=f"salesforce: no Contact or Lead has the email {activity.email}",
                        fields=["email"],
                    )
                )
                continue
            task, member = mapping.activity_records(
                activity, who, isinstance(person, Contact), field
            )
            tasks.append(task)
            if member is not None:
                members.append((index, member))
        results = await self._write_collections(
            tasks,
            lambda record: record,
            "PATCH",
            f"{cfg.data_url}/composite/sobjects/Task/{field}",
            f"{idempotency_key}:task",
        )
        if members:
            joined = await self._write_collections(
                [m for _, m in members],
                lambda record: record,
                "PATCH",
                f"{cfg.data_url}/composite/sobjects/CampaignMember/{field}",
                f"{idempotency_key}:member",
            )
            for (index, _), outcome in zip(members, joined, strict=True):
                if not outcome.ok and results[index].ok:
                    results[index] = results[index].model_copy(
                        update={"ok": False, "errors": outcome.errors}
                    )
        return results

    @hookimpl
    async def handoff_upsert_account(self, account: Account, idempotency_key: str) -> WriteResult:
        """D8: update the account with its Salesforce id, or create it (keyed).

        A new account carries the idempotency key in `account_key_field`, the
        External ID it is upserted on, so a retried create finds the account it made.
        """
        cfg = self.config
        record = mapping.account_to_record(account)
        account_id = account.id_in(mapping.SYSTEM)
        if account_id:
            record["id"] = account_id
            url = f"{cfg.data_url}/composite/sobjects"
        else:
            record[cfg.account_key_field] = idempotency_key[:255]
            url = f"{cfg.data_url}/composite/sobjects/Account/{cfg.account_key_field}"
        [result] = await self._send_collection("PATCH", url, [record], idempotency_key)
        return result

    @hookimpl
    async def handoff_create_case(self, case: Case, idempotency_key: str) -> WriteResult:
        """P4-P6: open a Case; with case_idempotency_field, a retry finds the same case.

        A validation failure (a required field, a picklist value) is a failed
        WriteResult; being out of API calls or credentials still raises.
        """
        cfg = self.config
        record = mapping.case_to_record(case, cfg.case_trigger_field)
        if cfg.case_idempotency_field:
            record.pop(cfg.case_idempotency_field, None)
            method = "PATCH"
            key = url_quote(idempotency_key, safe="")
            url = f"{cfg.data_url}/sobjects/Case/{cfg.case_idempotency_field}/{key}"
        else:
            method = "POST"
            url = f"{cfg.data_url}/sobjects/Case"
        try:
            body = await self.request_json(
                method, url, json=record, idempotency_key=idempotency_key
            )
        except RateLimitedError:
            raise
        except ApiError as exc:
            if exc.retryable or exc.status != 400:
                raise
            return WriteResult(
                index=0, ok=False, errors=[WriteError(code=exc.code, message=exc.message)]
            )
        if isinstance(body, list):  # HTTP 300: the key matches several cases
            error = WriteError(
                code="MULTIPLE_CHOICES",
                message=f"salesforce: several cases have {cfg.case_idempotency_field} = "
                f"{idempotency_key!r}",
            )
            return WriteResult(index=0, ok=False, errors=[error])
        body = body if isinstance(body, dict) else {}
        ok = body.get("success", True) is not False and bool(body.get("id"))
        created = body.get("created")
        return WriteResult(
            index=0,
            ok=ok,
            id=str(body["id"]) if body.get("id") else None,
            created=(created if isinstance(created, bool) else method == "POST") if ok else None,
            errors=[] if ok else mapping.errors_from_body(body) or [WriteError(message="no id")],
        )
