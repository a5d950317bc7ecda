"""The public notice page's tables: a nominee that is its own unit is named once, and a list of such nominees has
no unit column at all."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page(notices: list[dict], entries: dict[str, dict]) -> AppTest:
    def page(notices: list[dict], entries: dict[str, dict]) -> None:
        from dashboard import ui
        from dashboard.views import public

        ui.notices = lambda programme_id=None: notices
        ui.entries_by_id = lambda ids: {i: entries[i] for i in ids if i in entries}
        public._objection_form = lambda open_notices, people: None
        public._tracking_lookup = lambda: None
        public.notices_page()

    return AppTest.from_function(page, kwargs={"notices": notices, "entries": entries}).run(timeout=60)


def _tables(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.lstrip().startswith("|")]


NOTICE = {"state": "closed", "starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-03-09T09:30:00Z",
          "working_days": 5}


def test_a_list_of_organs_that_are_their_own_units_has_no_unit_column():
    at = _page([NOTICE | {"_id": "x1", "title": "模范机关公示", "nomination_ids": ["n1", "n2"]}],
               {"n1": {"nominee_name": "市审计局", "unit_name": "市审计局", "rank": 1, "status": "in_publicity"},
                "n2": {"nominee_name": "市档案馆", "unit_name": "市档案馆", "rank": 2, "status": "in_publicity"}})
    [table] = _tables(at)
    assert "市审计局" in table and "市档案馆" in table
    assert "所在单位" not in table


def test_a_list_of_members_shows_their_units():
    at = _page([NOTICE | {"_id": "x2", "title": "优秀党员公示", "nomination_ids": ["m1", "m2"]}],
               {"m1": {"nominee_name": "张三", "unit_name": "市财政局", "rank": 1, "status": "confirmed"},
                "m2": {"nominee_name": "市档案馆", "unit_name": "市档案馆", "rank": 2, "status": "confirmed"}})
    [table] = _tables(at)
    header, _, first, second = table.strip().splitlines()[:4]
    assert "所在单位" in header and "市财政局" in first and "—" in second  # its own unit: named once
