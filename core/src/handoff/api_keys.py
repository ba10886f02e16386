"""API keys: who may call the hub's /v1 routes and /metrics, and for what.

A key is `hk_<id>_<secret>`. The id (`hk_` and 10 characters) is public:
lists, logs and audit records show it beside the key's name. The secret is
shown once, when the key is created; the store keeps only its Argon2id hash
(argon2-cffi: a maintained binding of the reference implementation, with its
parameters inside the hash so they can be raised later; docs/design.md).

Scopes (docs/api.md lists which route needs which):
- `ingest`: post events (/v1 intake) and book meetings for visitors;
- `rep`: act as the ONE rep the key is bound to (presence, engage, misroute
  flags, live visitors, slots); never for another rep;
- `ops`: read explanations, decisions, metrics, queues; flow operations
  (lead transitions); /metrics;
- `admin`: everything, keys included.

Verifying a secret costs an Argon2 hash (tens of milliseconds), so a
verified key is remembered for `CACHE_SECONDS` by the SHA-256 of the token:
a revoked key stops working on every server within that time.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from handoff.errors import HandoffError
from handoff.runtime.state import audit
from handoff.store import ApiKey, Store
from handoff_sdk import Clock

__all__ = [
    "CACHE_SECONDS",
    "KeyInfo",
    "KeyRing",
    "NewKey",
    "Scope",
    "cli_actor",
    "create_key",
    "hash_secret",
    "list_keys",
    "revoke_key",
    "verify_secret",
]

CACHE_SECONDS = 10
"""How long a verified key is trusted without asking the store again (revocation delay)."""

PREFIX = "hk_"
_ID_CHARS = 10
_TOKEN = re.compile(r"^(hk_[a-z0-9]{10})_([A-Za-z0-9_-]{20,100})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

_hasher = PasswordHasher()


def hash_secret(secret: str) -> str:
    """The Argon2id hash the store keeps of a secret (a key's, a console password).

    One hasher for every secret the hub verifies, so raising its parameters
    raises them everywhere (old hashes keep verifying: they carry theirs).
    """
    return _hasher.hash(secret)


def verify_secret(digest: str, secret: str) -> bool:
    """Whether `secret` is the one `digest` (from `hash_secret`) was made from."""
    try:
        return _hasher.verify(digest, secret)
    except (VerificationError, InvalidHashError):
        return False


class Scope(StrEnum):
    """What a key may do (docs/api.md "Access")."""

    INGEST = "ingest"
    REP = "rep"
    OPS = "ops"
    ADMIN = "admin"


@dataclass(frozen=True)
class KeyInfo:
    """A stored key, without its secret."""

    id: str
    name: str
    scopes: frozenset[Scope]
    rep_id: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @property
    def actor(self) -> str:
        """How audit records and histories name a change made with this key."""
        return f"key:{self.name} ({self.id})"

    def to_json(self) -> dict[str, object]:
        """For `handoff keys list --json`."""
        return {
            "id": self.id,
            "name": self.name,
            "scopes": sorted(self.scopes),
            "rep_id": self.rep_id,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class NewKey:
    """A key just created: `token` is the only time the secret exists outside its holder."""

    info: KeyInfo
    token: str


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        name=row.name,
        scopes=frozenset(Scope(s) for s in row.scopes),
        rep_id=row.rep_id,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
    )


def cli_actor() -> str:
    """How audit records name a change made from the command line: `cli:<OS user>`."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no user name in a bare container
        user = "unknown"
    return f"cli:{user}"[:100]


def create_key(
    store: Store,
    name: str,
    scopes: Iterable[Scope | str],
    *,
    rep_id: str | None = None,
    now: datetime,
    actor: str,
) -> NewKey:
    """Store a new key (hashed) and return it with its secret, shown this once.

    A `rep` key must name its rep (and only rep keys do); names are unique
    among the keys not revoked. Audited.
    """
    if not _NAME.match(name):
        raise HandoffError(
            f"key name '{name}': expected 1-60 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    try:
        wanted = frozenset(Scope(s) for s in scopes)
    except ValueError as exc:
        raise HandoffError(f"{exc}: expected one of {', '.join(Scope)}") from None
    if not wanted:
        raise HandoffError(f"a key needs at least one scope ({', '.join(Scope)})")
    if Scope.REP in wanted and not rep_id:
        raise HandoffError("a 'rep' key acts for one rep: name it with --rep REP_ID")
    if rep_id and Scope.REP not in wanted:
        raise HandoffError("--rep is for keys with the 'rep' scope")
    if rep_id is not None and not 1 <= len(rep_id) <= 200:
        raise HandoffError("--rep: expected a rep id of 1-200 characters")
    key_id = PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_ID_CHARS))
    secret = secrets.token_urlsafe(32)
    digest = hash_secret(secret)
    with store.transaction() as session:
        taken = session.scalar(
            select(ApiKey.id).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
        )
        if taken is not None:
            raise HandoffError(f"a key named '{name}' exists already ({taken}); revoke it first")
        row = ApiKey(
            id=key_id,
            name=name,
            scopes=sorted(wanted),
            rep_id=rep_id,
            secret_hash=digest,
            created_at=now,
            created_by=actor,
            revoked_at=None,
        )
        session.add(row)
        audit(
            session,
            actor=actor,
            action="key.created",
            now=now,
            subject_type="api_key",
            subject_id=key_id,
            details={"name": name, "scopes": sorted(wanted), "rep_id": rep_id},
        )
        session.flush()
        info = _info(row)
    return NewKey(info=info, token=f"{key_id}_{secret}")


