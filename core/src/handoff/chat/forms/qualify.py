"""The verdict on one smart-form submission against the ideal customer profile (Q18): pure.

Three verdicts, never two: `fit`, `not_fit`, and `unknown` when the profile
did not match AND a connector that could have told more (6sense, the CRM)
failed. A visitor nobody could look up is not "not fit"; the decision says
which connector failed and what the profile could not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from handoff.chat.forms.config import SmartFormsConfig
from handoff.rules.conditions import parse_condition

__all__ = ["IcpVerdict", "judge"]

Verdict = Literal["fit", "not_fit", "unknown"]


@dataclass(frozen=True)
class IcpVerdict:
    """Fit, not fit or unknown, with the profile's own words for why."""

    verdict: Verdict
    why: str
    checks: str
    """What the profile's condition said, term by term."""
    failed: tuple[str, ...] = ()
    """The connectors that could not be asked."""

    def to_json(self) -> dict[str, Any]:
        """As stored in the decision's explanation."""
        return {
            "verdict": self.verdict,
            "why": self.why,
            "checks": self.checks,
            "enrichment_failed": list(self.failed),
        }


def judge(config: SmartFormsConfig, context: Mapping[str, Any]) -> IcpVerdict:
    """The profile checked over what the request learned (enrichment, CRM, form fields)."""
    matched, checks = parse_condition(config.icp, "icp").check(context)
    failed = tuple(str(f) for f in context.get("enrichment_failed") or ())
    if matched:
        why = f"fits the ideal customer profile: {checks}"
        if failed:
            why += f" (even without {', '.join(failed)}, which could not be asked)"
        return IcpVerdict("fit", why, checks, failed)
    if failed:
        return IcpVerdict(
            "unknown",
            f"not judged: {', '.join(failed)} could not be asked, and on what is known the "
            f"profile did not match ({checks}); not counted as 'not fit'",
            checks,
            failed,
        )
    return IcpVerdict("not_fit", f"does not fit the ideal customer profile: {checks}", checks)
