"""Pure rules of the scoring service: recusal, score validation, aggregation, composite standings, assignment,
arenas, and the invariants of panels and assignments.

Nothing here touches a database or the network; the rules are table-tested in tests/scoring/test_domain.py.
"""
from __future__ import annotations

from .aggregation import *  # noqa: F403
from .arena import *  # noqa: F403
from .assignment import *  # noqa: F403
from .debounce import *  # noqa: F403
from .integrity import *  # noqa: F403
from .model import *  # noqa: F403
from .recusal import *  # noqa: F403
from .scores import *  # noqa: F403
from .spot_draw import *  # noqa: F403
