"""Gainsight CS's Data Management query API, simulated for tests and `handoff sandbox` (P5).

What the connector calls, answered as Gainsight does:

- `POST /v1/data/objects/query/{object}` with the tenant's key in the
  `accesskey` header and a JSON query: `select` (field API names, lookups in
  the `Field__gr.Other` path syntax, returned under that dotted key),
  `where.conditions` (`name`, `alias`, `value` list, `operator` EQ, NE, GT,
  GTE, LT, LTE) joined by `where.expression` ("A AND B", or ORs), `orderBy`
  (`{field: "asc" | "desc"}`), `limit` (at most 5000) and `offset`;
- every answer is the envelope `{"result", "errorCode", "errorDesc",
  "localizedErrorDesc", "requestId", "data", "message", "localizedMessage"}`;
  records under `data.records`, dates as `MM/DD/YYYY HH:MM:SS` (UTC);
- refusals: 401 `GU_1101` for a bad key, 400 `GSOBJ_1002` for a field the
  object does not have, 400 `GSOBJ_1005` for a date it cannot read, 400
  `GSOBJ_1001` for an unknown object, 429 past 100 calls a minute or 50,000
  a day per tenant (with Retry-After).

Data: one `survey_participant` record per survey answer of the synthetic
company (its customers' contacts), the company's CSM being the account's
owner rep, `SfdcAccountId` the Salesforce simulator's account id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from handoff_sdk import shared_secret_headers
from handoff_sdk.testing import (
    COMPANY,
    ApiKey,
    Call,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    WebhookDelivery,
    endpoint,
)

__all__ = ["GainsightSimulator"]

OBJECT = "survey_participant"
MAX_LIMIT = 5000
_DATE_FIELDS = frozenset({"ModifiedDate", "RespondedDate", "CreatedDate"})

_ERRORS = {
    "unauthorized": ("GU_1101", "Invalid access key"),
    "token_expired": ("GU_1101", "Invalid access key"),
    "bad_request": ("GSOBJ_1005", "Invalid request"),
    "unsupported_media_type": ("GU_1006", "Unsupported content type"),
    "not_found": ("GU_1404", "Resource not found"),
    "method_not_allowed": ("GU_1405", "Method not allowed"),
    "rate_limited": ("GS_RATE_LIMIT", "API rate limit exceeded"),
    "too_many_concurrent": ("GS_RATE_LIMIT", "API rate limit exceeded"),
    "server_error": ("GSOBJ_1003", "Internal error"),
}
"""Gainsight's code and description for each refusal the framework raises."""

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": lambda a, b: a == b,
    "NE": lambda a, b: a != b,
    "GT": lambda a, b: a is not None and a > b,
    "GTE": lambda a, b: a is not None and a >= b,
    "LT": lambda a, b: a is not None and a < b,
    "LTE": lambda a, b: a is not None and a <= b,
}


def _gs_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%m/%d/%Y %H:%M:%S")


def _read_date(value: Any) -> datetime | None:
    text = str(value).strip()
    for shape in ("%m/%d/%Y %H:%M:%S",):
        try:
            return datetime.strptime(text, shape).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _envelope(records: list[dict[str, Any]] | None, code: str | None, desc: str | None) -> Any:
    return {
        "result": code is None,
        "errorCode": code,
        "errorDesc": desc,
        "localizedErrorDesc": desc,
        "requestId": str(uuid.uuid4()),
        "data": {"records": records} if records is not None else None,
        "message": None,
        "localizedMessage": None,
    }


