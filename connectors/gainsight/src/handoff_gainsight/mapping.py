"""Pure functions from Gainsight's JSON to handoff events (rule P5).

Survey responses reach handoff two ways: polled from a Gainsight object with
the Data Management query API, or pushed by a Gainsight outbound call. Both
are first read into one `SurveyResponse`, then turned into the same `Event`
with the same dedupe key, so a response seen by both paths is processed once.

Traps of the Gainsight API handled here: dates come back as
`MM/DD/YYYY HH:MM:SS` (UTC) on many objects, ISO 8601 on others and epoch
milliseconds in some exports; scores may be strings; lookup fields are
selected with the `__gr.` path syntax and returned under that same dotted key.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff_sdk.entities import Event

__all__ = [
    "SOURCE",
    "PollCursor",
    "SurveyFields",
    "SurveyKind",
    "SurveyKindRule",
    "SurveyRecordMark",
    "SurveyResponse",
    "classify_survey",
    "default_kind_rules",
    "nps_category",
    "parse_datetime",
    "parse_score",
    "query_body",
    "records_of",
    "response_from_record",
    "response_from_webhook",
    "survey_event",
    "webhook_items",
]

SOURCE = "gainsight"

SurveyKind = Literal["nps", "csat", "post_churn"]
"""The three P5 survey signals; the event type is `gainsight.survey.<kind>`."""

_KINDS: tuple[str, ...] = get_args(SurveyKind)


class SurveyKindRule(BaseModel):
    """Which surveys are which kind: a case-insensitive glob on the survey name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(description="Glob on the survey name, e.g. '*post*churn*'.")
    kind: SurveyKind = Field(description="nps, csat or post_churn.")


def default_kind_rules() -> list[SurveyKindRule]:
    """The reading of survey names used when the config gives none; first match wins."""
    return [
        SurveyKindRule(pattern="*churn*", kind="post_churn"),
        SurveyKindRule(pattern="*csat*", kind="csat"),
        SurveyKindRule(pattern="*satisfaction*", kind="csat"),
        SurveyKindRule(pattern="*nps*", kind="nps"),
        SurveyKindRule(pattern="*net promoter*", kind="nps"),
    ]


