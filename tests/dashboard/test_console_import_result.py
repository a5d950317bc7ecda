"""The tree / roll import and the indicator import show their answer by one helper: imported, unchanged and each bad
row by its line (and, for indicators, the nominees left out because of them)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _shown(result: dict, words: str) -> AppTest:
    def page(result: dict, words: str) -> None:
        from dashboard.views.organiser.common import import_result

        import_result(result, words)

    return AppTest.from_function(page, kwargs={"result": result, "words": words}).run(timeout=60)


def test_the_tree_import_lists_the_bad_rows_by_line():
    at = _shown({"imported": 3, "unchanged": 1, "bad_rows": [{"line": 5, "reason": "缺少上级单位"}]}, "im")
    assert [s.value for s in at.success] == ["已导入 3 行，1 行无变化，1 行有误"]
    table = at.markdown[0].value
    assert "行号" in table and "| 5 |" in table.replace("  ", " ") and "缺少上级单位" in table


def test_the_indicator_import_names_what_it_left_out():
    at = _shown({"imported": 1, "unchanged": 0, "bad_rows": [{"line": 3, "reason": "x"}],
                 "left_out": [{"nomination_id": "n2", "nominee_name": "市档案馆"}]}, "in")
    assert [s.value for s in at.success] == ["已导入 1 个对象，0 个无变化，1 行有误"]
    assert "市档案馆" in at.warning[0].value


def test_nothing_new_says_unchanged():
    at = _shown({"imported": 0, "unchanged": 7, "bad_rows": []}, "im")
    assert [i.value for i in at.info] == ["无变化：7 行与已有数据相同。"] and not at.markdown
