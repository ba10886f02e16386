"""The web console: pages for reps and ops, served by `handoff serve` under /console.

Server-rendered Jinja2 templates, htmx for partial updates, server-sent
events for what is live; no JavaScript build step and every asset served
from `static/` (works offline). Users sign in with a name and password
(`handoff users add`); their role is one of the API's scopes (rep, ops,
admin) and every page checks it with `require_role`. docs/console.md says
how to add a page.
"""

from __future__ import annotations

from handoff.console.web import (
    CSRF_FIELD,
    CSRF_HEADER,
    PREFIX,
    SESSION_COOKIE,
    Console,
    ConsoleError,
    ConsolePages,
    NavItem,
    Viewer,
    console_of,
    fragment,
    install_console,
    live_stream,
    render,
    require_role,
)

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PREFIX",
    "SESSION_COOKIE",
    "Console",
    "ConsoleError",
    "ConsolePages",
    "NavItem",
    "Viewer",
    "console_of",
    "fragment",
    "install_console",
    "live_stream",
    "render",
    "require_role",
]