class SurveyFields(BaseModel):
    """API names (Administration > Data Management) of the survey-response fields read.

    Optional fields set to null are not selected. Lookups use Gainsight's
    `Field__gr.Other` path syntax (e.g. `CompanyId__gr.Name`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default="Gsid", description="Unique id of the response record.")
    modified_date: str = Field(
        default="ModifiedDate", description="Last-modified date; the poll cursor follows it."
    )
    responded_date: str | None = Field(
        default="RespondedDate", description="When the survey was answered."
    )
    score: str = Field(default="Score", description="The NPS (0-10) or CSAT score.")
    comment: str | None = Field(default="Comment", description="Free-text comment.")
    email: str = Field(default="EmailAddress", description="Respondent's email.")
    survey_id: str | None = Field(default="SurveyId", description="Id of the survey.")
    survey_name: str = Field(
        default="SurveyId__gr.Title", description="Survey name; decides nps/csat/post_churn."
    )
    company_id: str | None = Field(default="CompanyId", description="Gainsight company GSID.")
    company_name: str | None = Field(default="CompanyId__gr.Name", description="Company name.")
    relationship_id: str | None = Field(
        default="RelationshipId", description="Gainsight relationship GSID."
    )
    crm_account_id: str | None = Field(
        default=None,
        description="CRM (Salesforce) account id, e.g. 'CompanyId__gr.SfdcAccountId'.",
    )
    owner_email: str | None = Field(
        default=None,
        description="Account owner's email for the post-churn @mention, e.g. "
        "'CompanyId__gr.Csm__gr.Email'.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """TOML has no null: an empty string switches an optional field off."""
        return None if value == "" else value

    def select(self) -> list[str]:
        """The field list of the query, each once, in a stable order."""
        names = [
            self.id,
            self.modified_date,
            self.responded_date,
            self.score,
            self.comment,
            self.email,
            self.survey_id,
            self.survey_name,
            self.company_id,
            self.company_name,
            self.relationship_id,
            self.crm_account_id,
            self.owner_email,
        ]
        return list(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True)
class SurveyResponse:
    """One answered survey, whichever way it arrived."""

    response_id: str
    survey_name: str | None
    score: int | float | None
    email: str | None
    responded_at: datetime | None
    comment: str | None = None
    survey_id: str | None = None
    company_id: str | None = None
    company_name: str | None = None
    relationship_id: str | None = None
    crm_account_id: str | None = None
    owner_email: str | None = None
    kind: SurveyKind | None = None
    modified_at: datetime | None = None


# -- scalar parsing ------------------------------------------------------------

_DATE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d",
)


def _parse_text_datetime(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_datetime(value: Any) -> datetime | None:
    """A Gainsight date or datetime as an aware UTC datetime; None when absent or unreadable.

    Gainsight stores datetimes in UTC and prints them as `MM/DD/YYYY HH:MM:SS`
    on many objects, ISO 8601 on others; exports use epoch milliseconds.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 10_000_000_000 else float(value)
        return datetime.fromtimestamp(seconds, tz=UTC)
    if not isinstance(value, str):
        return None
    parsed = _parse_text_datetime(value.strip())
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_score(value: Any) -> int | float | None:
    """A score as a number (int when whole); strings like '9' or '4.0' are accepted."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() else number


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _email(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def nps_category(score: int | float | None) -> str | None:
    """NPS bands: 9-10 promoter, 7-8 passive, 0-6 detractor; None outside 0-10."""
    if score is None or not 0 <= score <= 10:
        return None
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def classify_survey(
    name: str | None, rules: Sequence[SurveyKindRule], default: SurveyKind | None
) -> SurveyKind | None:
    """The kind of a survey by its name: the first matching rule, else `default`."""
    if name:
        lowered = name.lower()
        for rule in rules:
            if fnmatch.fnmatchcase(lowered, rule.pattern.lower()):
                return rule.kind
    return default


# -- the query API ---------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def query_body(
    fields: SurveyFields, since: datetime, until: datetime, limit: int, offset: int
) -> dict[str, Any]:
    """The body of POST /v1/data/objects/query/{object}: records modified in [since, until].

    Ordered by modified date ascending so the cursor can follow it; the upper
    bound keeps offsets stable while records keep changing during the poll.
    """
    return {
        "select": fields.select(),
        "where": {
            "conditions": [
                {
                    "name": fields.modified_date,
                    "alias": "A",
                    "value": [_iso(since)],
                    "operator": "GTE",
                },
                {
                    "name": fields.modified_date,
                    "alias": "B",
                    "value": [_iso(until)],
                    "operator": "LTE",
                },
            ],
            "expression": "A AND B",
        },
        "orderBy": {fields.modified_date: "asc"},
        "limit": limit,
        "offset": offset,
    }


def records_of(body: Any) -> list[dict[str, Any]]:
    """The records of a query answer: `data.records`, or `data` when it is a list."""
    if not isinstance(body, Mapping):
        return []
    data = body.get("data")
    if isinstance(data, Mapping):
        data = data.get("records")
    if not isinstance(data, list):
        return []
    return [r for r in data if isinstance(r, dict)]


def response_from_record(record: Mapping[str, Any], fields: SurveyFields) -> SurveyResponse | None:
    """A polled record as a SurveyResponse; None when it is not an answered survey.

    Survey participants that were sent a survey but did not answer carry
    neither a score nor a comment: they are not P5 signals.
    """

    def get(name: str | None) -> Any:
        return record.get(name) if name else None

    response_id = _text(get(fields.id))
    score = parse_score(get(fields.score))
    comment = _text(get(fields.comment))
    if response_id is None or (score is None and comment is None):
        return None
    modified_at = parse_datetime(get(fields.modified_date))
    return SurveyResponse(
        response_id=response_id,
        survey_name=_text(get(fields.survey_name)),
        score=score,
        email=_email(get(fields.email)),
        responded_at=parse_datetime(get(fields.responded_date)) or modified_at,
        comment=comment,
        survey_id=_text(get(fields.survey_id)),
        company_id=_text(get(fields.company_id)),
        company_name=_text(get(fields.company_name)),
        relationship_id=_text(get(fields.relationship_id)),
        crm_account_id=_text(get(fields.crm_account_id)),
        owner_email=_email(get(fields.owner_email)),
        modified_at=modified_at,
    )


# -- webhooks --------------------------------------------------------------------


def webhook_items(body: Any) -> list[Mapping[str, Any]]:
    """The responses in a webhook body: one object, a list, or `{"responses": [...]}`."""
    if isinstance(body, Mapping):
        inner = body.get("responses")
        if isinstance(inner, list):
            return [i for i in inner if isinstance(i, Mapping)]
        return [body]
    if isinstance(body, list):
        return [i for i in body if isinstance(i, Mapping)]
    return []


def response_from_webhook(item: Mapping[str, Any]) -> SurveyResponse:
    """One response of the documented webhook body (docs/connectors/gainsight.md).

    Raises ValueError naming the field when `response_id` is missing: without
    it no stable dedupe key can be made.
    """
    response_id = _text(item.get("response_id"))
    if response_id is None:
        raise ValueError("field 'response_id' is missing")
    kind = _text(item.get("survey_kind"))
    kind = kind.lower().replace("-", "_").replace(" ", "_") if kind else None
    if kind is not None and kind not in _KINDS:
        raise ValueError(f"field 'survey_kind' must be one of {', '.join(_KINDS)}, not {kind!r}")
    return SurveyResponse(
        response_id=response_id,
        survey_name=_text(item.get("survey_name")),
        score=parse_score(item.get("score")),
        email=_email(item.get("email")),
        responded_at=parse_datetime(item.get("responded_at")),
        comment=_text(item.get("comment")),
        survey_id=_text(item.get("survey_id")),
        company_id=_text(item.get("company_id")),
        company_name=_text(item.get("company_name")),
        relationship_id=_text(item.get("relationship_id")),
        crm_account_id=_text(item.get("crm_account_id")),
        owner_email=_email(item.get("owner_email")),
        kind=kind,  # type: ignore[arg-type]  # checked against _KINDS above
    )


# -- events ----------------------------------------------------------------------


def survey_event(response: SurveyResponse, kind: SurveyKind) -> Event:
    """P5: the hub event for one survey response.

    The dedupe key is the Gainsight record id only, so the poll and the
    webhook, or a response edited later, never open a second case.
    """
    payload: dict[str, Any] = {
        "survey_kind": kind,
        "response_id": response.response_id,
        "survey_id": response.survey_id,
        "survey_name": response.survey_name,
        "score": response.score,
        "comment": response.comment,
        "respondent_email": response.email,
        "company_id": response.company_id,
        "company_name": response.company_name,
        "relationship_id": response.relationship_id,
        "crm_account_id": response.crm_account_id,
        "owner_email": response.owner_email,
        "responded_at": _iso(response.responded_at) if response.responded_at else None,
    }
    if kind == "nps":
        payload["nps_category"] = nps_category(response.score)
    return Event(
        type=f"gainsight.survey.{kind}",
        source=SOURCE,
        dedupe_key=f"gainsight:survey_response:{response.response_id}",
        occurred_at=response.responded_at,
        payload=payload,
    )


# -- the poll cursor -----------------------------------------------------------------


@dataclass(frozen=True)
class PollCursor:
    """Where polling resumes: the last modified date seen, and the ids already read at it.

    Records are read with `modified >= since`, so ties at `since` are read
    again; `ids` lets them be skipped instead of emitted twice.
    """

    since: datetime
    ids: frozenset[str] = field(default_factory=frozenset)

    def dumps(self) -> str:
        """The opaque string handed back to the hub."""
        return json.dumps(
            {"v": 1, "since": _iso(self.since), "ids": sorted(self.ids)}, separators=(",", ":")
        )

    @classmethod
    def loads(cls, text: str) -> PollCursor:
        """Read a cursor; a bare ISO timestamp is accepted too (to backfill by hand).

        Raises ValueError on anything else.
        """
        text = text.strip()
        if text.startswith("{"):
            data = json.loads(text)
            since = parse_datetime(data.get("since")) if isinstance(data, dict) else None
            if since is None:
                raise ValueError("cursor has no readable 'since'")
            ids = data.get("ids") or []
            if not isinstance(ids, list):
                raise ValueError("cursor 'ids' is not a list")
            return cls(since, frozenset(str(i) for i in ids))
        since = parse_datetime(text)
        if since is None:
            raise ValueError("cursor is neither JSON nor an ISO timestamp")
        return cls(since)

    def advance(self, seen: Iterable[SurveyRecordMark]) -> PollCursor:
        """The cursor after reading records (id, modified date), skipped ones included."""
        latest = self.since
        ids = set(self.ids)
        for mark in seen:
            if mark.modified_at is None:
                continue
            if mark.modified_at > latest:
                latest = mark.modified_at
                ids = {mark.record_id}
            elif mark.modified_at == latest:
                ids.add(mark.record_id)
        return PollCursor(latest, frozenset(ids))


@dataclass(frozen=True)
class SurveyRecordMark:
    """A record's id and modified date: what the cursor needs of every record read."""

    record_id: str
    modified_at: datetime | None
