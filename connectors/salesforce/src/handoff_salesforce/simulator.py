"""A simulator of the Salesforce REST API as the connector uses it, holding a synthetic org.

What it enforces, as Salesforce does:

- OAuth at `/services/oauth2/token`: the refresh-token grant (client id and
  secret checked; the refresh token rotates, and a used one answers 400
  `invalid_grant`) and the JWT bearer grant (issuer, subject, expiry). The
  answer has no `expires_in`; a session expires unannounced and then every
  call answers 401 `INVALID_SESSION_ID`.
- SOQL at `/query` (the subset in sim_soql.py), paged by `nextRecordsUrl`
  (`Sforce-Query-Options: batchSize=N` honoured, 2,000 by default).
- sObject Collections: PATCH upsert on an external id field and PATCH
  update by id, at most 200 records (more: 400 `EXCEEDED_ID_LIMIT`), with
  per-record results in HTTP 200 (`REQUIRED_FIELD_MISSING`,
  `INVALID_EMAIL_ADDRESS`, `DUPLICATE_EXTERNAL_ID`,
  `INVALID_CROSS_REFERENCE_KEY`) and `allOrNone` rollback.
- Cases: POST create, PATCH upsert on an external id field (201 created,
  200 updated).
- For tickets to sales (Z2, Z4, Z6): the company's reps as Users with a
  title, role, profile and manager, an "SFDC Admin" user, and an open
  renewal Opportunity for each customer.
- Limits: the org's 24-hour request allocation (403 `REQUEST_LIMIT_EXCEEDED`
  "TotalRequests Limit exceeded.") reported on every answer in
  `Sforce-Limit-Info: api-usage=used/limit`; 25 requests in flight (403
  `REQUEST_LIMIT_EXCEEDED` "ConcurrentPerOrgLongTxn Limit exceeded.").

Errors come as Salesforce sends them: a JSON list of `{message, errorCode}`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import jwt

from handoff_sdk.testing import (
    COMPANY,
    Batch,
    BearerToken,
    Call,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    endpoint,
)

from .sim_soql import Query, SoqlError, order_key, parse_query

__all__ = ["ADMIN_USER", "SalesforceSimulator", "sfid"]

API = "/services/data/{version}"
COLLECTION_MAX = 200
DAILY_REQUESTS = 15_000
INTEGRATION_USER = "005Hd0000000010AAA"
"""The user the connected app acts as: LastModifiedById of everything the API writes."""
PAGE_SIZE = 2_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REQUIRED = {"Lead": ("LastName", "Company"), "Contact": ("LastName",), "Account": ("Name",)}
_PREFIX = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Case": "500",
    "User": "005",
    "Task": "00T",
    "CampaignMember": "00v",
}
_RELATED = {"UserRole": "UserRole", "Profile": "Profile", "Account": "Account"}
"""Relationship fields that lead to another object than User (Owner, Manager do)."""
ADMIN_USER = "005Hd0000000001AAA"
"""The "SFDC Admin" placeholder user that owns accounts nobody sells to (Z2, Z4)."""


def sfid(prefix: str, n: int) -> str:
    """An 18-character Salesforce-style id: the object's key prefix and a number."""
    return f"{prefix}Hd{n:010d}AAA"


def _error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