def list_keys(store: Store, *, include_revoked: bool = False) -> list[KeyInfo]:
    """The stored keys, oldest first (revoked ones only when asked)."""
    with store.sessions() as session:
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        return [_info(row) for row in session.scalars(query)]


def revoke_key(store: Store, key: str, *, now: datetime, actor: str) -> KeyInfo:
    """Revoke a key by id or name; it stops working within `CACHE_SECONDS`. Audited.

    Revoking a revoked key is an error naming when it was revoked.
    """
    with store.transaction() as session:
        row = session.get(ApiKey, key, with_for_update=True)
        if row is None:
            named = select(ApiKey).where(ApiKey.name == key)
            row = session.scalars(
                named.order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
            ).first()
        if row is None:
            raise HandoffError(f"no key '{key}' (handoff keys list shows the keys)")
        if row.revoked_at is not None:
            raise HandoffError(f"key {row.id} ({row.name}) was revoked at {row.revoked_at}")
        row.revoked_at = now
        audit(
            session,
            actor=actor,
            action="key.revoked",
            now=now,
            subject_type="api_key",
            subject_id=row.id,
            details={"name": row.name},
        )
        session.flush()
        return _info(row)


class KeyRing:
    """Resolves a presented token to its key (or None), as the server checks each request.

    Thread-safe. `cached` answers from memory, on the event loop; `find` may
    read the store and hash, so call it off the loop when `cached` has no answer.
    """

    def __init__(self, store: Store, clock: Clock, *, cache_seconds: float = CACHE_SECONDS):
        self.store = store
        self._clock = clock
        self._ttl = timedelta(seconds=cache_seconds)
        self._lock = threading.Lock()
        self._verified: dict[bytes, tuple[KeyInfo, datetime, str]] = {}
        """fingerprint -> (key, trusted until, the stored hash the token was verified against)"""
        self._gates: dict[bytes, threading.Lock] = {}

    def cached(self, token: str) -> KeyInfo | None:
        """The key this token opened less than `CACHE_SECONDS` ago, else None (ask `find`).

        No store, no hash: cheap enough for the event loop, where every request asks.
        """
        fingerprint = hashlib.sha256(token.encode()).digest()
        with self._lock:
            cached = self._verified.get(fingerprint)
        if cached is not None and cached[1] > self._clock.now():
            return cached[0]
        return None

    def find(self, token: str) -> KeyInfo | None:
        """The live key this token opens, or None (malformed, unknown, wrong secret, revoked).

        Concurrent requests with the same token wait for one check, not one
        Argon2 hash each; and once the cache expires the store is read again
        (revocation, scopes) but the hash is not recomputed while the stored
        hash is the one this very token was verified against.
        """
        match = _TOKEN.match(token)
        if match is None:
            return None
        fingerprint = hashlib.sha256(token.encode()).digest()
        with self._lock:
            if len(self._gates) > 10_000:  # many tokens or a churn of them: start over
                self._gates.clear()
            gate = self._gates.setdefault(fingerprint, threading.Lock())
        with gate:
            now = self._clock.now()
            with self._lock:
                cached = self._verified.get(fingerprint)
            if cached is not None and cached[1] > now:
                return cached[0]
            key_id, secret = match.groups()
            with self.store.sessions() as session:
                row = session.get(ApiKey, key_id)
                if row is None or row.revoked_at is not None:
                    return None
                info, digest = _info(row), row.secret_hash
            # The same token against the same stored hash was verified: no second hash.
            if (cached is None or cached[2] != digest) and not verify_secret(digest, secret):
                return None
            with self._lock:
                if len(self._verified) > 10_000:  # many keys or a churn of them: start over
                    self._verified.clear()
                self._verified[fingerprint] = (info, now + self._ttl, digest)
            return info
