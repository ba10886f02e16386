"""handoff-marketo: the Marketo Engage connector of handoff."""

from __future__ import annotations

from .connector import MarketoConfig, MarketoConnector, classify_marketo
from .mapping import SignupPayloadError, signup_to_lead

__all__ = [
    "MarketoConfig",
    "MarketoConnector",
    "SignupPayloadError",
    "classify_marketo",
    "signup_to_lead",
]
