"""Sealing ballots to the counter: AES-GCM under a key derived from the ballot secret, which no store keeps.

What Kafka keeps of a cast command and what MongoDB keeps of a counted batch is ciphertext but for the ids: whoever
reads the stores without EXEMPLAR_BALLOT_SECRET sees no voter mark next to a receipt or a selection.
"""
from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.contracts.voting import CastBallot


class Unsealable(ValueError):
    """The ciphertext was not made with this key for this purpose (or was changed)."""


@lru_cache(maxsize=8)
def _aead(secret: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"exemplar voting ballots v1").derive(secret)
    return AESGCM(key)


def seal(secret: bytes, aad: str, value: object) -> bytes:
    """nonce (12 bytes) + AES-GCM of the JSON of value; `aad` binds it to its command or sheet."""
    nonce = os.urandom(12)
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return nonce + _aead(secret).encrypt(nonce, data, aad.encode())


def unseal(secret: bytes, aad: str, blob: bytes) -> object:
    try:
        return json.loads(_aead(secret).decrypt(blob[:12], blob[12:], aad.encode()))
    except (InvalidTag, ValueError) as exc:
        raise Unsealable("the sealed value does not open with this ballot secret") from exc


def seal_text(secret: bytes, aad: str, value: object) -> str:
    return base64.b64encode(seal(secret, aad, value)).decode()


def unseal_text(secret: bytes, aad: str, text: str) -> object:
    try:
        blob = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise Unsealable("the sealed value is not base64") from exc
    return unseal(secret, aad, blob)


_SEALED_FIELDS = ("mark", "receipt", "selections", "grades", "cast_at")


def _command_aad(command: CastBallot) -> str:
    return f"cast|{command.command_id}|{command.round_id}"


def seal_command(secret: bytes, command: CastBallot) -> CastBallot:
    """The command as the ballots topic keeps it: ids in the clear, everything else sealed."""
    inner = command.model_dump(mode="json", include=set(_SEALED_FIELDS))
    return CastBallot(command_id=command.command_id, round_id=command.round_id,
                      sealed=seal_text(secret, _command_aad(command), inner))


def open_command(secret: bytes, command: CastBallot) -> CastBallot:
    """A sealed command opened (a plain one as it is); raises Unsealable when it does not open."""
    if command.sealed is None:
        return command
    inner = unseal_text(secret, _command_aad(command), command.sealed)
    if not isinstance(inner, dict) or set(inner) - set(_SEALED_FIELDS):
        raise Unsealable("the sealed value is not a ballot")
    return CastBallot(command_id=command.command_id, round_id=command.round_id, **inner)


def seal_contents(secret: bytes, sheet_id: str, round_id: str, contents: list[dict[str, Any]]) -> bytes:
    return seal(secret, f"sheet|{sheet_id}|{round_id}", contents)


def open_contents(secret: bytes, sheet: dict[str, Any]) -> list[dict[str, Any]]:
    return unseal(secret, f"sheet|{sheet['_id']}|{sheet['round_id']}", bytes(sheet["sealed"]))  # type: ignore[return-value]
