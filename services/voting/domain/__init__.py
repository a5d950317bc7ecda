"""Pure rules of peer voting: voter marks, credentials, receipts, ballot validity, tallies, the bulletin chain, and
the invariants of a round. `from services.voting import domain` gives every rule by its name."""
from __future__ import annotations

from .abuse import burst_threshold
from .ballots import (
    FAVOURABLE,
    GRADE_LABELS,
    GRADES,
    REFUSED,
    SPOILED,
    BallotInvalid,
    BallotRules,
    Candidate,
    ballot_increments,
    candidate_rows,
    excellent_limit,
    recompute_tally,
    rules_from_round,
    share,
    turnout,
    validate_ballot,
    window_state,
)
from .bulletin import (
    ballot_sheet,
    bulletin_entry,
    bulletin_root,
    chain_next,
    chain_start,
    sheet_ballots,
)
from .credentials import (
    command_tag,
    credential_hash,
    new_credential,
    new_receipt,
    normalise_credential,
    voter_mark,
)
from .rounds import bulletin_is_public, counts_visible

__all__ = [
    "FAVOURABLE", "GRADES", "GRADE_LABELS", "REFUSED", "SPOILED", "BallotInvalid", "BallotRules", "Candidate",
    "ballot_increments", "ballot_sheet", "bulletin_entry", "bulletin_is_public", "bulletin_root", "burst_threshold",
    "candidate_rows", "chain_next", "chain_start", "command_tag", "counts_visible", "credential_hash", "excellent_limit",
    "new_credential", "new_receipt", "normalise_credential", "recompute_tally", "rules_from_round", "share",
    "sheet_ballots", "turnout", "validate_ballot", "voter_mark", "window_state",
]
