"""Console users and their sessions: who may sign in to the web console, and who is signed in.

A user has a name, a role and a password. The roles are the API's scopes
(`rep`, `ops`, `admin`: handoff.api_keys.Scope) and mean the same here: a
`rep` user is bound to ONE rep id and sees that rep's data only; `ops` reads
everyone's; `admin` does everything. Passwords are kept as Argon2id hashes
made by the same hasher as the API keys' secrets (`hash_secret`).

A session is a random token in the browser's cookie; the store keeps only
its SHA-256 (a copy of the database opens no session), with its CSRF token
and its expiry. Signing out deletes it; removing a user deletes theirs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from handoff.api_keys import Scope, hash_secret, verify_secret
from handoff.errors import HandoffError
from handoff.runtime.state import audit
from handoff.store import ConsoleSession, ConsoleUser, Store

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "SESSION_LIFETIME",
    "SignedIn",
    "UserInfo",
    "add_user",
    "authenticate",
    "close_session",
    "find_session",
    "list_users",
    "open_session",
    "remove_user",
]

ROLES = (Scope.REP, Scope.OPS, Scope.ADMIN)
"""The roles a console user can have: the API's scopes, less `ingest` (a machine's)."""

MIN_PASSWORD = 12
"""The shortest password `handoff users add` accepts."""

SESSION_LIFETIME = timedelta(hours=12)
"""How long a sign-in lasts: a working day; then the console asks again."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# Verified when the name is unknown, so a wrong name costs the time a wrong password does.
_DECOY = hash_secret(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class UserInfo:
    """A console user, without the password hash."""

    id: str
    name: str
    role: Scope
    rep_id: str | None
    created_at: datetime
    created_by: str

    @property
    def actor(self) -> str:
        """How audit records name what this user changed in the console."""
        return f"console:{self.name}"

    def to_json(self) -> dict[str, object]:
        """For `handoff users list --json`."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "rep_id": self.rep_id,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class SignedIn:
    """A live session: its user, its CSRF token and when it ends."""

    user: UserInfo
    csrf_token: str
    expires_at: datetime


def _info(row: ConsoleUser) -> UserInfo:
    return UserInfo(
        id=row.id,
        name=row.name,
        role=Scope(row.role),
        rep_id=row.rep_id,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    store: Store,
    name: str,
    password: str,
    role: Scope | str,
    *,
    rep_id: str | None = None,
    now: datetime,
    actor: str,
) -> UserInfo:
    """Store a new console user with the hash of `password`. Audited.

    A `rep` user must name its rep (and only rep users do), as a rep key
    does; names are unique.
    """
    if not _NAME.match(name):
        raise HandoffError(
            f"user name '{name}': expected 1-100 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    try:
        scope = Scope(role)
    except ValueError:
        scope = None
    if scope not in ROLES:
        raise HandoffError(f"role '{role}': expected one of {', '.join(r.value for r in ROLES)}")
    assert scope is not None  # narrowed by the check above
    if scope is Scope.REP and not rep_id:
        raise HandoffError("a 'rep' user sees one rep's data: name it with --rep REP_ID")
    if rep_id and scope is not Scope.REP:
        raise HandoffError("--rep is for users with the 'rep' role")
    if rep_id is not None and not 1 <= len(rep_id) <= 200:
        raise HandoffError("--rep: expected a rep id of 1-200 characters")
    if len(password) < MIN_PASSWORD:
        raise HandoffError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > 1000:
        raise HandoffError("the password is too long: at most 1000 characters")
    user_id = "cu_" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
    digest = hash_secret(password)
    with store.transaction() as session:
        if session.scalar(select(ConsoleUser.id).where(ConsoleUser.name == name)) is not None:
            raise HandoffError(f"a console user named '{name}' exists already")
        row = ConsoleUser(
            id=user_id,
            name=name,
            role=scope.value,
            rep_id=rep_id,
            password_hash=digest,
            created_at=now,
            created_by=actor,
        )
        session.add(row)
        audit(
            session,
            actor=actor,
            action="console_user.added",
            now=now,
            subject_type="console_user",
            subject_id=user_id,
            details={"name": name, "role": scope.value, "rep_id": rep_id},
        )
        session.flush()
        return _info(row)


def list_users(store: Store) -> list[UserInfo]:
    """The console users, by name."""
    with store.sessions() as session:
        return [_info(r) for r in session.scalars(select(ConsoleUser).order_by(ConsoleUser.name))]


def remove_user(store: Store, name: str, *, now: datetime, actor: str) -> UserInfo:
    """Remove a console user by name (or id) and end their sessions at once. Audited."""
    with store.transaction() as session:
        row = session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
        if row is None:
            row = session.get(ConsoleUser, name)
        if row is None:
            raise HandoffError(f"no console user '{name}' (handoff users list shows them)")
        info = _info(row)
        session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))
        session.delete(row)
        audit(
            session,
            actor=actor,
            action="console_user.removed",
            now=now,
            subject_type="console_user",
            subject_id=info.id,
            details={"name": info.name, "role": info.role.value, "rep_id": info.rep_id},
        )
        return info


def authenticate(store: Store, name: str, password: str) -> UserInfo | None:
    """The user this name and password open, or None (unknown name or wrong password).

    Slow on purpose (an Argon2 hash), either way: call it off the event loop.
    """
    with store.sessions() as session:
        row = session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
        found = (_info(row), row.password_hash) if row is not None else None
    if found is None:
        verify_secret(_DECOY, password)
        return None
    info, digest = found
    return info if verify_secret(digest, password) else None


def open_session(
    store: Store, user: UserInfo, *, now: datetime, lifetime: timedelta = SESSION_LIFETIME
) -> tuple[str, SignedIn]:
    """Start a session for `user`: (the cookie's token, the session). Audited as a sign-in.

    Expired sessions of every user are swept at the same time.
    """
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + lifetime
    with store.transaction() as session:
        session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
        session.add(
            ConsoleSession(
                id=_digest(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=expires,
            )
        )
        audit(
            session,
            actor=user.actor,
            action="console.signed_in",
            now=now,
            subject_type="console_user",
            subject_id=user.id,
        )
    return token, SignedIn(user=user, csrf_token=csrf, expires_at=expires)


def find_session(store: Store, token: str, *, now: datetime) -> SignedIn | None:
    """The live session this cookie token opens, or None (unknown, expired, signed out)."""
    if not token or len(token) > 200:
        return None
    with store.sessions() as session:
        row = session.get(ConsoleSession, _digest(token))
        if row is None or row.expires_at <= now:
            return None
        user = session.get(ConsoleUser, row.user_id)
        if user is None:
            return None
        return SignedIn(user=_info(user), csrf_token=row.csrf_token, expires_at=row.expires_at)


def close_session(store: Store, token: str, *, now: datetime) -> UserInfo | None:
    """Sign out: delete the session of this token; its user, or None when there was none."""
    with store.transaction() as session:
        row = session.get(ConsoleSession, _digest(token))
        if row is None:
            return None
        user = session.get(ConsoleUser, row.user_id)
        session.delete(row)
        if user is None:
            return None
        info = _info(user)
        audit(
            session,
            actor=info.actor,
            action="console.signed_out",
            now=now,
            subject_type="console_user",
            subject_id=info.id,
        )
        return info
