"""handoff-google-calendar: the Google Calendar connector of handoff."""

from __future__ import annotations

from .auth import SUBJECT_HEADER, DelegatedServiceAccount
from .connector import GoogleCalendarConfig, GoogleCalendarConnector

__all__ = [
    "SUBJECT_HEADER",
    "DelegatedServiceAccount",
    "GoogleCalendarConfig",
    "GoogleCalendarConnector",
]
