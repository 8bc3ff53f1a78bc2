"""API tokens for write endpoints. The secret is shown once at creation; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    """The live token whose secret this is, or None (unknown or revoked)."""
    digest = hash_token(secret)
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    # compare_digest keeps the check constant-time even though the lookup already matched the hash.
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at is not None:
        return None
    token.last_used_at = now
    return token
