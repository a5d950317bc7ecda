"""A service's bilingual reason ("中文 english") is shown in the chosen language only; a person's own words as typed."""
from __future__ import annotations

import pytest

from dashboard.i18n import one_language


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("被评对象属评委本单位 the nominee belongs to the judge's own unit", "被评对象属评委本单位",
     "the nominee belongs to the judge's own unit"),
    ("评委主动申报利益冲突 the judge declared a conflict", "评委主动申报利益冲突", "the judge declared a conflict"),
    ("曾在该支部任职三年", "曾在该支部任职三年", "曾在该支部任职三年"),
    ("worked there in 2024", "worked there in 2024", "worked there in 2024"),
    ("", "", ""),
])
def test_a_bilingual_reason_in_one_language(text, zh, en):
    assert one_language(text, "zh") == zh and one_language(text, "en") == en
