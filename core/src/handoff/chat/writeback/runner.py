"""The worker's side of write-back (Q11): a `writeback.update_contact` job updates the Contact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from handoff.runtime import ClaimedJob, JobFailedError
from handoff.runtime.worker import JobRunner
from handoff_sdk.entities import Contact, WriteResult

if TYPE_CHECKING:
    from handoff.hub import Hub

__all__ = ["contact_update_runner"]

UPDATE_CONTACTS = "handoff_update_contacts"

_RETRYABLE_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
"""Per-record failures that may pass on a later attempt; any other code is final."""


def _describe_failures(results: Sequence[WriteResult]) -> tuple[str, bool]:
    """(message, retryable) of the failed results."""
    parts: list[str] = []
    retryable = False
    for result in results:
        for error in result.errors or []:
            parts.append(f"{error.code or 'error'}: {error.message}")
            retryable = retryable or error.code is None or error.code in _RETRYABLE_CODES
    return "; ".join(parts) or "not written", retryable


def contact_update_runner(hub: Callable[[], Hub | None]) -> JobRunner:
    """Run a `writeback.update_contact` job: the CRM connector updates the Contacts (Q11).

    `hub()` gives the worker's connectors; the job's connector must implement
    `handoff_update_contacts` (Salesforce does). A refused contact fails the
    job for good (a validation rule will refuse it again) except for the codes
    a retry may get past.
    """

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        name = job.connector or ""
        connectors = hub()
        if connectors is None or name not in connectors.connectors:
            raise JobFailedError(f"job {job.id}: connector '{name}' is not enabled", permanent=True)
        if name not in connectors.implementing(UPDATE_CONTACTS):
            raise JobFailedError(
                f"job {job.id}: connector '{name}' cannot update contacts ({UPDATE_CONTACTS})",
                permanent=True,
            )
        contacts = [Contact.model_validate(c) for c in job.payload.get("contacts", [])]
        results = await connectors.update_contacts(name, contacts, job.idempotency_key)
        failed = [r for r in results if not r.ok]
        if failed:
            message, retryable = _describe_failures(failed)
            raise JobFailedError(
                f"{name}: contact update refused: {message}", permanent=not retryable
            )
        return {"updated": [r.id for r in results]}

    return run
