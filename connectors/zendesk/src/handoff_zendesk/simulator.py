"""A simulator of the Zendesk Support API as the connector uses it, seeded with the company.

What it enforces, as Zendesk does:

- Auth: an agent's API token as HTTP basic `{email}/token:{token}`, or an
  OAuth access token as a bearer; anything else is 401
  `{"error": "Couldn't authenticate you"}`.
- The account's requests per minute (700, Enterprise), reported on every
  answer (`x-rate-limit`, `ratelimit-limit`, `ratelimit-remaining`,
  `ratelimit-reset`); past it, 429 with `Retry-After` and
  `{"error": "APIRateLimitExceeded"}`. The incremental export has its own
  10 a minute (`zendesk-ratelimit-incremental-exports`).
- Tickets: create (with Idempotency-Key: a repeat with the same key and
  body answers the first ticket again, `x-idempotency-lookup: hit`; the same
  key with another body is 400 `IdempotentRequestError`), show, update
  (a safe update stamped with an older `updated_stamp` is 409
  `UpdateConflict`), tags, cursor-paginated lists (`meta.has_more`), the
  cursor-based incremental export, macro previews.
- Working a ticket (rules Z2-Z6): `include=users` sideloads its people; an
  update merges `custom_fields` by id, adds `additional_tags`, refuses an
  assignee who is no agent (422), and keeps its `comment` (public, or an
  internal note) under the API user, or `author_id`; comments are listed by
  cursor; `search.json` answers `type:ticket`, `status<solved`,
  `status:<s>`, `custom_field_<id>:<value>`, `tags:<t>` and
  `requester:<email>`; `users/show_many.json`; macros are found by title
  (`macros/search.json`).
- create_many: at most 100 tickets (more: 400 `TooManyValues`), answered
  with a job; at most 30 jobs queued or running per account (more: 429 with
  Retry-After). A job runs for `job_seconds` on the simulator's clock:
  queued, working, then completed with one result per ticket (a ticket
  without a comment fails with `RecordInvalid`). `job_statuses/{id}` and
  `job_statuses/show_many?ids=...` report them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff_sdk.testing import (
    COMPANY,
    AnyOf,
    ApiKey,
    BasicPassword,
    Batch,
    Call,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    endpoint,
)

__all__ = ["ZendeskSimulator"]

CREATE_MANY_MAX = 100
QUEUED_JOBS_MAX = 30
PER_MINUTE = 700
EXPORT_WINDOW = RateWindow(10, 60.0, name="incremental-exports")
AGENT_EMAIL = "agent@example.test"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZendeskSimulator(Simulator):
    """Zendesk Support for the synthetic company's account (subdomain `sim`)."""

    name = "zendesk"
    default_limits = Limits(windows=(RateWindow(PER_MINUTE, 60.0, name="minute"),))
    auth = AnyOf(
        BasicPassword("{email}/token", "api_token"),
        ApiKey("access_token", header="Authorization", prefix="Bearer "),
    )
    media_type = "application/json; charset=utf-8"

    job_seconds = 0.5
    """How long a create_many job runs once started (on the simulator's clock)."""

    def seed(self) -> None:
        """The synthetic company: its people as users, the seller's reps as agents, tickets."""
        now = self.clock.now()
        users: dict[int, dict[str, Any]] = {}
        for person in COMPANY.people:
            if person.zendesk_id is None:
                continue
            customer = COMPANY.customer(person.customer)
            users[person.zendesk_id] = _user(
                person.zendesk_id, person.name, person.email, "end-user", customer.zendesk_org_id
            )
        for n, rep in enumerate(COMPANY.reps):
            users[9_000 + n] = _user(9_000 + n, rep.name, rep.email, "agent", None)
        users[8_999] = _user(8_999, "Sim Agent", AGENT_EMAIL, "admin", None)
        organizations = {
            c.zendesk_org_id: {
                "id": c.zendesk_org_id,
                "name": c.name,
                "domain_names": [c.domain],
                "created_at": "2024-01-01T00:00:00Z",
            }
            for c in COMPANY.customers
            if c.zendesk_org_id is not None
        }
        tickets: dict[int, dict[str, Any]] = {}
        comments: dict[int, list[dict[str, Any]]] = {}
        for ticket in COMPANY.tickets:
            requester = COMPANY.person(ticket.requester)
            opened = _stamp(now - ticket.age)
            tickets[ticket.id] = {
                "id": ticket.id,
                "subject": ticket.subject,
                "description": ticket.description,
                "status": ticket.status,
                "priority": ticket.priority,
                "tags": list(ticket.tags),
                "requester_id": requester.zendesk_id,
                "organization_id": COMPANY.customer(requester.customer).zendesk_org_id,
                "assignee_id": None,
                "custom_fields": [],
                "created_at": opened,
                "updated_at": opened,
            }
            comments[ticket.id] = [
                _comment(ticket.id * 100, requester.zendesk_id, ticket.description, True, opened)
            ]
        self.add_account(
            SimAccount(
                "sim",
                settings={"email": AGENT_EMAIL, "subdomain": "sim"},
                secrets={"api_token": "sim-api-token", "access_token": "sim-oauth-token"},
                data={
                    "users": users,
                    "organizations": organizations,
                    "tickets": tickets,
                    "macros": {
                        360_001: {"title": "Pass to Sales", "status": "pending", "tags": ["sales"]},
                        360_002: {
                            "title": "New Sales Quote",
                            "status": "pending",
                            "tags": ["new_sales_quote"],
                            "public": True,
                        },
                    },
                    "comments": comments,
                    "next_comment": 1,
                    "jobs": {},
                    "idempotency": {},
                    "next_ticket": 20_000,
                },
            )
        )

    def connector_config(self, url: str) -> dict[str, Any]:
        """The API-token login of the sim agent, with the API root on this simulator."""
        return {"subdomain": "sim", "base_url": url, "email": AGENT_EMAIL}

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The agent's API token (and the webhook secret the contract signs with is its own)."""
        return {"api_token": (account or self.account).secrets["api_token"]}

    # -- how Zendesk says no -----------------------------------------------------------

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """Zendesk's error bodies; 429s with Retry-After."""
        headers: dict[str, str] = {}
        if refusal.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(refusal.retry_after + 0.5)))
        if refusal.kind in ("unauthorized", "token_expired"):
            return Reply({"error": "Couldn't authenticate you"}, status=401)
        if refusal.kind == "rate_limited" and refusal.limit == EXPORT_WINDOW.name:
            reset = headers.get("Retry-After", "60")
            headers["zendesk-ratelimit-incremental-exports"] = (
                f"total=10; remaining=0; resets={reset}"
            )
        if refusal.kind in ("rate_limited", "too_many_concurrent"):
            body = {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            }
            return Reply(body, status=429, headers=headers)
        if refusal.kind == "not_found":
            return Reply({"error": "RecordNotFound", "description": "Not found"}, status=404)
        if refusal.kind == "batch_too_large":
            body = {
                "error": "TooManyValues",
                "description": f"Too many values: at most {CREATE_MANY_MAX} tickets per call",
            }
            return Reply(body, status=400, headers=headers)
        code = refusal.code or {"bad_request": "InvalidValue"}.get(refusal.kind, refusal.kind)
        return Reply({"error": code, "description": refusal.message}, refusal.status, headers)

    def answer_headers(self, account: SimAccount | None) -> dict[str, str]:
        """The account's per-minute limit and what is left of it."""
        if account is None:
            return {}
        _used, remaining, reset = self.usage(account, "minute")
        return {
            "x-rate-limit": str(PER_MINUTE),
            "x-rate-limit-remaining": str(remaining),
            "ratelimit-limit": str(PER_MINUTE),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(int(reset) + 1 if reset else 60),
        }

    # -- people -----------------------------------------------------------------------------

    @endpoint("GET", "/api/v2/users/search.json", query={"query": str})
    async def search_users(self, call: Call) -> Any:
        """Users matching `email:<address>` (or a name)."""
        wanted = str(call.query["query"]).removeprefix("email:").strip().lower()
        users = [
            u for u in call.data["users"].values() if wanted in (u["email"], u["name"].lower())
        ]
        return {"users": users, "next_page": None, "previous_page": None, "count": len(users)}

    @endpoint("GET", "/api/v2/users/{user_id:int}.json")
    async def show_user(self, call: Call) -> Any:
        """One user."""
        return {"user": self._find(call, "users", "user_id")}

    @endpoint("GET", "/api/v2/organizations/{org_id:int}.json")
    async def show_organization(self, call: Call) -> Any:
        """One organization."""
        return {"organization": self._find(call, "organizations", "org_id")}

    def _find(self, call: Call, collection: str, key: str) -> dict[str, Any]:
        found = call.data[collection].get(call.path_params[key])
        if found is None:
            raise Refusal("not_found", "Not found")
        return dict(found)

    # -- tickets ---------------------------------------------------------------------------

    def _new_ticket(self, call: Call, fields: dict[str, Any]) -> dict[str, Any]:
        comment = fields.get("comment") or {}
        body = (
            comment.get("body") or comment.get("html_body") if isinstance(comment, dict) else None
        )
        if not body:
            raise Refusal(
                "bad_request", "Description: cannot be blank", code="RecordInvalid", status=422
            )
        call.data["next_ticket"] += 1
        now = _stamp(self.clock.now())
        ticket = {
            "id": call.data["next_ticket"],
            "subject": fields.get("subject") or str(body)[:80],
            "description": body,
            "status": fields.get("status") or "new",
            "priority": fields.get("priority"),
            "tags": list(fields.get("tags") or []),
            "requester_id": fields.get("requester_id") or 8_999,
            "organization_id": fields.get("organization_id"),
            "assignee_id": fields.get("assignee_id"),
            "custom_fields": list(fields.get("custom_fields") or []),
            "created_at": now,
            "updated_at": now,
        }
        call.data["tickets"][ticket["id"]] = ticket
        call.data["comments"][ticket["id"]] = [
            self._comment(call, ticket["requester_id"], str(body), True)
        ]
        return ticket

    def _comment(self, call: Call, author: Any, body: str, public: bool) -> dict[str, Any]:
        call.data["next_comment"] += 1
        return _comment(call.data["next_comment"], author, body, public, _stamp(self.clock.now()))

    @endpoint("POST", "/api/v2/tickets.json", body={"ticket": dict[str, Any]})
    async def create_ticket(self, call: Call) -> Any:
        """Create a ticket; an Idempotency-Key makes a repeat answer the same ticket."""
        key = call.headers.get("idempotency-key")
        digest = hashlib.sha256(call.raw_body).hexdigest()
        seen = call.data["idempotency"].get(key) if key else None
        if seen is not None:
            if seen[0] != digest:
                raise Refusal(
                    "bad_request",
                    "Request body does not match the original request for this Idempotency-Key",
                    code="IdempotentRequestError",
                )
            return Reply(seen[1], status=201, headers={"x-idempotency-lookup": "hit"})
        answer = {"ticket": self._new_ticket(call, call.body["ticket"])}
        if key:
            call.data["idempotency"][key] = (digest, answer)
        return Reply(answer, status=201, headers={"x-idempotency-lookup": "miss"})

    @endpoint("GET", "/api/v2/tickets/{ticket_id:int}.json", query={"include?": str})
    async def show_ticket(self, call: Call) -> Any:
        """One ticket; `include=users` adds its requester, submitter and assignee."""
        ticket = self._find(call, "tickets", "ticket_id")
        answer: dict[str, Any] = {"ticket": ticket}
        if "users" in str(call.query.get("include") or ""):
            answer["users"] = self._people(call, [ticket])
        return answer

    def _people(self, call: Call, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = {t.get(k) for t in tickets for k in ("requester_id", "submitter_id", "assignee_id")}
        return [call.data["users"][i] for i in sorted(x for x in ids if x in call.data["users"])]

    @endpoint("PUT", "/api/v2/tickets/{ticket_id:int}.json", body={"ticket": dict[str, Any]})
    async def update_ticket(self, call: Call) -> Any:
        """Change a ticket; a safe update stamped before its last change is a conflict."""
        ticket = call.data["tickets"].get(call.path_params["ticket_id"])
        if ticket is None:
            raise Refusal("not_found", "Not found")
        changes = dict(call.body["ticket"])
        stamp = changes.pop("updated_stamp", None)
        if changes.pop("safe_update", False) and stamp and stamp != ticket["updated_at"]:
            raise Refusal("conflict", "Safe Update prevented the update", code="UpdateConflict")
        comment = changes.pop("comment", None)
        assignee = changes.get("assignee_id")
        if assignee is not None and call.data["users"].get(assignee, {}).get("role") not in (
            "agent",
            "admin",
        ):
            raise Refusal(
                "bad_request",
                "Record validation errors",
                code="RecordInvalid",
                status=422,
            )
        fields = {f["id"]: f for f in ticket.get("custom_fields") or []}
        for changed in changes.pop("custom_fields", None) or []:
            fields[changed["id"]] = {"id": changed["id"], "value": changed.get("value")}
        ticket["custom_fields"] = list(fields.values())
        added = changes.pop("additional_tags", None) or []
        ticket.update(changes)
        ticket["tags"] = list(dict.fromkeys([*ticket.get("tags", []), *added]))
        if isinstance(comment, dict) and (comment.get("body") or comment.get("html_body")):
            author = comment.get("author_id") or 8_999
            text = str(comment.get("body") or comment.get("html_body"))
            note = self._comment(call, author, text, comment.get("public", True) is not False)
            call.data["comments"].setdefault(ticket["id"], []).append(note)
        self.clock_tick(ticket)
        return {"ticket": ticket}

    @endpoint(
        "GET",
        "/api/v2/tickets/{ticket_id:int}/comments.json",
        query={"include?": str, "page[size]?": int, "page[after]?": str},
    )
    async def list_comments(self, call: Call) -> Any:
        """A ticket's comments, oldest first, by cursor; `include=users` adds their authors."""
        self._find_live(call)
        every = call.data["comments"].get(call.path_params["ticket_id"], [])
        size = min(100, call.query.get("page[size]") or 100)
        after = int(call.query.get("page[after]") or 0)
        rest = [c for c in every if c["id"] > after]
        page = rest[:size]
        cursor = str(page[-1]["id"]) if page else None
        answer: dict[str, Any] = {
            "comments": page,
            "meta": {"has_more": len(rest) > size, "after_cursor": cursor, "before_cursor": None},
            "links": {"next": None, "prev": None},
        }
        if "users" in str(call.query.get("include") or ""):
            authors = {c["author_id"] for c in page}
            answer["users"] = [call.data["users"][a] for a in authors if a in call.data["users"]]
        return answer

    @endpoint("GET", "/api/v2/search.json", query={"query": str, "page?": int})
    async def search(self, call: Call) -> Any:
        """Tickets matching a search: the filters listed in the module's docstring, all of them."""
        terms = str(call.query["query"]).split()
        found = [t for t in call.data["tickets"].values() if _matches(call.data, t, terms)]
        found.sort(key=lambda t: t["id"])
        return {
            "results": [{**t, "result_type": "ticket"} for t in found[:100]],
            "facets": None,
            "next_page": None,
            "previous_page": None,
            "count": len(found),
        }

    @endpoint("GET", "/api/v2/users/show_many.json", query={"ids": str})
    async def show_many_users(self, call: Call) -> Any:
        """Several users at once (comma-separated ids, at most 100)."""
        ids = [int(i) for i in str(call.query["ids"]).split(",") if i.strip().isdigit()]
        if len(ids) > 100:
            raise Refusal("bad_request", "Too many ids: at most 100", code="TooManyValues")
        users = [call.data["users"][i] for i in ids if i in call.data["users"]]
        return {"users": users, "next_page": None, "previous_page": None, "count": len(users)}

    @endpoint("GET", "/api/v2/macros/search.json", query={"query": str, "active?": str})
    async def search_macros(self, call: Call) -> Any:
        """Macros whose title contains the query (any case)."""
        wanted = str(call.query["query"]).strip().lower()
        macros = [
            {"id": macro_id, "title": m["title"], "active": m.get("active", True)}
            for macro_id, m in sorted(call.data["macros"].items())
            if wanted in m["title"].lower()
        ]
        return {"macros": macros, "next_page": None, "previous_page": None, "count": len(macros)}

    def clock_tick(self, ticket: dict[str, Any]) -> None:
        """A change moves `updated_at` (one second later at least, as stamps are in seconds)."""
        now = self.clock.now()
        previous = datetime.fromisoformat(ticket["updated_at"].replace("Z", "+00:00"))
        ticket["updated_at"] = _stamp(max(now, previous + timedelta(seconds=1)))

    @endpoint("GET", "/api/v2/tickets.json", query={"page[size]?": int, "page[after]?": str})
    async def list_tickets(self, call: Call) -> Any:
        """Tickets by cursor: `meta.has_more` says whether `links.next` leads anywhere."""
        size = min(100, call.query.get("page[size]") or 100)
        after = int(call.query.get("page[after]") or 0)
        ordered = sorted(call.data["tickets"].values(), key=lambda t: t["id"])
        rest = [t for t in ordered if t["id"] > after]
        page = rest[:size]
        more = len(rest) > size
        cursor = str(page[-1]["id"]) if page else None
        next_link = f"{call.base_url}/api/v2/tickets.json?page[after]={cursor}&page[size]={size}"
        return {
            "tickets": page,
            "meta": {"has_more": more, "after_cursor": cursor, "before_cursor": None},
            "links": {"next": next_link, "prev": None},
        }

    @endpoint(
        "GET",
        "/api/v2/incremental/tickets/cursor.json",
        limits=(EXPORT_WINDOW,),
        query={"start_time?": int, "cursor?": str},
    )
    async def export_tickets(self, call: Call) -> Any:
        """The cursor-based incremental export, oldest change first, the last minute left out."""
        tickets = sorted(call.data["tickets"].values(), key=lambda t: (t["updated_at"], t["id"]))
        if call.query.get("cursor"):
            position = int(str(call.query["cursor"]).removeprefix("c"))
        else:
            since = _stamp(datetime.fromtimestamp(call.query.get("start_time") or 0, UTC))
            position = sum(1 for t in tickets if t["updated_at"] < since)
        cutoff = _stamp(self.clock.now() - timedelta(minutes=1))
        visible = [t for t in tickets if t["updated_at"] <= cutoff]
        page = visible[position : position + 100]
        end = position + len(page)
        return {
            "tickets": page,
            "after_cursor": f"c{end}",
            "before_cursor": None,
            "after_url": f"{call.base_url}/api/v2/incremental/tickets/cursor.json?cursor=c{end}",
            "end_of_stream": end >= len(visible),
        }

    @endpoint("PUT", "/api/v2/tickets/{ticket_id:int}/tags.json", body={"tags": list[str]})
    async def add_tags(self, call: Call) -> Any:
        """Add tags."""
        ticket = self._find_live(call)
        ticket["tags"] = list(dict.fromkeys([*ticket["tags"], *call.body["tags"]]))
        return {"tags": ticket["tags"]}

    @endpoint("POST", "/api/v2/tickets/{ticket_id:int}/tags.json", body={"tags": list[str]})
    async def set_tags(self, call: Call) -> Any:
        """Replace the tags."""
        ticket = self._find_live(call)
        ticket["tags"] = list(dict.fromkeys(call.body["tags"]))
        return {"tags": ticket["tags"]}

    @endpoint("DELETE", "/api/v2/tickets/{ticket_id:int}/tags.json", body={"tags": list[str]})
    async def remove_tags(self, call: Call) -> Any:
        """Remove tags."""
        ticket = self._find_live(call)
        ticket["tags"] = [t for t in ticket["tags"] if t not in call.body["tags"]]
        return {"tags": ticket["tags"]}

    def _find_live(self, call: Call) -> dict[str, Any]:
        ticket = call.data["tickets"].get(call.path_params["ticket_id"])
        if ticket is None:
            raise Refusal("not_found", "Not found")
        found: dict[str, Any] = ticket
        return found

    @endpoint("GET", "/api/v2/tickets/{ticket_id:int}/macros/{macro_id:int}/apply.json")
    async def preview_macro(self, call: Call) -> Any:
        """The ticket as the macro would leave it, and the macro's comment."""
        ticket = self._find_live(call)
        macro = call.data["macros"].get(call.path_params["macro_id"])
        if macro is None:
            raise Refusal("not_found", "Not found")
        after = {**ticket, "status": macro["status"], "tags": [*ticket["tags"], *macro["tags"]]}
        comment = {"body": f"{macro['title']}: handed over.", "public": macro.get("public", False)}
        return {"result": {"ticket": after, "comment": comment}}

    # -- create_many and jobs ------------------------------------------------------------

    @endpoint(
        "POST",
        "/api/v2/tickets/create_many.json",
        body={"tickets": list[dict[str, Any]]},
        batch=Batch("tickets", CREATE_MANY_MAX),
    )
    async def create_many(self, call: Call) -> Any:
        """Start a job creating up to 100 tickets; at most 30 jobs queued or running."""
        running = [j for j in call.data["jobs"].values() if self._status(j) != "completed"]
        if len(running) >= QUEUED_JOBS_MAX:
            soonest = min(j["done_at"] for j in running) - self.clock.monotonic()
            raise Refusal(
                "rate_limited",
                f"The job queue is full ({QUEUED_JOBS_MAX} queued or running jobs)",
                limit="job-queue",
                retry_after=max(1.0, soonest),
            )
        job_id = secrets.token_hex(16)
        started = self.clock.monotonic()
        job = {
            "id": job_id,
            "tickets": call.body["tickets"],
            "started": started,
            "done_at": started + self.job_seconds,
            "results": None,
        }
        call.data["jobs"][job_id] = job
        return {"job_status": self._job_status(call, job)}

    def _status(self, job: dict[str, Any]) -> str:
        now = self.clock.monotonic()
        if now >= job["done_at"]:
            return "completed"
        return "queued" if now < job["started"] + self.job_seconds / 5 else "working"

    def _job_status(self, call: Call, job: dict[str, Any]) -> dict[str, Any]:
        status = self._status(job)
        total = len(job["tickets"])
        if status == "completed" and job["results"] is None:
            job["results"] = [
                self._create_from_job(call, i, t) for i, t in enumerate(job["tickets"])
            ]
        return {
            "id": job["id"],
            "url": f"{call.base_url}/api/v2/job_statuses/{job['id']}.json",
            "job_type": "bulk_create_tickets",
            "total": total,
            "progress": total if status == "completed" else 0,
            "status": status,
            "message": "Completed at " + _stamp(self.clock.now())
            if status == "completed"
            else None,
            "results": job["results"],
        }

    def _create_from_job(self, call: Call, index: int, fields: dict[str, Any]) -> dict[str, Any]:
        try:
            ticket = self._new_ticket(call, fields)
        except Refusal as refusal:
            return {"index": index, "error": "RecordInvalid", "details": refusal.message}
        return {
            "index": index,
            "id": ticket["id"],
            "success": True,
            "action": "create",
            "status": "Created",
        }

    @endpoint("GET", "/api/v2/job_statuses/show_many.json", query={"ids": str})
    async def show_many_jobs(self, call: Call) -> Any:
        """Several jobs' statuses at once (comma-separated ids)."""
        ids = [i for i in str(call.query["ids"]).split(",") if i]
        jobs = [call.data["jobs"][i] for i in ids if i in call.data["jobs"]]
        return {"job_statuses": [self._job_status(call, j) for j in jobs]}

    @endpoint("GET", "/api/v2/job_statuses/{job_id}.json")
    async def show_job(self, call: Call) -> Any:
        """One job's status."""
        job = call.data["jobs"].get(str(call.path_params["job_id"]))
        if job is None:
            raise Refusal("not_found", "Not found")
        return {"job_status": self._job_status(call, job)}


_OPEN = ("new", "open", "pending", "hold")


def _matches(data: dict[str, Any], ticket: dict[str, Any], terms: list[str]) -> bool:
    """Whether a ticket passes every search term the simulator knows (others match nothing)."""
    fields = {str(f["id"]): f.get("value") for f in ticket.get("custom_fields") or []}
    for term in terms:
        if term == "type:ticket":
            continue
        if term == "status<solved":
            ok = ticket["status"] in _OPEN
        elif term.startswith("status:"):
            ok = ticket["status"] == term.removeprefix("status:")
        elif term.startswith("tags:"):
            ok = term.removeprefix("tags:") in ticket.get("tags", [])
        elif term.startswith("requester:"):
            requester = data["users"].get(ticket.get("requester_id"), {})
            ok = requester.get("email") == term.removeprefix("requester:").lower()
        elif term.startswith("custom_field_") and ":" in term:
            field_id, _, value = term.removeprefix("custom_field_").partition(":")
            ok = str(fields.get(field_id)).lower() == value.lower()
        else:
            ok = False
        if not ok:
            return False
    return True


def _comment(comment_id: int, author: Any, body: str, public: bool, at: str) -> dict[str, Any]:
    return {
        "id": comment_id,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "plain_body": body,
        "public": public,
        "created_at": at,
    }


def _user(user_id: int, name: str, email: str, role: str, org: int | None) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": name,
        "email": email,
        "role": role,
        "organization_id": org,
        "active": True,
        "time_zone": "UTC",
        "tags": [],
        "external_id": None,
        "user_fields": {},
    }
