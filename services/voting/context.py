"""What the HTTP routes and the loops of one voting process work with, built by app.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import VotingConfig
from .counting import Counter
from .edge import Edge
from .uow import MongoVotingUnitOfWork

if TYPE_CHECKING:
    from shared.service import Service


@dataclass
class Voting:
    svc: "Service"
    config: VotingConfig
    uow: MongoVotingUnitOfWork
    counter: Counter
    edge: Edge

    @property
    def partitions(self) -> int:
        """Ballots partitions, hence tally parts, of a round opened now."""
        return self.svc.settings.kafka_partitions
