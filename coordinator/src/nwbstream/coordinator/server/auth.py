"""Which lab a call comes from: the token in its `authorization` metadata, compared by its SHA-256 only."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from .config import Lab

METADATA_KEY = "authorization"
SCHEME = "bearer "


def token_sha256(token: str) -> str:
    """What the configuration stores for a token (`labs/NAME/token_sha256`)."""
    return hashlib.sha256(token.encode()).hexdigest()


def lab_of(metadata: Iterable[tuple[str, str | bytes]], labs: Mapping[str, Lab]) -> Lab | None:
    """The lab whose token the call carries ("Bearer TOKEN"), or None. Every lab's hash is compared in constant
    time, so the answer's timing does not tell how close a guess came."""
    value = next((v for k, v in metadata if k.lower() == METADATA_KEY), None)
    if not isinstance(value, str) or not value.lower().startswith(SCHEME):
        return None
    digest = token_sha256(value[len(SCHEME) :].strip())
    found = None
    for lab in labs.values():
        if hmac.compare_digest(digest, lab.token_sha256):
            found = lab
    return found
