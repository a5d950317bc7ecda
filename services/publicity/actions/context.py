"""What every publicity action is given: the unit of work, the store for reads outside it, and the service's tools."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.ratelimit import RateLimiter
from shared.uow import Transaction, UnitOfWork

from ..store import Attachments, PublicityStore

Clock = Callable[[], datetime]
Tx = Transaction["PublicityStore"]


class Vault(Protocol):
    """Seals an objector's contact details (privacy.ContactVault)."""

    def seal(self, objection_id: str, contact: dict) -> str: ...
    def open(self, objection_id: str, sealed: str) -> dict: ...
    def key_of(self, contact: str) -> str: ...


@dataclass
class Context:
    uow: UnitOfWork[PublicityStore]
    store: PublicityStore  # reads outside a transaction (the checks before one, the views)
    attachments: Attachments
    vault: Vault
    clock: Clock
    address_limiter: RateLimiter  # objections and tracking look-ups per client address
    contact_limiter: RateLimiter  # objections per objector contact (keyed hash)
