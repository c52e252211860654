"""API-key secrets. Keys are random and long, so a SHA-256 digest is a safe lookup key; a slow
password hash would add milliseconds to every request for no gain."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

KEY_PREFIX = "np_"


@dataclass(frozen=True)
class NewKey:
    secret: str
    digest: str
    display_prefix: str


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_key() -> NewKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return NewKey(secret=secret, digest=digest_of(secret), display_prefix=secret[:10])
