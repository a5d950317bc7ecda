"""The rounds tab's pure shaping: the limits a round takes from the form, by its ballot type."""
from __future__ import annotations

import pytest

from dashboard.views.organiser.rounds import round_limits


@pytest.mark.parametrize("args,body", [
    (("approval", 2, None, False), {"max_selections": 2}),
    (("approval", 1, 3, True), {"max_selections": 1}),  # a grading limit is not sent with an approval round
    (("appraisal", 1, 1, True), {"excellent_cap": 1, "abstain_allowed": True}),
    (("appraisal", 4, None, False), {"abstain_allowed": False}),  # empty cap: no cap; up-to-N is not sent
    (("appraisal", 1, 0, False), {"excellent_cap": 0, "abstain_allowed": False}),  # 0 is a cap: no 优秀 at all
])
def test_the_limits_sent_fit_the_ballot_type(args, body):
    assert round_limits(*args) == body
