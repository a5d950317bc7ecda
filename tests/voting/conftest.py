"""Voting test settings."""
from __future__ import annotations

import os

# On a loaded machine a cast may wait long for its batch; the tests want the final answer, not 202 pending.
os.environ.setdefault("EXEMPLAR_VOTING_CAST_WAIT", "60")
