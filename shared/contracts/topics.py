"""Every topic name, in one place. Names are qualified with the installation's topic prefix."""
from __future__ import annotations

NOMINATIONS = "nominations.events"
VOTING = "voting.events"
BALLOTS = "voting.ballots"
SCORING = "scoring.events"
PUBLICITY = "publicity.events"
DEAD_LETTER = "deadletter"

ALL = (NOMINATIONS, VOTING, BALLOTS, SCORING, PUBLICITY, DEAD_LETTER)
EVENT_TOPICS = (NOMINATIONS, VOTING, SCORING, PUBLICITY)


def qualified(prefix: str, topic: str) -> str:
    return f"{prefix}.{topic}" if prefix else topic