class GainsightSimulator(Simulator):
    """A Gainsight tenant holding the synthetic company's survey responses."""

    name = "gainsight"
    auth = ApiKey("access_key", header="accesskey", prefix="")
    default_limits = Limits(
        windows=(RateWindow(100, 60.0, name="minute"), RateWindow(50_000, 86_400.0, name="day")),
        concurrency=10,
    )

    def seed(self) -> None:
        """The tenant's access key and its survey_participant records."""
        now = self.clock.now()
        records = []
        for answer in COMPANY.surveys:
            person = COMPANY.person(answer.person)
            customer = COMPANY.customer(person.customer)
            owner = COMPANY.rep(customer.owner)
            moment = now - answer.age
            records.append(
                {
                    "Gsid": answer.id,
                    "ModifiedDate": _gs_date(moment),
                    "RespondedDate": _gs_date(moment) if answer.score is not None else None,
                    "CreatedDate": _gs_date(moment),
                    "Score": answer.score,
                    "Comment": answer.comment,
                    "EmailAddress": person.email,
                    "SurveyId": "1P04SIM" + hashlib.sha256(answer.survey.encode()).hexdigest()[:20],
                    "SurveyId__gr.Title": answer.survey,
                    "CompanyId": customer.gainsight_id,
                    "CompanyId__gr.Name": customer.name,
                    "RelationshipId": None,
                    "CompanyId__gr.SfdcAccountId": customer.salesforce_id,
                    "CompanyId__gr.Csm__gr.Email": owner.email,
                }
            )
        self.add_account(
            SimAccount(
                "tenant",
                secrets={"access_key": f"sim-gainsight-{uuid.uuid4().hex}"},
                data={OBJECT: records},
            )
        )

    def webhook_deliveries(
        self, config: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> list[WebhookDelivery]:
        """P5: the answered surveys, as a Rules Engine "Call External API" action posts them.

        One call with every answered survey in the documented body
        (docs/connectors/gainsight.md), with the same GSIDs the poll reads, so
        a response seen both ways is one event.
        """
        responses = []
        for record in self.account.data[OBJECT]:
            responded = _read_date(record["RespondedDate"]) if record["RespondedDate"] else None
            if record["Score"] is None or responded is None:
                continue
            responses.append(
                {
                    "response_id": record["Gsid"],
                    "survey_name": record["SurveyId__gr.Title"],
                    "score": record["Score"],
                    "comment": record["Comment"],
                    "email": record["EmailAddress"],
                    "survey_id": record["SurveyId"],
                    "company_id": record["CompanyId"],
                    "company_name": record["CompanyId__gr.Name"],
                    "crm_account_id": record["CompanyId__gr.SfdcAccountId"],
                    "owner_email": record["CompanyId__gr.Csm__gr.Email"],
                    "responded_at": responded.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        if not responses:
            return []
        auth = shared_secret_headers(
            secrets.get("webhook_secret", ""),
            mode=config["webhook_auth"],
            header=config["webhook_header"],
            username=config["webhook_username"],
        )
        return [
            WebhookDelivery(
                json.dumps({"responses": responses}).encode(),
                {"Content-Type": "application/json", **auth},
                f"{len(responses)} survey responses",
            )
        ]

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.gainsight]` pointing here, with the CRM account and CSM lookups."""
        return {
            "base_url": url,
            "fields": {
                "crm_account_id": "CompanyId__gr.SfdcAccountId",
                "owner_email": "CompanyId__gr.Csm__gr.Email",
            },
        }

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """Gainsight's envelope, `result: false`, with the HTTP status of the refusal."""
        code, desc = _ERRORS.get(refusal.kind, (refusal.kind, refusal.message))
        if refusal.code:
            code, desc = refusal.code, refusal.message
        headers = {}
        if refusal.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(refusal.retry_after + 0.5)))
        return Reply(_envelope(None, code, desc), status=refusal.status, headers=headers)

    @endpoint(
        "POST",
        "/v1/data/objects/query/{object}",
        body={
            "select": list[str],
            "where?": dict[str, Any],
            "orderBy?": dict[str, str],
            "limit?": int,
            "offset?": int,
        },
    )
    async def query(self, call: Call) -> Any:
        """Records of an object matching `where`, ordered, limited and offset."""
        records = call.data.get(call.path_params["object"])
        if records is None:
            raise Refusal("bad_request", "Object not found", code="GSOBJ_1001")
        body = call.body
        fields = set(records[0]) if records else set()
        for name in [*body["select"], *(body.get("orderBy") or {})]:
            if name not in fields:
                raise Refusal(
                    "bad_request", "Invalid field, please re-check data mapping", code="GSOBJ_1002"
                )
        limit = body.get("limit") or 100
        if not 1 <= limit <= MAX_LIMIT:
            raise Refusal(
                "bad_request", f"limit must be between 1 and {MAX_LIMIT}", code="GSOBJ_1004"
            )
        matching = [r for r in records if self._matches(r, body.get("where"), fields)]
        for name, direction in reversed(list((body.get("orderBy") or {}).items())):
            matching.sort(
                key=lambda r, n=name: self._value(r, n) or datetime.min.replace(tzinfo=UTC),
                reverse=direction.lower() == "desc",
            )
        offset = body.get("offset") or 0
        page = matching[offset : offset + limit]
        return _envelope([{k: r[k] for k in body["select"]} for r in page], None, None)

    @staticmethod
    def _value(record: dict[str, Any], name: str) -> Any:
        value = record.get(name)
        return _read_date(value) if name in _DATE_FIELDS and value else value

    def _matches(self, record: dict[str, Any], where: Any, fields: set[str]) -> bool:
        if not where:
            return True
        results: dict[str, bool] = {}
        for condition in where.get("conditions") or []:
            name, operator = condition.get("name"), str(condition.get("operator", "")).upper()
            if name not in fields:
                raise Refusal(
                    "bad_request", "Invalid field, please re-check data mapping", code="GSOBJ_1002"
                )
            if operator not in _OPERATORS:
                raise Refusal("bad_request", f"Invalid operator {operator}", code="GSOBJ_1006")
            wanted = (condition.get("value") or [None])[0]
            if name in _DATE_FIELDS:
                wanted = _read_date(wanted)
                if wanted is None:
                    raise Refusal(
                        "bad_request",
                        f"Invalid dateTime format ({name}= {condition.get('value')})",
                        code="GSOBJ_1005",
                    )
            results[str(condition.get("alias"))] = _OPERATORS[operator](
                self._value(record, name), wanted
            )
        expression = str(where.get("expression") or " AND ".join(results))
        aliases = [part for part in expression.replace("(", " ").replace(")", " ").split()
                   if part not in ("AND", "OR")]  # fmt: skip
        if any(a not in results for a in aliases):
            raise Refusal("bad_request", "Invalid where expression", code="GSOBJ_1007")
        picked = [results[a] for a in aliases]
        return any(picked) if " OR " in f" {expression} " else all(picked)
