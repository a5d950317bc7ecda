"""Objectors' contact details: sealed with AES-GCM under a key derived from the service secret, stored apart from
the objection, and only ever opened for an organiser. Rate-limit keys are keyed hashes, never the contact itself."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.settings import Settings


class ContactVault:
    def __init__(self, settings: Settings) -> None:
        secret = settings.auth_secret.get_secret_value().encode()
        self._key = hashlib.sha256(b"exemplar-publicity-contacts\x00" + secret).digest()
        self._mac = hashlib.sha256(b"exemplar-publicity-contact-keys\x00" + secret).digest()

    def seal(self, objection_id: str, contact: dict) -> str:
        nonce = os.urandom(12)
        data = AESGCM(self._key).encrypt(nonce, json.dumps(contact, ensure_ascii=False).encode(),
                                         objection_id.encode())
        return base64.b64encode(nonce + data).decode()

    def open(self, objection_id: str, sealed: str) -> dict:
        raw = base64.b64decode(sealed)
        return json.loads(AESGCM(self._key).decrypt(raw[:12], raw[12:], objection_id.encode()))

    def key_of(self, contact: str) -> str:
        """A stable, non-reversible key for one contact (rate limits)."""
        return hmac.new(self._mac, contact.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]
