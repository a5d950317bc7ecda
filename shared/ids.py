"""Ids and filters as they may appear in a path or a query string: validated on reads as on writes."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

# The same rule the nominations service applies when an id is created.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"

IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="an id: letters, digits and _ . : - (64 at most)")]
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN, description="an id: letters, digits and _ . : -")]
# Free text searched for as text (escaped before it reaches a query), bounded in length.
SearchQuery = Annotated[str | None, Query(max_length=100, description="text to search for")]
