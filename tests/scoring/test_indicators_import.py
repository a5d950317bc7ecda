"""Importing indicator points from CSV / XLSX on the in-memory store: Chinese or English headers, the breakdown
kept, bad rows by line, a nominee with a bad row left out, a re-import unchanged, the whole file refused by field."""
from __future__ import annotations

import io

import openpyxl
import pytest

from services.scoring.actions import indicators_import as imp
from services.scoring.actions.indicators import commit_spot_draw
from services.scoring.models import SpotCommitIn
from shared.errors import Invalid, NotFound
from tests.scoring.fixtures import CAT, P
from tests.scoring.world import dirty, learned, refused, settle

ZH = ["被推荐对象", "指标类别", "指标项", "得分", "满分"]
GOOD = [
    ["市发改委第一党支部", "基础指标", "组织建设", 4, 5],
    ["市发改委第一党支部", "基础指标", "党员教育", 4.5, 5],
    ["市发改委第一党支部", "业务工作", "年度业务考核", 18, 20],
    ["市发改委第一党支部", "重点任务", "乡村振兴结对帮扶", 9, 10],
    ["市发改委第一党支部", "重点任务", "营商环境优化", 8, 10],
    ["市财政局机关第一党支部", "基础", "组织建设", 5, 5],
]


def xlsx(header: list, rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(header: list, rows: list[list], encoding: str = "utf-8") -> bytes:
    lines = [",".join(str(v) for v in r) for r in [header, *rows]]
    return ("\n".join(lines) + "\n").encode(encoding)


async def run(uow, filename: str, data: bytes):
    return await uow.run(lambda tx: imp.import_indicators(tx, P, filename, data))


class TestImportIndicators:
    async def test_chinese_xlsx_sums_the_items_and_keeps_the_breakdown(self):
        uow = await learned()
        r = await run(uow, "指标.xlsx", xlsx(ZH, GOOD))
        assert (r["rows"], r["imported"], r["unchanged"], r["bad_rows"]) == (6, 2, 0, [])
        n1 = uow.store.indicator_docs["n1"]
        assert n1["basic"]["points"] == 8.5 and n1["basic"]["max_points"] == 10
        assert [i["name"] for i in n1["basic"]["items"]] == ["组织建设", "党员教育"]
        assert n1["business"] == {"points": 18, "max_points": 20,
                                  "items": [{"name": "年度业务考核", "points": 18, "max_points": 20}]}
        assert [(t["task_id"], t["name"], t["points"]) for t in n1["key_tasks"]] == [
            ("t1", "乡村振兴结对帮扶", 9), ("t2", "营商环境优化", 8)]
        assert "business" not in uow.store.indicator_docs["n2"]  # a part not in the file is not touched
        assert dirty(uow) == {(P, CAT)}

    async def test_the_same_file_again_is_unchanged_and_marks_nothing(self):
        uow = await learned()
        await run(uow, "a.xlsx", xlsx(ZH, GOOD))
        settle(uow)
        r = await run(uow, "a.xlsx", xlsx(ZH, GOOD))
        assert (r["imported"], r["unchanged"]) == (0, 2) and dirty(uow) == set()

    async def test_english_headers_ids_and_gb18030_csv(self):
        uow = await learned()
        header = ["nomination_id", "kind", "item", "task_id", "points", "max_points"]
        rows = [["n3", "key_task", "教育帮扶", "edu-1", 7, 10], ["n3", "basic", "", "", 3, 5]]
        r = await run(uow, "ind.csv", csv_bytes(header, rows, "gb18030"))
        assert r["imported"] == 1 and r["bad_rows"] == []
        assert uow.store.indicator_docs["n3"]["key_tasks"][0]["task_id"] == "edu-1"

    async def test_bad_rows_by_line_and_their_nominee_left_out(self):
        uow = await learned()
        uow.store.nominations["n4"]["status"] = "withdrawn"
        rows = [*GOOD[:2],
                ["市发改委第一党支部", "基础指标", "党建品牌", 7, 5],  # line 4: above the maximum
                ["不存在的支部", "基础指标", "组织建设", 1, 5],  # line 5
                ["市财政局机关第一党支部", "加分项", "x", 1, 5],  # line 6: an unknown kind
                ["市财政局机关第一党支部", "重点任务", "", 1, 5],  # line 7: a key task without a name
                ["市教育局机关党支部", "基础指标", "组织建设", "四", 5],  # line 8: not a number
                ["市教育局机关党支部", "业务工作", "考核", 9, 10]]
        data = xlsx(ZH, rows)
        data_n4 = xlsx(["申报编号", "指标类别", "得分", "满分"], [["n4", "基础", 1, 5]])
        r = await run(uow, "bad.xlsx", data)
        assert [b["line"] for b in r["bad_rows"]] == [4, 5, 6, 7, 8]
        reasons = {b["line"]: b["reason"] for b in r["bad_rows"]}
        assert "between 0 and max_points 5" in reasons[4] and "no nomination of 不存在的支部" in reasons[5]
        assert "基础 basic" in reasons[6] and "needs its name" in reasons[7] and "not a number" in reasons[8]
        assert r["imported"] == 0 and uow.store.indicator_docs == {}  # n1, n2, n3 each had a bad row
        assert {x["nomination_id"] for x in r["left_out"]} == {"n1", "n2", "n3"}
        r4 = await run(uow, "n4.xlsx", data_n4)
        assert r4["imported"] == 0 and "withdrawn, not approved" in r4["bad_rows"][0]["reason"]

    async def test_a_published_category_is_a_bad_row(self):
        uow = await learned()
        await uow.store.save_publication(P, CAT, {"programme_id": P, "category_id": CAT})
        r = await run(uow, "a.xlsx", xlsx(ZH, GOOD[:1]))
        assert r["imported"] == 0 and "公示 list of category red-flag is published" in r["bad_rows"][0]["reason"]

    @pytest.mark.parametrize("filename,data,words", [
        ("a.xlsx", xlsx(["被推荐对象", "得分"], [["x", 1]]), "missing column(s) kind, max_points"),
        ("a.xlsx", xlsx(["指标类别", "得分", "满分"], [["基础", 1, 2]]), "nomination_id or nominee"),
        ("a.xlsx", b"not a workbook", "not a readable XLSX"),
        ("a.pdf", b"%PDF", "must be .csv or .xlsx"),
        ("a.csv", b"", "the file is empty"),
    ])
    async def test_whole_file_refusals_name_the_file(self, filename, data, words):
        uow = await learned()
        await refused(uow, lambda tx: imp.import_indicators(tx, P, filename, data), Invalid, field="file",
                      words=words)

    async def test_unknown_programme(self):
        uow = await learned()
        await refused(uow, lambda tx: imp.import_indicators(tx, "p-none", "a.xlsx", xlsx(ZH, GOOD)), NotFound,
                      field="programme_id")

    async def test_imported_key_tasks_are_the_spot_draw_candidates(self):
        uow = await learned()
        await run(uow, "a.xlsx", xlsx(ZH, GOOD))
        doc = await uow.run(lambda tx: commit_spot_draw(tx, P, CAT, SpotCommitIn(sample_size=1, seed_source="3D")))
        assert [c["candidate_id"] for c in doc["commitment"]["candidates"]] == ["n1/t1", "n1/t2"]
