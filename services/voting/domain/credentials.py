"""Voter marks, one-time ballot credentials, receipts and command tags: the secrets of casting a ballot."""
from __future__ import annotations

import hashlib
import hmac
import secrets

# Credentials avoid look-alike characters so they can be typed from paper.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def voter_mark(secret: bytes, round_id: str, member_id: str) -> str:
    """The 'has voted' key of a member in a round; without the secret nobody can compute it from the member."""
    return hmac.new(secret, f"mark|{round_id}|{member_id}".encode(), hashlib.sha256).hexdigest()[:32]


def new_credential() -> str:
    """A one-time ballot credential: 16 characters (~79 bits), printed as four groups of four."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalise_credential(text: str) -> str:
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def credential_hash(round_id: str, credential: str) -> str:
    return hashlib.sha256(f"cred|{round_id}|{normalise_credential(credential)}".encode()).hexdigest()


def new_receipt() -> str:
    """A receipt code: random, so it is linked to nobody; it is the ballot's id on the bulletin."""
    return secrets.token_hex(8).upper()


def command_tag(command_id: str) -> str:
    """Kept on the voter mark so the caster's request can learn whether *its* ballot was the one counted."""
    return hashlib.sha256(command_id.encode()).hexdigest()[:16]