class SalesforceSimulator(Simulator):
    """Salesforce's REST API, v61.0 paths, for one synthetic org."""

    name = "salesforce"
    default_limits = Limits(
        windows=(RateWindow(DAILY_REQUESTS, 86_400.0, name="daily"),), concurrency=25
    )
    auth = BearerToken()
    token_lifetime = 7_200.0
    rotate_refresh_tokens = True
    media_type = "application/json;charset=UTF-8"

    page_size = PAGE_SIZE
    """Records per query page unless the request asks for fewer (batchSize)."""

    # -- the org -------------------------------------------------------------------

    def seed(self) -> None:
        """One org: accounts, their contacts, some leads, users; ids in Salesforce's form.

        The synthetic company (`_company_records`) is there too, beside the
        records the connector's own tests rely on.
        """
        users = [
            _user(10, "Avery Owner", "avery.owner@acme.example"),
            _user(21, "Riley Rep", "riley.rep@acme.example"),
            _user(77, "Pooled Sales User", "pooled.sales@example.test"),
            _user(78, "Former Pooled User", "former.pooled@example.test", active=False),
            _crm_user(ADMIN_USER, "SFDC Admin", "sfdc-admin@example.test", title="", admin=True),
        ]
        accounts = [
            _account(1, "Acme Corporation", "https://www.acme.example", status="Actively Working"),
            _account(2, "Acme Holdings", "http://acme.example/en"),
            _account(3, "Globex", "https://globex.example", geo="EMEA"),
            _account(4, "Initech", "initech.example", sector="US Public Sector"),
            _account(11, "Umbrella Labs", "https://umbrella.example"),
        ]
        accounts += [
            _account(5000 + i, f"Bulk Account {i}", f"https://bulk{i}.example")
            for i in range(401)
            if i not in (5, 399)
        ]
        # Pooled SMB customers (P1): owned by the Pooled Sales User, CARR under $1k.
        accounts += [
            _pooled(300, "Pooled Customer 0", carr=900, funding=150_000_000, lam=12),
            _pooled(301, "Pooled Customer 1", carr=450, funding=None, lam=8, tier="Tier 3"),
            _pooled(302, "Pooled Customer 2", carr=990, funding=30_000_000, lam=60, tier="Tier 2"),
        ]
        contacts = [
            _contact(30, "pat.lee@acme.example", "Pat", "Lee", 1),
            _contact(31, "drew.kim@acme.example", "Drew", "Kim", 1),
        ]
        # The pooled customers' contacts (P5): owned by the Pooled Sales User too.
        contacts += [
            {**_contact(330 + i, f"casey{i}@pooled30{i}.example", "Casey", f"Pool{i}", 300 + i),
             "OwnerId": sfid("005", 77)}
            for i in range(3)
        ]  # fmt: skip
        leads = [
            _lead(40, "sam.rivera@globex.example", "Sam", "Rivera", "Globex"),
            _lead(61, "kim@initech.example", "Kim", "Park", "Initech"),
            _lead(62, "kim@initech.example", "Kimberly", "Park", "Initech"),
            _lead(90001, "lead0512@company32.example", "Dup", "One", "Company 32"),
            _lead(90002, "lead0512@company32.example", "Dup", "Two", "Company 32"),
            _lead(70, "jamie.ortiz@wayne.example", "Jamie", "Ortiz", "Wayne", converted=True),
        ]
        company = _company_records()
        users += company["User"]
        accounts += company["Account"]
        contacts += company["Contact"]
        leads += company["Lead"]
        self.add_account(
            SimAccount(
                "00DHd0000000001AAA",
                settings={
                    "client_id": "handoff-sim-client",
                    "username": "integration@acme.example",
                },
                secrets={
                    "client_secret": "sim-client-secret",
                    "refresh_token": "sim-refresh-token-0",
                },
                data={
                    "User": users,
                    "UserRole": [
                        {"Id": "00EHd0000000001AAA", "Name": "Sales"},
                        {"Id": "00EHd0000000002AAA", "Name": "Sales Management"},
                    ],
                    "Profile": [
                        {"Id": "00eHd0000000001AAA", "Name": "Sales User"},
                        {"Id": "00eHd0000000002AAA", "Name": "System Administrator"},
                    ],
                    "Opportunity": _company_renewals(self.clock.now()),
                    "Account": accounts,
                    "Contact": contacts,
                    "Lead": leads,
                    "Case": [],
                    "Task": [],
                    "CampaignMember": [],
                    "_next_id": 100_000,
                    "_cursors": {},
                },
            )
        )

    def connector_config(self, url: str) -> dict[str, Any]:
        """Refresh-token login against this simulator, both as login host and instance."""
        return {
            "auth": "refresh_token",
            "instance_url": url,
            "login_url": url,
            "client_id": self.account.settings["client_id"],
            "api_version": "v61.0",
        }

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The connected app's secret and the current refresh token."""
        found = account or self.account
        return {k: found.secrets[k] for k in ("client_secret", "refresh_token")}

    # -- how Salesforce says no ---------------------------------------------------------

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """Salesforce's error list (or the OAuth error object on the token endpoint)."""
        if refusal.endpoint == "token":
            body: Any = {
                "error": refusal.code or "invalid_request",
                "error_description": refusal.message,
            }
            return Reply(body, status=400 if refusal.status < 500 else refusal.status)
        status = refusal.status
        if refusal.kind in ("unauthorized", "token_expired"):
            code, message = "INVALID_SESSION_ID", "Session expired or invalid"
        elif refusal.kind == "rate_limited":
            code, message, status = "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", 403
        elif refusal.kind == "too_many_concurrent":
            code, status = "REQUEST_LIMIT_EXCEEDED", 403
            message = "ConcurrentPerOrgLongTxn Limit exceeded."
        elif refusal.kind == "batch_too_large":
            code, status = "EXCEEDED_ID_LIMIT", 400
            message = f"record limit reached. cannot submit more than {COLLECTION_MAX} records"
        elif refusal.kind == "not_found":
            code, message = "NOT_FOUND", "The requested resource does not exist"
        elif refusal.kind == "unsupported_media_type":
            code = "UNSUPPORTED_MEDIA_TYPE"
            message = refusal.message
        else:
            code, message = refusal.code or "JSON_PARSER_ERROR", refusal.message
        return Reply([{"message": message, "errorCode": code}], status=status)

    def answer_headers(self, account: SimAccount | None) -> Mapping[str, str]:
        """`Sforce-Limit-Info` with the org's use of its 24-hour allocation."""
        if account is None:
            return {}
        used, _remaining, _reset = self.usage(account, "daily")
        return {"Sforce-Limit-Info": f"api-usage={used}/{DAILY_REQUESTS}"}

    # -- OAuth ----------------------------------------------------------------------

    @endpoint(
        "POST",
        "/services/oauth2/token",
        auth=False,
        content_type="application/x-www-form-urlencoded",
        body={"grant_type": str},
    )
    async def token(self, call: Call) -> Any:
        """The token endpoint: refresh-token and JWT bearer grants."""
        form: dict[str, str] = call.body
        grant = form["grant_type"]
        if grant == "refresh_token":
            account = self.find_account(client_id=form.get("client_id", ""))
            if account is None:
                raise Refusal("unauthorized", "client identifier invalid", code="invalid_client_id")
            if form.get("client_secret") != account.secrets["client_secret"]:
                raise Refusal("unauthorized", "invalid client credentials", code="invalid_client")
            issued = self.tokens.redeem(form.get("refresh_token", ""), account)
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            account = self._jwt_account(form.get("assertion", ""))
            issued = self.tokens.issue(account)
        else:
            raise Refusal("bad_request", "grant type not supported", code="unsupported_grant_type")
        answer: dict[str, Any] = {
            "access_token": issued.access_token,
            "signature": secrets.token_urlsafe(16),
            "scope": "api refresh_token",
            "instance_url": call.base_url,
            "id": f"{call.base_url}/id/{account.id}/{sfid('005', 10)}",
            "token_type": "Bearer",
            "issued_at": str(int(self.clock.now().timestamp() * 1000)),
        }
        if issued.refresh_token and grant == "refresh_token":
            answer["refresh_token"] = issued.refresh_token
        return answer

    def _jwt_account(self, assertion: str) -> SimAccount:
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Refusal("unauthorized", "invalid assertion", code="invalid_grant") from None
        account = self.find_account(client_id=str(claims.get("iss")))
        if account is None:
            raise Refusal("unauthorized", "invalid client", code="invalid_client_id")
        if claims.get("sub") != account.settings.get("username"):
            raise Refusal(
                "unauthorized", "user hasn't approved this consumer", code="invalid_grant"
            )
        if int(claims.get("exp", 0)) < self.clock.now().timestamp():
            raise Refusal("unauthorized", "expired authorization code", code="invalid_grant")
        return account

    # -- SOQL -----------------------------------------------------------------------------

    @endpoint("GET", API + "/query", query={"q": str})
    async def query(self, call: Call) -> Any:
        """Run a SOQL query; the first page, and a locator for the rest."""
        try:
            parsed = parse_query(call.query["q"])
            rows = self._select(call.data, parsed)
        except SoqlError as exc:
            raise Refusal("bad_request", exc.message, code=exc.code) from None
        size = self.page_size
        options = call.headers.get("sforce-query-options", "")
        if match := re.search(r"batchSize=(\d+)", options):
            size = max(200, min(PAGE_SIZE, int(match.group(1))))
        locator = f"01gHd{secrets.token_hex(6)}"
        call.data["_cursors"][locator] = (rows, size)
        return self._page(call.path_params["version"], locator, rows, 0, size)

    @endpoint("GET", API + "/query/{cursor}")
    async def query_more(self, call: Call) -> Any:
        """The next page of a query (its nextRecordsUrl)."""
        locator, _, offset = str(call.path_params["cursor"]).rpartition("-")
        found = call.data["_cursors"].get(locator)
        if found is None or not offset.isdigit():
            raise Refusal("bad_request", "invalid query locator", code="INVALID_QUERY_LOCATOR")
        rows, size = found
        return self._page(call.path_params["version"], locator, rows, int(offset), size)

    def _page(
        self, version: str, locator: str, rows: list[dict[str, Any]], offset: int, size: int
    ) -> dict[str, Any]:
        end = offset + size
        page: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
        if end < len(rows):
            page["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{end}"
        page["records"] = rows[offset:end]
        return page

    def _select(self, data: dict[str, Any], query: Query) -> list[dict[str, Any]]:
        records = data.get(query.sobject)
        if not isinstance(records, list):
            raise SoqlError("INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
        known = _fields_of(query.sobject, records)
        for name in query.mentioned:
            head = name.split(".")[0]
            if head.lower() not in known and f"{head}Id".lower() not in known:
                raise SoqlError(
                    "INVALID_FIELD",
                    f"No such column '{name}' on entity '{query.sobject}'. If you are attempting "
                    "to use a custom field, be sure to append the '__c' after the custom field "
                    "name.",
                )

        resolver = _Resolver(data)
        get = resolver.get
        found = [r for r in records if query.where is None or query.where(r, get)]
        for name, descending in reversed(query.order):

            def key(record: Mapping[str, Any], field: str = name) -> tuple[int, Any]:
                return order_key(get(record, field))

            found.sort(key=key, reverse=descending)
        if query.limit is not None:
            found = found[: query.limit]
        return [self._project(resolver, query, r) for r in found]

    def _project(
        self, resolver: _Resolver, query: Query, record: Mapping[str, Any]
    ) -> dict[str, Any]:
        kind = query.sobject
        row: dict[str, Any] = {"attributes": _attributes(kind, record["Id"])}
        for name in query.fields:
            head, _, rest = name.partition(".")
            if rest:
                target = resolver.get(record, f"{head}Id")
                value = resolver.get(record, name)
                kind = _RELATED.get(head, "User")
                row[head] = (
                    None
                    if target is None
                    else {"attributes": _attributes(kind, target), rest: value}
                )
            else:
                row[name] = resolver.get(record, name)
        return row

    # -- writes ---------------------------------------------------------------------------

    def _new_id(self, data: dict[str, Any], kind: str) -> str:
        data["_next_id"] += 1
        return sfid(_PREFIX.get(kind, "a00"), data["_next_id"])

    def _check(self, kind: str, record: Mapping[str, Any], creating: bool) -> dict[str, Any] | None:
        if creating:
            missing = [f for f in _REQUIRED.get(kind, ()) if record.get(f) in (None, "")]
            if missing:
                return _error(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    missing,
                )
        email = record.get("Email")
        if isinstance(email, str) and not _EMAIL.match(email):
            return _error(
                "INVALID_EMAIL_ADDRESS", f"Email: invalid email address: {email}", ["Email"]
            )
        return None

    @endpoint(
        "PATCH",
        API + "/composite/sobjects/{sobject}/{field}",
        body={"allOrNone?": bool, "records": list[dict[str, Any]]},
        batch=Batch("records", COLLECTION_MAX),
    )
    async def upsert_collection(self, call: Call) -> Any:
        """Upsert up to 200 records of one object on an external id field."""
        kind = str(call.path_params["sobject"])
        field = str(call.path_params["field"])
        records = call.data.get(kind)
        if not isinstance(records, list):
            raise Refusal("not_found", f"The requested resource does not exist: {kind}")
        results: list[dict[str, Any]] = []
        staged: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
        by_key: dict[Any, list[dict[str, Any]]] = {}
        for record in records:
            by_key.setdefault(_key(record.get(field)), []).append(record)
        for sent in call.body["records"]:
            values = {k: v for k, v in sent.items() if k != "attributes"}
            if (sent.get("attributes") or {}).get("type") != kind:
                results.append(
                    {**_error("INVALID_TYPE", "record type does not match"), "created": False}
                )
                staged.append((None, {}))
                continue
            key = values.get(field)
            matches = by_key.get(_key(key), []) if key else []
            if not key:
                results.append(
                    {
                        "success": False,
                        "errors": [_error("MISSING_ARGUMENT", f"{field} not specified", [field])],
                        "created": False,
                    }
                )
                staged.append((None, {}))
            elif len(matches) > 1:
                ids = ", ".join(r["Id"] for r in matches)
                message = f"{kind}: more than one record found for external id field: [{ids}]"
                results.append(
                    {
                        "success": False,
                        "errors": [_error("DUPLICATE_EXTERNAL_ID", message, [field])],
                        "created": False,
                    }
                )
                staged.append((None, {}))
            else:
                existing = matches[0] if matches else None
                problem = self._check(kind, {**(existing or {}), **values}, existing is None)
                if problem:
                    results.append({"success": False, "errors": [problem], "created": False})
                    staged.append((None, {}))
                    continue
                record_id = existing["Id"] if existing else self._new_id(call.data, kind)
                results.append(
                    {"id": record_id, "success": True, "errors": [], "created": existing is None}
                )
                staged.append((existing, {**values, "Id": record_id}))
        return self._commit(call, records, results, staged)

    @endpoint(
        "PATCH",
        API + "/composite/sobjects",
        body={"allOrNone?": bool, "records": list[dict[str, Any]]},
        batch=Batch("records", COLLECTION_MAX),
    )
    async def update_collection(self, call: Call) -> Any:
        """Update up to 200 records by id (each names its type in `attributes`)."""
        results: list[dict[str, Any]] = []
        staged: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
        for sent in call.body["records"]:
            kind = str((sent.get("attributes") or {}).get("type") or "")
            values = {k: v for k, v in sent.items() if k not in ("attributes", "id", "Id")}
            record_id = sent.get("id") or sent.get("Id")
            existing = _by_id(call.data, kind).get(str(record_id))
            if existing is None:
                results.append(
                    {
                        "success": False,
                        "errors": [
                            _error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
                        ],
                    }
                )
                staged.append((None, {}))
                continue
            problem = self._check(kind, {**existing, **values}, creating=False)
            if problem:
                results.append({"success": False, "errors": [problem]})
                staged.append((None, {}))
                continue
            results.append({"id": record_id, "success": True, "errors": []})
            staged.append((existing, values))
        return self._commit(call, None, results, staged)

    def _commit(
        self,
        call: Call,
        records: list[dict[str, Any]] | None,
        results: list[dict[str, Any]],
        staged: list[tuple[dict[str, Any] | None, dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """Write what succeeded, or nothing at all when allOrNone and anything failed."""
        if call.body.get("allOrNone") and not all(r["success"] for r in results):
            rolled = _error(
                "ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because not all succeeded."
            )
            return [
                r
                if not r["success"]
                else {
                    **{k: v for k, v in r.items() if k != "id"},
                    "success": False,
                    "errors": [rolled],
                }
                for r in results
            ]
        for (existing, values), result in zip(staged, results, strict=True):
            if not result["success"]:
                continue
            stamp = self._modified()
            if existing is not None:
                existing.update(values)
                existing.update(stamp)
            elif records is not None:
                records.append({"CreatedDate": self.clock.now().isoformat(), **stamp, **values})
        return results

    def _modified(self) -> dict[str, str]:
        """What Salesforce stamps on every write: when, and by whom (the integration user)."""
        moment = self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return {"LastModifiedDate": moment, "LastModifiedById": INTEGRATION_USER}

    @endpoint("POST", API + "/sobjects/Case", body={"Subject?": str})
    async def create_case(self, call: Call) -> Any:
        """Create a Case: 201 and its new id."""
        record_id = self._new_id(call.data, "Case")
        call.data["Case"].append({**call.body, "Id": record_id})
        return Reply({"id": record_id, "success": True, "errors": []}, status=201)

    @endpoint("PATCH", API + "/sobjects/Case/{field}/{value}", body={"Subject?": str})
    async def upsert_case(self, call: Call) -> Any:
        """Upsert a Case on an external id field: 201 when created, 200 when it existed."""
        field, key = str(call.path_params["field"]), str(call.path_params["value"])
        cases: list[dict[str, Any]] = call.data["Case"]
        matches = [c for c in cases if c.get(field) == key]
        if len(matches) > 1:
            return Reply([f"/services/data/v61.0/sobjects/Case/{c['Id']}" for c in matches], 300)
        if matches:
            matches[0].update(call.body)
            return Reply({"id": matches[0]["Id"], "success": True, "errors": [], "created": False})
        record_id = self._new_id(call.data, "Case")
        cases.append({**call.body, field: key, "Id": record_id})
        return Reply({"id": record_id, "success": True, "errors": [], "created": True}, status=201)


class _Resolver:
    """Field values of one query's records: names in any case, relationships (Owner.Email).

    Each record's lower-cased fields and each related object's index are built
    once per query, so a query over 100,000 accounts stays linear.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self._lowered: dict[int, dict[str, Any]] = {}
        self._index: dict[str, dict[str, dict[str, Any]]] = {}

    def _fields(self, record: Mapping[str, Any]) -> dict[str, Any]:
        found = self._lowered.get(id(record))
        if found is None:
            found = {k.lower(): v for k, v in record.items()}
            self._lowered[id(record)] = found
        return found

    def _related(self, kind: str, record_id: Any) -> dict[str, Any] | None:
        index = self._index.get(kind)
        if index is None:
            index = {r["Id"]: r for r in self.data.get(kind, [])}
            self._index[kind] = index
        return index.get(record_id)

    def get(self, record: Mapping[str, Any], name: str) -> Any:
        """The value of `name` (a field, or a relationship path) on `record`."""
        head, _, rest = name.partition(".")
        fields = self._fields(record)
        if not rest:
            return fields.get(head.lower())
        related = self._related(_RELATED.get(head, "User"), fields.get(f"{head}Id".lower()))
        return None if related is None else self.get(related, rest)


def _by_id(data: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The object's records by Id, kept until a record is added (records are never removed)."""
    records = data.get(kind)
    if not isinstance(records, list):
        return {}
    cache: dict[str, tuple[int, dict[str, dict[str, Any]]]] = data.setdefault("_by_id", {})
    found = cache.get(kind)
    if found is None or found[0] != len(records):
        found = (len(records), {r["Id"]: r for r in records})
        cache[kind] = found
    return found[1]


def _key(value: Any) -> Any:
    """External id values compare without regard to case, as Salesforce compares Email."""
    return value.lower() if isinstance(value, str) else value


def _attributes(kind: str, record_id: str) -> dict[str, str]:
    return {"type": kind, "url": f"/services/data/v61.0/sobjects/{kind}/{record_id}"}


def _fields_of(kind: str, records: list[dict[str, Any]]) -> set[str]:
    standard = {
        "id",
        "createddate",
        "lastmodifieddate",
        "lastmodifiedbyid",
        "ownerid",
        "isconverted",
    }
    return standard | {k.lower() for r in records for k in r}


def _crm_user(
    user_id: str,
    name: str,
    email: str,
    *,
    title: str = "Account Executive",
    manager: str | None = None,
    admin: bool = False,
) -> dict[str, Any]:
    return {
        "Id": user_id,
        "Name": name,
        "Email": email,
        "IsActive": True,
        "Title": title,
        "UserRoleId": "00EHd0000000002AAA" if manager is None else "00EHd0000000001AAA",
        "ProfileId": "00eHd0000000002AAA" if admin else "00eHd0000000001AAA",
        "ManagerId": manager,
    }


_MANAGERS = {"AMER": "bdr-avery", "EMEA": "bdr-jonas", "APAC": "bdr-jonas"}
"""Who manages the company's reps, by the zone of their time zone (synthetic)."""


def _manager_of(rep_id: str) -> str | None:
    """The CRM user id of a rep's manager: the BDR lead of their region (synthetic)."""
    rep = COMPANY.rep(rep_id)
    zone = rep.timezone.split("/")[0]
    manager = COMPANY.rep(_MANAGERS[{"America": "AMER", "Europe": "EMEA"}.get(zone, "APAC")])
    return None if manager.id == rep.id else manager.salesforce_id


def _company_renewals(now: datetime) -> list[dict[str, Any]]:
    """An open renewal for each customer (and the contract's account 2), closing in 60 days."""
    close = (now.date() + timedelta(days=60)).isoformat()
    owners = [(c.salesforce_id, COMPANY.rep(c.owner).salesforce_id, c.name)
              for c in COMPANY.customers if c.account_type == "Customer"]  # fmt: skip
    owners.append((sfid("001", 2), sfid("005", 10), "Acme Holdings"))
    return [
        {
            "Id": sfid("006", n + 1),
            "Name": f"{name} renewal",
            "AccountId": account,
            "Type": "Renewal",
            "StageName": "Negotiating",
            "CloseDate": close,
            "Amount": 24_000.0,
            "IsClosed": False,
            "OwnerId": owner,
        }
        for n, (account, owner, name) in enumerate(owners)
    ]


def _account(
    n: int,
    name: str,
    website: str,
    *,
    status: str | None = None,
    sector: str | None = None,
    geo: str | None = "AMER",
) -> dict[str, Any]:
    return {
        "Id": sfid("001", n),
        "Name": name,
        "Website": website,
        "Industry": "Software",
        "NumberOfEmployees": 250 + n,
        "BillingCountry": "US",
        "BillingState": "CA",
        "Type": "Prospect",
        "OwnerId": sfid("005", 10),
        "BDR_Assigned__c": sfid("005", 21) if n < 10 else None,
        "Account_Status__c": status,
        "Sector__c": sector,
        "Sales_Geo__c": geo,
        "Rating": None,
        "CARR__c": None,
        "Total_Funding__c": None,
        "LAM_Dev_Count__c": None,
        "Sales_Segment__c": None,
        "Pooled_Rank__c": None,
        "Account_Rank_Notes_History__c": None,
        "CreatedDate": f"2024-01-{1 + n % 28:02d}T00:00:00.000+0000",
        "LastModifiedDate": f"2025-01-{1 + n % 28:02d}T00:00:00.000+0000",
        "LastModifiedById": INTEGRATION_USER,
    }


def _pooled(
    n: int, name: str, *, carr: float, funding: float | None, lam: int, tier: str | None = None
) -> dict[str, Any]:
    """A pooled SMB customer (P1): the Pooled Sales User's, with the figures P2 ranks on."""
    record = _account(n, name, f"https://pooled{n}.example")
    record.update(
        {
            "Type": "Customer",
            "OwnerId": sfid("005", 77),
            "Industry": "SaaS" if n % 2 else "Retail",
            "CARR__c": carr,
            "Total_Funding__c": funding,
            "LAM_Dev_Count__c": lam,
            "Sales_Segment__c": "SMB",
            "Pooled_Rank__c": tier,
            "Account_Rank_Notes_History__c": f"2025-12-01 none -> {tier} (auto)" if tier else None,
        }
    )
    return record


def _user(n: int, name: str, email: str, *, active: bool = True) -> dict[str, Any]:
    return {
        "Id": sfid("005", n),
        "Name": name,
        "Email": email,
        "IsActive": active,
        "CreatedDate": f"2023-06-{1 + n % 28:02d}T00:00:00.000+0000",
    }


def _company_records() -> dict[str, list[dict[str, Any]]]:
    """The synthetic company every simulator shares (handoff_sdk.testing.COMPANY), as records.

    Its reps are users, its customers accounts (with the domains 6sense
    answers for their IPs), its people contacts or leads, so the sandbox's
    vendors agree with each other.
    """
    users = [
        {
            **_crm_user(r.salesforce_id, r.name, r.email, title=r.title, manager=_manager_of(r.id)),
            "CreatedDate": "2023-06-01T00:00:00.000+0000",
        }
        for r in COMPANY.reps
    ]
    accounts = [
        {
            "Id": c.salesforce_id,
            "Name": c.name,
            "Website": c.website,
            "Industry": c.industry,
            "NumberOfEmployees": c.employees,
            "BillingCountry": c.country_code,
            "BillingState": c.state,
            "Type": c.account_type,
            "OwnerId": COMPANY.rep(c.owner).salesforce_id,
            "BDR_Assigned__c": COMPANY.rep(c.bdr).salesforce_id if c.bdr else None,
            "Account_Status__c": c.status,
            "Sector__c": c.sector,
            "Sales_Geo__c": c.geo,
            "Rating": None,
            "CreatedDate": "2024-02-01T00:00:00.000+0000",
        }
        for c in COMPANY.customers
    ]
    contacts, leads = [], []
    for person in COMPANY.people:
        customer = COMPANY.customer(person.customer)
        common = {
            "Id": person.salesforce_id,
            "Email": person.email,
            "FirstName": person.first_name,
            "LastName": person.last_name,
            "Title": person.title,
            "Phone": person.phone,
            "OwnerId": COMPANY.rep(customer.owner).salesforce_id,
            "LastModifiedDate": "2025-11-01T00:00:00.000+0000",
        }
        if person.kind == "contact":
            contacts.append({**common, "AccountId": customer.salesforce_id, "Description": None})
        else:
            leads.append(
                {
                    **common,
                    "Company": customer.name,
                    "Country": customer.country_code,
                    "Status": person.lead_status or "Open",
                    "LeadSource": person.lead_source or "Web",
                    "IsConverted": False,
                }
            )
    return {"User": users, "Account": accounts, "Contact": contacts, "Lead": leads}


def _contact(n: int, email: str, first: str, last: str, account: int) -> dict[str, Any]:
    return {
        "Id": sfid("003", n),
        "Email": email,
        "FirstName": first,
        "LastName": last,
        "Title": "Director of IT",
        "Phone": "+1 555 0100",
        "AccountId": sfid("001", account),
        "OwnerId": sfid("005", 10),
        "Description": None,
        "LastModifiedDate": "2025-06-01T00:00:00.000+0000",
    }


def _lead(
    n: int, email: str, first: str, last: str, company: str, *, converted: bool = False
) -> dict[str, Any]:
    return {
        "Id": sfid("00Q", n),
        "Email": email,
        "FirstName": first,
        "LastName": last,
        "Company": company,
        "Title": None,
        "Phone": None,
        "Country": "US",
        "Status": "Open",
        "LeadSource": "Web",
        "OwnerId": sfid("005", 10),
        "IsConverted": converted,
        "LastModifiedDate": f"2025-05-{1 + n % 28:02d}T00:00:00.000+0000",
    }
