"""API tokens for write endpoints. The secret is shown once at creation; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import brief_write
from app.models import ApiToken

TOKEN_PREFIX = "lg_"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, *, now: datetime) -> tuple[ApiToken, str]:
    """A new token called ``name``: (stored row, the secret to hand to its user — not kept anywhere)."""
    if not name.strip():
        raise ValueError("a token needs a name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name.strip(), prefix=secret[:10], token_hash=hash_token(secret), created_at=now)
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke a token (idempotent: revoking twice keeps the first revocation time)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise LookupError(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def authenticate(session: Session, secret: str, *, now: datetime) -> ApiToken | None:
    """The live token whose secret this is, or None (unknown or revoked). Reads only: the use is recorded
    apart (``record_use``), so checking a token never needs the write lock."""
    digest = hash_token(secret)
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    # compare_digest keeps the check constant-time even though the lookup already matched the hash.
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at is not None:
        return None
    return token


USE_RESOLUTION = timedelta(minutes=1)
"""A token's ``last_used_at`` is written at most once a minute: a burst of requests makes one write."""


def use_is_due(token: ApiToken, now: datetime) -> bool:
    """Whether ``token``'s last use, as stored, is older than ``USE_RESOLUTION`` (or never recorded)."""
    return token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION


def record_use(factory: sessionmaker[Session], token_id: int, *, now: datetime) -> bool:
    """Record that ``token_id`` was used at ``now`` in a short write of its own, waiting at most 0.2 s for
    the write lock; returns False when it was skipped (another writer is busy: a later request records it)."""
    try:
        with brief_write(factory) as session:
            session.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == token_id,
                    or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_RESOLUTION),
                )
                .values(last_used_at=now)
            )
        return True
    except OperationalError:
        return False
