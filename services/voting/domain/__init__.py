"""Pure rules of peer voting: voter marks, credentials, receipts, ballot validity, tallies, the bulletin chains,
ballot sealing, and the invariants of a round. `from services.voting import domain` gives every rule by its name."""
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
    CHAIN,
    ballot_sheet,
    bulletin_lists,
    bulletin_root,
    commitments,
    sheet_contents,
)
from .credentials import (
    command_tag,
    credential_hash,
    new_credential,
    new_receipt,
    normalise_credential,
    voter_mark,
)
from .rounds import bulletin_is_public, counts_visible, roll_marks
from .sealing import Unsealable, open_command, seal_command

__all__ = [
    "CHAIN", "FAVOURABLE", "GRADES", "GRADE_LABELS", "REFUSED", "SPOILED", "BallotInvalid", "BallotRules", "Candidate",
    "Unsealable", "ballot_increments", "ballot_sheet", "bulletin_is_public", "bulletin_lists", "bulletin_root",
    "burst_threshold", "candidate_rows", "command_tag", "commitments", "counts_visible", "credential_hash",
    "excellent_limit", "new_credential", "new_receipt", "normalise_credential", "open_command", "recompute_tally",
    "roll_marks", "rules_from_round", "seal_command", "share", "sheet_contents", "turnout", "validate_ballot",
    "voter_mark",
    "window_state",
]
